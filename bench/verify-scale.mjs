#!/usr/bin/env node
// verify's time and peak memory at many tenants (issue 21), run by hand (not part of npm test):
//   npm run build && bash scripts/install-test-backends.sh && node bench/verify-scale.mjs
//     [--tenants 100,1000] [--rounds 1] [--settle 2s] [--base /path/to/other/checkout] [--prof DIR]
// For each tenant count: a fresh VictoriaMetrics (as test/helpers/backends.ts starts it), one
// `otelpoc load --serve --tenants N` run exporting into it (3 requests per tenant, statuses
// 200/404/500, export every 10 s: VictoriaMetrics can take over 1 s to ingest 54k new series, a 1 s exporter's timeout), VictoriaMetrics' test-only force_flush so the data is searchable,
// then `otelpoc verify --no-tenant-header --settle S --json` under /usr/bin/time -v: wall time,
// CPU, peak RSS, and the report's polls / visibleAfterMs. Goal: time ≤ settle + 3 s, RSS ≤ 250 MB.
// With --base, the same manifest is verified by another checkout's build too (same backend, same data).
// With --prof DIR, verify also runs under --cpu-prof and --heap-prof into DIR.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './lib/nginx.mjs';
import { runBounded } from './lib/run.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const TENANTS = arg('tenants', '100,1000').split(',').map(Number);
const ROUNDS = Number(arg('rounds', '1'));
const SETTLE = arg('settle', '2s');
const PROF = arg('prof');
const VM_BIN = join(
  process.env.OTELPOC_BACKENDS_DIR ?? join(ROOT, '.cache/test-backends'),
  'usr/bin/victoria-metrics',
);
const builds = [{ name: 'this', root: ROOT }];
if (arg('base')) builds.unshift({ name: 'base', root: resolve(arg('base')) });
const env = { ...process.env, NO_COLOR: '1' };
for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];

async function startVm() {
  const dir = await mkdtemp(join(tmpdir(), 'otelpoc-verify-scale-vm-'));
  const port = await freePort();
  const child = spawn(
    VM_BIN,
    [
      `-storageDataPath=${dir}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      '-opentelemetry.usePrometheusNaming',
      '-search.latencyOffset=0',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The fields of GNU time -v the bench reads. */
function parseTime(stderr) {
  const num = (re) => Number(re.exec(stderr)?.[1] ?? Number.NaN);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(stderr);
  const wallS = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : Number.NaN;
  return {
    wallS,
    cpuS: num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/),
    maxRssMb: num(/Maximum resident set size \(kbytes\): (\d+)/) / 1024,
  };
}

async function verifyOnce(build, vmUrl, manifest, profDir) {
  const node = [];
  if (profDir)
    node.push('--cpu-prof', `--cpu-prof-dir=${profDir}`, '--heap-prof', `--heap-prof-dir=${profDir}`);
  const r = await runBounded(
    '/usr/bin/time',
    [
      '-v',
      process.execPath,
      ...node,
      join(build.root, 'bin/otelpoc'),
      'verify',
      '--url',
      vmUrl,
      '--no-tenant-header',
      '--manifest',
      manifest,
      '--settle',
      SETTLE,
      '--timeout',
      '60s',
      '--json',
    ],
    { env, timeoutMs: 180_000 },
  );
  let report;
  try {
    report = JSON.parse(r.out);
  } catch {
    report = undefined;
  }
  return {
    code: r.code,
    ...parseTime(r.err),
    polls: report?.polls,
    visibleAfterMs: report?.visibleAfterMs,
    settleMs: report?.settleMs,
    ok: report?.ok,
    err: report ? undefined : r.err.slice(-800),
    ...(report && !report.ok
      ? {
          failed: report.results
            .filter((x) => !x.ok)
            .slice(0, 3)
            .map((x) => `${x.tenant} ${x.check}: ${x.problems[0] ?? x.found}`),
          cannotPass: report.cannotPass,
          undelivered: report.undelivered,
          endedEarly: report.endedEarly?.signature,
          timedOut: report.timedOut,
          flaps: report.flaps?.length,
        }
      : {}),
  };
}

const rows = [];
for (const tenants of TENANTS) {
  for (let round = 0; round < ROUNDS; round++) {
    const vm = await startVm();
    const work = await mkdtemp(join(tmpdir(), 'otelpoc-verify-scale-'));
    try {
      const manifest = join(work, 'run.json');
      const requests = tenants * 3;
      const load = await runBounded(
        process.execPath,
        [
          join(ROOT, 'bin/otelpoc'),
          'load',
          '--serve',
          '--quiet',
          '--tenants',
          String(tenants),
          '--max-tenants',
          String(tenants + 10),
          '--rps',
          String(Math.min(2000, requests)),
          '--requests',
          String(requests),
          '--delay',
          '0-5ms',
          '--status-mix',
          '200:1,404:1,500:1',
          '--otlp-endpoint',
          `${vm.url}/opentelemetry`,
          '--export-interval',
          '5s',
          '--out',
          manifest,
        ],
        { env, timeoutMs: 120_000 },
      );
      if (load.code !== 0) throw new Error(`load exited ${load.code}: ${load.err.slice(-800)}`);
      // On a busy machine VictoriaMetrics can take longer than the exporter's timeout to ingest
      // 54,000 new series: verify then (rightly) cannot pass, and the round measures nothing.
      if (/final metrics export .* failed/.test(load.err)) {
        console.log(JSON.stringify({ tenants, round, skipped: "the load's final export failed" }));
        continue;
      }
      await fetch(`${vm.url}/internal/force_flush`);
      for (const build of builds) {
        let profDir;
        if (PROF) {
          profDir = join(resolve(PROF), `${build.name}-${tenants}`);
          await mkdir(profDir, { recursive: true });
        }
        const m = await verifyOnce(build, vm.url, manifest, profDir);
        const row = { build: build.name, tenants, round, ...m };
        rows.push(row);
        console.log(JSON.stringify(row));
      }
    } finally {
      await vm.stop();
      await rm(work, { recursive: true, force: true });
    }
  }
}
const stamp = new Date().toISOString().slice(0, 16).replace(/:/g, '-');
const outDir = join(ROOT, 'bench/results');
if (!existsSync(outDir)) await mkdir(outDir, { recursive: true });
await writeFile(
  join(outDir, `verify-scale-${stamp}.json`),
  `${JSON.stringify({ settle: SETTLE, rows }, null, 2)}\n`,
);
console.log('\nbuild  tenants  wall s  over settle s  CPU s  max RSS MB  polls  visible after ms  ok');
for (const r of rows) {
  const over = r.wallS - (r.settleMs ?? 0) / 1000;
  console.log(
    `${r.build.padEnd(6)} ${String(r.tenants).padStart(7)}  ${r.wallS.toFixed(2).padStart(6)}  ${over.toFixed(2).padStart(13)}  ${r.cpuS.toFixed(2).padStart(5)}  ${r.maxRssMb.toFixed(0).padStart(10)}  ${String(r.polls).padStart(5)}  ${String(r.visibleAfterMs).padStart(16)}  ${r.ok}`,
  );
}
