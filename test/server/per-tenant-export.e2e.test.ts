/**
 * The per-tenant export topology end to end, with real processes on loopback: the in-process server
 * exports one OTLP stream per tenant, each with X-Scope-OrgID = its Client-ID, through vmauth, which
 * routes the write path (and the queries) by that header to one VictoriaMetrics per tenant — as
 * Mimir's /otlp/v1/metrics takes the tenant from the header, with no tenant router in between.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/doctor/types.js';
import type { RunManifest } from '../../src/manifest/schema.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { usePerTenantBackends } from '../helpers/backend-suite.js';
import { backendsAvailable, freePort, pollUntil } from '../helpers/backends.js';
import { serveUrl, spawnServe } from '../helpers/cli.js';
import { mainInProcess } from '../helpers/main-in-process.js';

const enabled = backendsAvailable('per-tenant export (vmauth + one VictoriaMetrics per tenant)');
const TENANTS = ['tenant-1', 'tenant-2', 'tenant-3', 'anonymous'];

describe.skipIf(!enabled)('per-tenant export → vmauth (X-Scope-OrgID) → one store per tenant', () => {
  // VictoriaMetrics makes new series searchable after ~10 s; its test-only force_flush at once.
  const b = usePerTenantBackends([...TENANTS, 'otelpoc-doctor']);
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-per-tenant-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const load = async (otlpEndpoint: string, runId: string) => {
    const out = join(dir, `${runId}.json`);
    const r = await mainInProcess([
      'load',
      '--serve',
      '--tenant-header',
      'X-Scope-OrgID',
      '--otlp-endpoint',
      otlpEndpoint,
      '--export-interval',
      '1s',
      '--delay',
      '0',
      '--rps',
      '100',
      '--requests',
      '160',
      '--tenants',
      '3',
      '--anonymous',
      '25%',
      '--status-mix',
      '200:3,404:1',
      '--run-id',
      runId,
      '--out',
      out,
      '--quiet',
    ]);
    return { r, out, manifest: JSON.parse(await readFile(out, 'utf8')) as RunManifest };
  };
  const verify = (promUrl: string, manifest: string, timeout: string) =>
    mainInProcess([
      'verify',
      '--manifest',
      manifest,
      '--url',
      promUrl,
      '--tenant-header',
      'X-Scope-OrgID',
      '--timeout',
      timeout,
      '--settle',
      '2s',
      '--json',
    ]);

  it('load over three tenants plus anonymous, then verify with the tenant header: green, exact counts', async () => {
    const gw = await b.startGateway();
    const { r, out, manifest } = await load(gw.otlpEndpoint, 'pt-green');
    expect(r.code, r.stderr).toBe(0);
    expect(manifest.server?.topology).toBe('per-tenant-export');
    expect(manifest.server?.streams?.map((s) => [s.tenant, s.finalFlushOk])).toEqual(
      TENANTS.slice()
        .sort()
        .map((t) => [t, true]),
    );

    const v = await verify(gw.promUrl, out, '60s');
    expect(v.code, `${v.stderr}\n${v.stdout}\n${b.logs()}`).toBe(0);
    const report = JSON.parse(v.stdout) as VerifyReport;
    expect(report.ok).toBe(true);
    expect(report.topology).toBe('per-tenant-export');
    expect(report.tenants).toEqual(['anonymous', 'tenant-1', 'tenant-2', 'tenant-3']);
    // Exact counts, in each tenant's own store: what the manifest says each tenant received.
    const received = (t: RunManifest['tenants'][number]) =>
      Object.values(t.receivedByStatus).reduce((a, n) => a + n, 0);
    for (const t of manifest.tenants) {
      const tenant = t.clientId ?? 'anonymous';
      const [sum] = await b.query(tenant, 'sum(http_server_request_total{otelpoc_run_id="pt-green"})');
      expect(sum?.value, tenant).toBe(received(t));
      const other = await b.query(
        tenant,
        `count(http_server_request_total{otelpoc_run_id="pt-green",client_id!="${t.clientId ?? ''}"})`,
      );
      expect(other, `${tenant} holds only its own series`).toEqual([]);
    }
    expect(manifest.tenants.map(received).reduce((a, n) => a + n, 0)).toBe(160);
  });

  it("red, naming the tenant, when one tenant's write route is broken (its backend answers 400); the other streams go on", async () => {
    const gw = await b.startGateway({ refuseWrites: ['tenant-2'] });
    const { r, out, manifest } = await load(gw.otlpEndpoint, 'pt-red');
    // The run completes: the failing stream is reported, by tenant, and stops nothing.
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/tenant "tenant-2".*failed/);
    expect(r.stderr).not.toMatch(/tenant "tenant-(1|3)".*failed/);
    expect(gw.refused['tenant-2']).toBeGreaterThan(0);
    const flushed = Object.fromEntries(manifest.server!.streams!.map((s) => [s.tenant, s.finalFlushOk]));
    expect(flushed).toEqual({ anonymous: true, 'tenant-1': true, 'tenant-2': false, 'tenant-3': true });

    const v = await verify(gw.promUrl, out, '10s');
    expect(v.code, v.stderr).toBe(1);
    const report = JSON.parse(v.stdout) as VerifyReport;
    const failedTenants = [...new Set(report.results.filter((x) => !x.ok).map((x) => x.tenant))];
    expect(failedTenants).toEqual(['tenant-2']);
    for (const t of ['tenant-1', 'tenant-3', 'anonymous']) {
      const counts = report.results.find((x) => x.tenant === t && x.check === 'counts')!;
      expect(counts.ok, t).toBe(true);
    }
  });

  it("flush on SIGTERM delivers every stream's last counts (real serve process)", async () => {
    const gw = await b.startGateway();
    // An hour between exports: the only export of each stream is the final flush on SIGTERM.
    const serve = spawnServe(gw.otlpEndpoint, {
      exportInterval: '1h',
      extra: ['--tenant-header', 'X-Scope-OrgID'],
    });
    try {
      const base = await serveUrl(serve);
      const sent: Record<string, number> = { 'tenant-1': 4, 'tenant-2': 3, 'tenant-3': 2, anonymous: 5 };
      for (const [tenant, n] of Object.entries(sent)) {
        for (let i = 0; i < n; i++) {
          const headers: Record<string, string> = { 'X-Run-ID': 'pt-sigterm' };
          if (tenant !== 'anonymous') headers['Client-ID'] = tenant;
          const res = await fetch(`${base}/api`, { headers });
          await res.arrayBuffer();
        }
      }
      // Nothing exported yet.
      expect(await b.query('tenant-1', 'http_server_request_total{otelpoc_run_id="pt-sigterm"}')).toEqual([]);
      serve.kill('SIGTERM');
      const done = await serve.exited;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).toMatch(/4 tenant stream\(s\)/);
      // The stores take the writes at once but make them searchable a moment later: poll.
      const q = 'sum(http_server_request_total{otelpoc_run_id="pt-sigterm"})';
      const found: Record<string, number | undefined> = {};
      await pollUntil(
        async () => {
          for (const tenant of Object.keys(sent)) found[tenant] = (await b.query(tenant, q))[0]?.value;
          return Object.keys(sent).every((t) => found[t] !== undefined) ? true : undefined;
        },
        { timeoutMs: 30_000, describe: () => `${JSON.stringify(found)}\n${b.logs()}` },
      );
      expect(found).toEqual(sent);
    } finally {
      serve.kill('SIGKILL');
    }
  });

  it('doctor --topology direct checks only the direct hops, and its probe arrives by its tenant header alone', async () => {
    const gw = await b.startGateway();
    const grafana = `http://127.0.0.1:${await freePort()}`;
    const res = await mainInProcess([
      'doctor',
      '--topology',
      'direct',
      '--otlp-endpoint',
      gw.otlpEndpoint,
      '--mimir-url',
      gw.promUrl,
      '--grafana-url',
      grafana,
      '--skip',
      'grafana',
      '--tenants',
      'anonymous,tenant-1',
      '--timeout',
      '2s',
      '--probe-timeout',
      '30s',
      '--json',
    ]);
    const report = JSON.parse(res.stdout) as DoctorReport;
    expect(Object.fromEntries(report.checks.map((c) => [c.id, c.status])), res.stderr).toEqual({
      otlp: 'pass',
      mimir: 'pass',
      'mimir-tenants': 'pass',
      grafana: 'skip',
      probe: 'pass',
    });
    expect(res.code).toBe(0);
    // vmauth routes writes by X-Scope-OrgID only: the probe's series is where its header sent it.
    expect(report.checks.find((c) => c.id === 'probe')!.probe).toMatchObject({
      clientId: 'otelpoc-doctor',
      stage: 'stored',
    });
  });
});
