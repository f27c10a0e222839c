/**
 * The HTML report in a real browser (headless Chromium): the report of a real run opens without a
 * console error and without a single request, its charts are drawn with data, and in a red run
 * (a real verify against VictoriaMetrics that fails for one tenant) the check matrix names that tenant.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, pollUntil } from '../helpers/backends.js';
import { chromiumAvailable, launchChromium, openReport } from '../helpers/chromium.js';
import { mainInProcess } from '../helpers/main-in-process.js';

/** Each chart's series colours (src/report/html.ts), to find them drawn on its canvas. */
const CHARTS = {
  'chart-rate': ['#8250df', '#0969da', '#1a7f37'],
  'chart-errors': ['#bf8700', '#cf222e', '#a40e26', '#fa4549', '#e16f24', '#6e7781'],
  'chart-latency': ['#0969da', '#54aeff', '#1a7f37', '#cf222e', '#8250df'],
};

const withBrowser = chromiumAvailable('HTML report in a browser (chromium-headless-shell)');

describe.skipIf(!withBrowser)('the HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-report-'));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a green run (embedded): no console error, no request, three charts drawn with data', async () => {
    const run = await mainInProcess(
      [
        'run',
        '--embedded',
        '--rps',
        '40',
        '--duration',
        '3s',
        // Long names, as real tenants have: each must stay on one line in the matrix.
        '--client-ids',
        'acme-corporation-eu-west-1,globex-international-holdings,initech-software-solutions',
        '--out',
        'm.json',
        '--report',
        'run.html',
        '--quiet',
      ],
      { cwd: dir },
    );
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const opened = await openReport(browser, join(dir, 'run.html'), CHARTS);
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.otherRequests).toEqual([]);
    for (const id of Object.keys(CHARTS)) expect(opened.seriesPixels[id], id).toBeGreaterThan(100);
    // With no cursor on a chart, its legend names the series: no "s: --", no "sent: --".
    expect(opened.legends['chart-rate']).toEqual(['target (scheduled)', 'sent', 'answered']);
    expect(opened.matrix.map(([tenant, cls]) => [tenant, cls])).toEqual([
      ['acme-corporation-eu-west-1', 'ok'],
      ['globex-international-holdings', 'ok'],
      ['initech-software-solutions', 'ok'],
    ]);
    expect(opened.matrixNameLines).toEqual({
      'acme-corporation-eu-west-1': 1,
      'globex-international-holdings': 1,
      'initech-software-solutions': 1,
    });
    for (const [id, chart] of Object.entries(opened.charts)) {
      // Series that coincide (target = sent = answered in a green run) must stay told apart: no two
      // of a chart's series share colour, width and dash.
      const looks = chart.series.map((s) => `${s.width} ${s.dash.join(',')}`);
      expect(new Set(looks).size, `${id}: ${looks.join(' | ')}`).toBe(chart.series.length);
      expect(new Set(chart.series.map((s) => s.stroke)).size, id).toBe(chart.series.length);
      // A 3 s run: ticks on whole seconds (not every 0.2 s), the axis from 0 to its last drawn
      // point (seconds 0, 1, 2; the drain bucket at 3 has no rate), not on to an empty second.
      expect(chart.xTicks, id).toEqual([0, 1, 2]);
      expect([chart.xMin, chart.xMax], id).toEqual([0, chart.lastDrawnX]);
      expect(chart.lastDrawnX, id).toBe(2);
    }
    expect(Object.keys(opened.charts).sort()).toEqual(Object.keys(CHARTS).sort());
  });

  it('run --matrix (embedded): the kind matrix section, one green row per kind × tenant, no console error', async () => {
    const html = await mainInProcess(
      [
        'run',
        '--matrix',
        '--embedded',
        '--kinds',
        'cumulative-explicit-proto,delta-exponential-json',
        '--tenants',
        '2',
        '--report',
        'matrix.html',
        '--quiet',
      ],
      { cwd: dir },
    );
    expect(html.code, html.stderr + html.stdout).toBe(0);
    const opened = await openReport(browser, join(dir, 'matrix.html'), CHARTS);
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.otherRequests).toEqual([]);
    expect(opened.kindMatrix.map(([cls, cells]) => [cls, cells[0], cells[1], cells[2]])).toEqual([
      ['ok', 'cumulative-explicit-proto', 'tenant-1', 'exact'],
      ['ok', 'cumulative-explicit-proto', 'tenant-2', 'exact'],
      ['ok', 'delta-exponential-json', 'tenant-1', 'exact'],
      ['ok', 'delta-exponential-json', 'tenant-2', 'exact'],
    ]);
  });

  const withBackend = backendsAvailable('HTML report of a red verify (VictoriaMetrics)');

  describe.skipIf(!withBackend)('a red verify against VictoriaMetrics', () => {
    const vm = useVictoriaMetrics();

    it('one request too many for tenant-2: the matrix names tenant-2, red, with the reason', async () => {
      const run = 'report-red';
      const load = (extra: string[]) =>
        mainInProcess(
          [
            'load',
            '--serve',
            '--otlp-endpoint',
            vm.otlpEndpoint,
            '--export-interval',
            '1s',
            '--delay',
            '0',
            '--run-id',
            run,
            '--quiet',
            ...extra,
          ],
          { cwd: dir, env: {} },
        );
      const first = await load([
        '--requests',
        '40',
        '--rps',
        '40',
        '--tenants',
        '2',
        '--status-mix',
        '200:1',
        '--out',
        'red.json',
      ]);
      expect(first.code, first.stderr).toBe(0);
      // The same run id, one more request of tenant-2, from another load: the backend gets 41.
      const extra = await load([
        '--requests',
        '1',
        '--client-ids',
        'tenant-2',
        '--status-mix',
        '200:1',
        '--out',
        'extra.json',
      ]);
      expect(extra.code, extra.stderr).toBe(0);
      let attempt = 0;
      let seen: number | undefined;
      await pollUntil(
        async () => {
          const q = `sum(http_server_request_total{otelpoc_run_id="${run}",attempt!="${++attempt}"})`;
          seen = (await vm.query(q))[0]?.value;
          return seen === 41 ? true : undefined;
        },
        {
          timeoutMs: 30_000,
          intervalMs: 200,
          describe: () => `the backend has ${seen} requests of the run, not 41\n${vm.logs()}`,
        },
      );
      const verify = await mainInProcess(
        [
          'verify',
          '--manifest',
          'red.json',
          '--url',
          vm.promUrl,
          '--no-tenant-header',
          '--timeout',
          '3s',
          '--settle',
          '0',
          '--report',
          'red.html',
          '--quiet',
        ],
        { cwd: dir, env: {} },
      );
      expect(verify.code, verify.stdout).toBe(1);
      const opened = await openReport(browser, join(dir, 'red.html'), CHARTS);
      expect(opened.consoleErrors).toEqual([]);
      expect(opened.otherRequests).toEqual([]);
      // A short run (0.2 s, within one export interval): one point per series, drawn.
      for (const id of Object.keys(CHARTS)) expect(opened.seriesPixels[id], id).toBeGreaterThan(0);
      const row = (tenant: string) => opened.matrix.find(([t]) => t === tenant);
      expect(row('tenant-2')?.[1]).toBe('failed');
      expect(row('tenant-2')?.[2]).toContain('check fail');
      expect(row('tenant-1')?.[1]).toBe('ok');
      expect(opened.failures).toMatch(/tenant-2 · exact counts per status: .*more than were sent/);
      expect(opened.failures).not.toContain('tenant-1');
    });

    it('a request of the run without Client-ID: the tenant its failure is under is in the matrix, red', async () => {
      const run = 'report-stray';
      const load = (extra: string[]) =>
        mainInProcess(
          [
            'load',
            '--serve',
            '--otlp-endpoint',
            vm.otlpEndpoint,
            '--export-interval',
            '1s',
            '--delay',
            '0',
            '--run-id',
            run,
            '--status-mix',
            '200:1',
            '--quiet',
            ...extra,
          ],
          { cwd: dir, env: {} },
        );
      const sent = await load(['--requests', '10', '--rps', '40', '--tenants', '1', '--out', 'stray.json']);
      expect(sent.code, sent.stderr).toBe(0);
      // The same run id from another load, without Client-ID: data of the run the manifest never sent.
      const stray = await load(['--requests', '1', '--anonymous', '100%', '--out', 'stray-extra.json']);
      expect(stray.code, stray.stderr).toBe(0);
      // Wait until the backend shows all 11: a verify before that could pass on the 10 alone.
      let attempt = 0;
      let seen: number | undefined;
      await pollUntil(
        async () => {
          const q = `sum(http_server_request_total{otelpoc_run_id="${run}",attempt!="${++attempt}"})`;
          seen = (await vm.query(q))[0]?.value;
          return seen === 11 ? true : undefined;
        },
        {
          timeoutMs: 30_000,
          intervalMs: 200,
          describe: () => `the backend has ${seen} requests of the run, not 11\n${vm.logs()}`,
        },
      );
      const verify = await mainInProcess(
        [
          'verify',
          '--manifest',
          'stray.json',
          '--url',
          vm.promUrl,
          '--no-tenant-header',
          '--timeout',
          '5s',
          '--settle',
          '0',
          '--report',
          'stray.html',
          '--json',
        ],
        { cwd: dir, env: {} },
      );
      expect(verify.code, verify.stdout).toBe(1);
      const report = JSON.parse(verify.stdout) as {
        tenants: string[];
        results: { tenant: string; ok: boolean }[];
      };
      const redElsewhere = [...new Set(report.results.filter((r) => !r.ok).map((r) => r.tenant))].filter(
        (t) => !report.tenants.includes(t),
      );
      // The failure is on a tenant the manifest does not list: exactly what the matrix left out.
      expect(redElsewhere.length, verify.stdout).toBeGreaterThan(0);
      const opened = await openReport(browser, join(dir, 'stray.html'), CHARTS);
      expect(opened.consoleErrors).toEqual([]);
      for (const t of redElsewhere) {
        expect(
          opened.matrix.find(([name]) => name === t)?.[1],
          `${t} in ${JSON.stringify(opened.matrix)}`,
        ).toBe('failed');
      }
      expect(opened.matrix.find(([name]) => name === 'tenant-1')?.[1]).toBe('ok');
    });
  });
});
