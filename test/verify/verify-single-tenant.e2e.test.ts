/**
 * `otelpoc verify` against a real single-tenant VictoriaMetrics (--no-tenant-header): traffic through
 * `otelpoc serve`, exported over OTLP, verified green with exact counts; and red when it must be.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { keepFlushing, useServe, useVictoriaMetrics } from '../helpers/backend-suite.js';
import {
  backendsAvailable,
  pollUntil,
  startVictoriaMetrics,
  type VictoriaMetrics,
} from '../helpers/backends.js';
import { type CliProcess, runCli, serveUrl, spawnCli, spawnServe } from '../helpers/cli.js';
import { reconciled } from './fixtures.js';
import { sendTraffic } from './traffic.js';

const enabled = backendsAvailable('verify end-to-end, single tenant (VictoriaMetrics)');

describe.skipIf(!enabled)('otelpoc verify → single-tenant VictoriaMetrics', () => {
  const vm = useVictoriaMetrics();
  const serve = useServe(vm, { delay: '1-5ms', exportInterval: '500ms' });
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-verify-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const writeManifest = async (m: RunManifest) => {
    const file = join(dir, `${m.runId}-${Math.random().toString(16).slice(2)}.json`);
    await writeFile(file, JSON.stringify(m));
    return file;
  };
  const verify = (file: string, extra: string[] = []) =>
    runCli(['verify', '--manifest', file, '--url', vm.promUrl, '--no-tenant-header', '--json', ...extra], {
      timeoutMs: 60_000,
    });

  it('is green with exact counts per tenant and status, and writes a JUnit report that parses', async () => {
    const manifest = await sendTraffic(serve.api, 'st-green', [
      { clientId: 'tenant-1', status: 200, n: 7 },
      { clientId: 'tenant-1', status: 404, n: 3 },
      { clientId: 'tenant-2', status: 500, n: 2 },
      { clientId: null, status: 200, n: 1 },
    ]);
    const junit = join(dir, 'green.xml');
    // The serve process exports every 500 ms: a 1 s settle window sees at least one more export.
    const r = await verify(await writeManifest(manifest), [
      '--timeout',
      '30s',
      '--settle',
      '1s',
      '--junit',
      junit,
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.ok).toBe(true);
    expect(report).toMatchObject({ settleMs: 1000, settleWhy: '--settle' });
    expect(report.greenForMs).toBeGreaterThanOrEqual(1000);
    expect(report.visibleAfterMs).toBeLessThanOrEqual(report.elapsedMs - 1000);
    expect(report.tenants).toEqual(['anonymous', 'tenant-1', 'tenant-2']);
    const counts = report.results.filter((x) => x.check === 'counts');
    expect(counts.map((x) => [x.tenant, x.found])).toEqual([
      ['anonymous', '200:1'],
      ['tenant-1', '200:7 404:3'],
      ['tenant-2', '500:2'],
    ]);
    // Isolation cannot be tested without tenant headers, and says so.
    expect(report.results.filter((x) => x.check === 'isolation').every((x) => x.skipped)).toBe(true);

    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      await readFile(junit, 'utf8'),
    );
    const suite = xml.testsuites.testsuite;
    expect(Number(suite.tests)).toBe(21);
    expect(Number(suite.failures)).toBe(0);
    expect(suite.testcase).toHaveLength(21);
    expect(suite.testcase[0].name).toBe('anonymous: series present');
  });

  it('fails naming the status when one count is off by one (a request sent outside the manifest)', async () => {
    const manifest = await sendTraffic(serve.api, 'st-off-by-one', [
      { clientId: 'tenant-1', status: 200, n: 5 },
      { clientId: 'tenant-1', status: 404, n: 2 },
    ]);
    // One more request of the same run that the manifest does not know about.
    await sendTraffic(serve.api, 'st-off-by-one', [{ clientId: 'tenant-1', status: 404, n: 1 }]);
    // Wait until the backend shows it (an earlier export holds exactly the manifest's counts).
    await pollUntil(
      async () => {
        const [s] = await vm.query('sum(http_server_request_total{otelpoc_run_id="st-off-by-one"})');
        return s?.value === 8 ? true : undefined;
      },
      { timeoutMs: 30_000, describe: () => `the extra request never arrived\n${vm.logs()}` },
    );
    const junit = join(dir, 'off-by-one.xml');
    const r = await verify(await writeManifest(manifest), ['--timeout', '8s', '--junit', junit]);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as VerifyReport;
    const counts = report.results.find((x) => x.check === 'counts' && x.tenant === 'tenant-1')!;
    expect(counts.ok).toBe(false);
    expect(counts.problems.join('\n')).toMatch(/status 404: 3 request\(s\) recorded, expected 2/);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      await readFile(junit, 'utf8'),
    );
    const failures = xml.testsuites.testsuite.testcase.filter((t: { failure?: unknown }) => t.failure);
    expect(failures.map((t: { name: string }) => t.name)).toContain('tenant-1: exact counts per status');
  });

  it('verifies a run that ended 10 minutes ago (its samples are older than the 5 min lookback of "now")', async () => {
    const { samplesFor, reconciled } = await import('./fixtures.js');
    const endedAt = Date.now() - 10 * 60_000;
    const writtenAt = endedAt + 5_000; // the final export, shortly after the run
    const lines = [...samplesFor('tenant-1', { 200: 3 }), ...samplesFor(null, { 404: 1 })].map((s) => {
      const labels = { ...s.labels, otelpoc_run_id: 'st-old-run' };
      const text = Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      return `${s.name}{${text}} ${s.value} ${writtenAt}`;
    });
    const res = await fetch(`${vm.url}/api/v1/import/prometheus`, {
      method: 'POST',
      body: `${lines.join('\n')}\n`,
    });
    expect(res.status).toBeLessThan(300);
    const cell = (status: number, n: number) => ({
      status,
      dropped: 0,
      sent: n,
      answered: n,
      mismatched: 0,
      unanswered: 0,
      refused: 0,
      latencySumMs: n * 20,
      latencyMaxMs: 20,
    });
    const base = await sendTraffic(serve.api, 'st-old-template', [
      { clientId: 'tenant-1', status: 200, n: 1 },
    ]);
    const manifest: RunManifest = reconciled({
      ...base,
      runId: 'st-old-run',
      startedAt: new Date(endedAt - 3_000).toISOString(),
      endedAt: new Date(endedAt).toISOString(),
      tenants: [
        { clientId: 'tenant-1', byStatus: [cell(200, 3)], receivedByStatus: { '200': 3 } },
        { clientId: null, byStatus: [cell(404, 1)], receivedByStatus: { '404': 1 } },
      ],
    });
    // About the lookback, not about late data: no settle window.
    const r = await verify(await writeManifest(manifest), ['--timeout', '20s', '--settle', '0']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect((JSON.parse(r.stdout) as VerifyReport).ok).toBe(true);
  });

  it('refuses a manifest whose counts were multiplied (green before it was checked), exit 2 naming the equation', async () => {
    const manifest = await sendTraffic(serve.api, 'st-tamper', [
      { clientId: 'tenant-1', status: 200, n: 4 },
      { clientId: 'tenant-1', status: 404, n: 1 },
    ]);
    // The adversarial edit: sent and answered ×10, totals adjusted, receivedByStatus untouched.
    // Before the manifest was checked, verify passed: each status may hold `unanswered` more, and
    // the counts check read receivedByStatus only.
    const cell = manifest.tenants[0]!.byStatus.find((c) => c.status === 200)!;
    manifest.totals.sent += 9 * cell.sent;
    manifest.totals.scheduled += 9 * cell.sent;
    manifest.totals.answered += 9 * cell.answered;
    cell.sent *= 10;
    cell.answered *= 10;
    const file = await writeManifest(manifest);
    const r = await verify(file, ['--timeout', '20s']);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toBe(
      `otelpoc: ${file}: inconsistent manifest: tenants[0] (tenant-1) status 200: receivedByStatus["200"] 4 < answered 40\n`,
    );
    expect(r.stdout).toBe('');
  });

  it('SIGINT while one tenant is still missing: exit 130, --json says interrupted and which checks passed, --junit parses', async () => {
    const manifest = await sendTraffic(serve.api, 'st-interrupted', [
      { clientId: 'tenant-1', status: 200, n: 2 },
    ]);
    // tenant-2 never sent anything: verify keeps polling for it until interrupted.
    const cell = { ...manifest.tenants[0]!.byStatus[0]! };
    const file = await writeManifest(
      reconciled({
        ...manifest,
        tenants: [
          ...manifest.tenants,
          { clientId: 'tenant-2', byStatus: [cell], receivedByStatus: { '200': 2 } },
        ],
      }),
    );
    // tenant-1's data is in the backend before verify starts, so its checks pass on the first poll
    // and only tenant-2 keeps verify polling.
    await pollUntil(
      async () => {
        const [sum] = await vm.query('sum(http_server_request_total{otelpoc_run_id="st-interrupted"})');
        return sum?.value === 2 ? true : undefined;
      },
      { timeoutMs: 20_000, describe: () => `tenant-1's 2 requests never showed up\n${vm.logs()}` },
    );
    const junit = join(dir, 'interrupted.xml');
    const queries = async () => {
      const text = await (await fetch(`${vm.url}/metrics`)).text();
      return Number(/^vm_http_requests_total\{path="\/api\/v1\/query"\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const before = await queries();
    const p = spawnCli([
      'verify',
      '--manifest',
      file,
      '--url',
      vm.promUrl,
      '--no-tenant-header',
      '--timeout',
      '60s',
      '--json',
      '--junit',
      junit,
    ]);
    try {
      // Polled at least twice (tenant-1 is green by then), then interrupted.
      await pollUntil(async () => ((await queries()) >= before + 2 ? true : undefined), {
        timeoutMs: 20_000,
        describe: () => `verify never polled twice\n${p.stderr}`,
      });
      p.kill('SIGINT');
      const r = await p.exited;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(
        /^otelpoc: verify interrupted before all checks passed: \d+ passed, \d+ not decided/m,
      );
      const report = JSON.parse(r.stdout) as VerifyReport;
      expect(report).toMatchObject({
        runId: 'st-interrupted',
        ok: false,
        timedOut: false,
        interrupted: true,
      });
      const of = (tenant: string) => report.results.filter((c) => c.tenant === tenant);
      expect(of('tenant-1').every((c) => c.ok && !c.undecided)).toBe(true);
      expect(of('tenant-2').find((c) => c.check === 'presence')).toMatchObject({
        ok: false,
        undecided: true,
      });
      const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
        await readFile(junit, 'utf8'),
      ).testsuites.testsuite;
      expect(Number(suite.tests)).toBe(report.results.length);
      expect(Number(suite.failures)).toBe(0);
      expect(Number(suite.errors)).toBe(report.results.filter((c) => c.undecided).length);
    } finally {
      p.kill('SIGKILL');
    }
  });

  it('fails naming the run when the backend never saw its run id', async () => {
    const manifest = await sendTraffic(serve.api, 'st-seen', [{ clientId: 'tenant-1', status: 200, n: 2 }]);
    const file = await writeManifest({ ...manifest, runId: 'never-sent-run' });
    const r = await runCli(
      ['verify', '--manifest', file, '--url', vm.promUrl, '--no-tenant-header', '--timeout', '3s'],
      { timeoutMs: 60_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/no series of run "never-sent-run" in tenant "tenant-1"/);
    expect(r.stdout).toMatch(/FAIL run never-sent-run: .*no series of run never-sent-run at all/);
  });
});

describe.skipIf(!enabled)('otelpoc verify → a backend that comes up late', () => {
  let vm: VictoriaMetrics | undefined;
  let serve: CliProcess | undefined;
  let dir: string;
  let stopFlushing = () => {};
  afterAll(async () => {
    stopFlushing();
    serve?.kill('SIGKILL');
    await vm?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('retries while it is unreachable, then ends green within the timeout', async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-verify-late-'));
    const { freePort } = await import('../helpers/backends.js');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // The server exports to a backend that is not there yet; it keeps its cumulative counts.
    serve = spawnServe(`${url}/opentelemetry`, { exportInterval: '500ms' });
    const base = await serveUrl(serve);
    const manifest = await sendTraffic(`${base}/api`, 'late-backend', [
      { clientId: 'tenant-1', status: 200, n: 4 },
      { clientId: 'tenant-1', status: 503, n: 1 },
    ]);
    const file = join(dir, 'late.json');
    await writeFile(file, JSON.stringify(manifest));
    const verify = spawnCli([
      'verify',
      '--manifest',
      file,
      '--url',
      `${url}/prometheus`,
      '--no-tenant-header',
      '--timeout',
      '45s',
      // The server exports every 500 ms.
      '--settle',
      '1s',
    ]);
    // verify is polling a backend that refuses connections...
    await verify.waitFor(/connection refused \(is it running\? check --url\) \(retrying\)/, 20_000);
    // ...which now comes up where it was expected.
    vm = await startVictoriaMetrics({ port });
    stopFlushing = keepFlushing(vm.forceFlush);
    const r = await verify.exited;
    expect(r.code, `${r.stderr}\n${r.stdout}\n${vm.logs()}`).toBe(0);
    expect(r.stdout).toMatch(/PASS run late-backend: 6 checks passed, 1 not testable, for 1 tenant\(s\)/);
  });
});
