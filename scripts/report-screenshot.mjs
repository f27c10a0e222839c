#!/usr/bin/env node
// Regenerates docs/report.png: a real run's HTML report (`otelpoc run --embedded --report`), shot
// full page in headless Chromium (Debian's chromium-headless-shell, or OTELPOC_CHROMIUM_BIN).
// Usage: npm run build && node scripts/report-screenshot.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin =
  process.env.OTELPOC_CHROMIUM_BIN ??
  ['/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium-headless-shell'].find((p) =>
    existsSync(p),
  );
if (!bin) {
  console.error(
    'headless Chromium not found: apt-get install --no-install-recommends chromium-headless-shell, or set OTELPOC_CHROMIUM_BIN',
  );
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'otelpoc-shot-'));
try {
  // A ramp past what 4 requests in flight can carry: drops show, and the latency of a busy server.
  const args = [
    'run',
    '--embedded',
    '--rps',
    '120',
    '--duration',
    '8s',
    '--max-inflight',
    '4',
    '--delay',
    '5-40ms',
    '--tenants',
    '3',
    '--status-mix',
    '200:85,404:10,500:5',
    '--run-id',
    'report-example',
    '--out',
    join(dir, 'm.json'),
    '--report',
    join(dir, 'report.html'),
    '--quiet',
  ];
  execFileSync(join(root, 'bin/otelpoc'), args, {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const html = readFileSync(join(dir, 'report.html'), 'utf8');
  const browser = await chromium.launch({ executablePath: bin });
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  // The report makes no request; refuse any, as the browser test does.
  await page.route('**/*', (route) =>
    route.request().url() === 'http://report.invalid/'
      ? route.fulfill({ body: html, contentType: 'text/html; charset=utf-8' })
      : route.abort(),
  );
  await page.goto('http://report.invalid/');
  const out = join(root, 'docs/report.png');
  await page.screenshot({ path: out, fullPage: true });
  await browser.close();
  console.log(`wrote ${out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
