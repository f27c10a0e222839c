/**
 * Per-tenant export streams, in process: each tenant's counts go to its own exporter only, the
 * stream count stays bounded under 10,000 distinct Client-IDs, one tenant's exporter failing stops no
 * other, and idle streams are flushed and closed. Exporters are the SDK's own in-memory exporter.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../src/server/request-metrics.js';
import { TenantStreams } from '../../src/server/tenant-streams.js';

function streams(opts: { maxTenants?: number; fail?: string[]; now?: () => number; idleMs?: number } = {}) {
  const exporters = new Map<string, InMemoryMetricExporter>();
  const warnings: string[] = [];
  const created: string[] = [];
  const ts = new TenantStreams({
    tenantExport: { header: 'X-Scope-OrgID', defaultTenant: 'anonymous', idleMs: opts.idleMs },
    limits: { ...DEFAULT_LIMITS, maxTenants: opts.maxTenants ?? 1000 },
    exporterFor: (tenant) => {
      created.push(tenant);
      if (opts.fail?.includes(tenant)) return refusing();
      const e = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
      exporters.set(tenant, e);
      return e;
    },
    target: 'http://backend/v1/metrics',
    exportIntervalMs: 3_600_000, // only explicit flushes export
    exportTimeoutMs: 1000,
    env: {},
    warn: (m) => warnings.push(m),
    sweepIntervalMs: 0,
    ...(opts.now ? { now: opts.now } : {}),
  });
  return { ts, exporters, warnings, created };
}

/** An exporter whose backend answers 400 to every export. */
function refusing(): PushMetricExporter {
  return {
    export: (_m: ResourceMetrics, done: (r: ExportResult) => void) =>
      done({ code: ExportResultCode.FAILED, error: new Error('Bad Request (HTTP 400)') }),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
}

function request(ts: TenantStreams, clientId: string | undefined, statusCode = 200) {
  const end = ts.begin('GET', 'http', clientId);
  end();
  ts.record(0.01, { method: 'GET', scheme: 'http', route: '/api', statusCode, clientId, runId: 'r1' });
}

/** The request counter's points in the exporter's last export: client_id (or '-') → count. */
function counts(e: InMemoryMetricExporter | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const last = e?.getMetrics().at(-1);
  for (const scope of last?.scopeMetrics ?? []) {
    for (const m of scope.metrics) {
      if (m.descriptor.name !== 'http.server.request' || m.dataPointType !== DataPointType.SUM) continue;
      for (const dp of m.dataPoints) {
        const key = String(dp.attributes.client_id ?? '-');
        out[key] = (out[key] ?? 0) + (dp.value as number);
      }
    }
  }
  return out;
}

describe('TenantStreams', () => {
  it("routes each tenant's requests to its own stream only, and requests without Client-ID to the default tenant", async () => {
    const { ts, exporters } = streams();
    for (let i = 0; i < 3; i++) request(ts, 'tenant-1');
    request(ts, 'tenant-2', 404);
    request(ts, undefined);
    request(ts, undefined);
    await ts.shutdown();
    expect([...exporters.keys()].sort()).toEqual(['anonymous', 'tenant-1', 'tenant-2']);
    expect(counts(exporters.get('tenant-1'))).toEqual({ 'tenant-1': 3 });
    expect(counts(exporters.get('tenant-2'))).toEqual({ 'tenant-2': 1 });
    // Same attributes as the single stream: no client_id without Client-ID.
    expect(counts(exporters.get('anonymous'))).toEqual({ '-': 2 });
    expect(ts.stats).toMatchObject({ failures: 0, consecutiveFailures: 0 });
  });

  it('keeps the number of streams bounded under 10,000 distinct Client-IDs', async () => {
    const { ts, exporters, warnings, created } = streams({ maxTenants: 50 });
    for (let i = 0; i < 10_000; i++) request(ts, `client-${i}`);
    request(ts, undefined);
    // 50 named streams + the overflow tenant + the default tenant, never more.
    expect(ts.streamCount.open).toBe(52);
    expect(ts.streamCount.peak).toBe(52);
    expect(created.length).toBe(52);
    expect(warnings.filter((w) => w.includes('__overflow__'))).toHaveLength(1);
    await ts.shutdown();
    expect(counts(exporters.get('__overflow__'))).toEqual({ __overflow__: 10_000 - 50 });
    expect(counts(exporters.get('client-0'))).toEqual({ 'client-0': 1 });
  });

  it("one tenant's backend refusing does not stop the other streams, and is reported by tenant", async () => {
    const { ts, exporters, warnings } = streams({ fail: ['tenant-2'] });
    for (const t of ['tenant-1', 'tenant-2', 'tenant-3']) for (let i = 0; i < 5; i++) request(ts, t);
    await ts.forceFlush(); // tenant-2's export fails here
    for (const t of ['tenant-1', 'tenant-2', 'tenant-3']) request(ts, t);
    await ts.shutdown();
    expect(counts(exporters.get('tenant-1'))).toEqual({ 'tenant-1': 6 });
    expect(counts(exporters.get('tenant-3'))).toEqual({ 'tenant-3': 6 });
    const byTenant = Object.fromEntries(ts.streamStats().map((s) => [s.tenant, s.lastExportOk]));
    expect(byTenant).toEqual({ 'tenant-1': true, 'tenant-2': false, 'tenant-3': true });
    expect(ts.stats.consecutiveFailures).toBe(1);
    expect(ts.stats.lastError).toMatch(/tenant "tenant-2": .*400/);
    // Warned once per failure streak, naming the tenant.
    expect(warnings.filter((w) => w.includes('"tenant-2"') && w.includes('failed'))).toHaveLength(1);
  });

  it('flushes and closes streams idle for idleMs, which frees their place under the cap', async () => {
    let now = 0;
    const { ts, exporters, created } = streams({ maxTenants: 2, idleMs: 60_000, now: () => now });
    request(ts, 'tenant-1');
    request(ts, 'tenant-2');
    now = 30_000;
    request(ts, 'tenant-2');
    now = 60_000;
    await ts.sweepIdle(); // tenant-1 idle for 60 s: closed, with its final export
    expect(ts.streamCount).toMatchObject({ open: 1, closed: 1 });
    expect(counts(exporters.get('tenant-1'))).toEqual({ 'tenant-1': 1 });
    // An active request keeps its stream open, however long it takes.
    const end = ts.begin('GET', 'http', 'tenant-2');
    now = 200_000;
    await ts.sweepIdle();
    expect(ts.streamCount.open).toBe(1);
    end();
    // At the cap, a new Client-ID takes an idle stream's place instead of overflowing.
    request(ts, 'tenant-3');
    request(ts, 'tenant-4');
    now = 400_000;
    request(ts, 'tenant-5');
    expect(created).not.toContain('__overflow__');
    await ts.shutdown();
    expect(counts(exporters.get('tenant-5'))).toEqual({ 'tenant-5': 1 });
  });

  it('each stream reports its own active requests at collection: the count in flight, then 0', async () => {
    const { ts, exporters } = streams();
    const ends = [
      ts.begin('GET', 'http', 'tenant-a'),
      ts.begin('GET', 'http', 'tenant-a'),
      ts.begin('GET', 'http', 'tenant-b'),
      ts.begin('GET', 'http', undefined),
    ];
    await ts.forceFlush();
    expect(active(exporters.get('tenant-a'))).toEqual({ 'tenant-a': 2 });
    expect(active(exporters.get('tenant-b'))).toEqual({ 'tenant-b': 1 });
    // Requests without Client-ID are the default tenant's, and carry no client_id.
    expect(active(exporters.get('anonymous'))).toEqual({ '-': 1 });
    ends[0]!();
    await ts.forceFlush();
    expect(active(exporters.get('tenant-a'))).toEqual({ 'tenant-a': 1 });
    expect(active(exporters.get('tenant-b'))).toEqual({ 'tenant-b': 1 });
    for (const end of ends.slice(1)) end();
    await ts.forceFlush();
    expect(active(exporters.get('tenant-a'))).toEqual({ 'tenant-a': 0 });
    expect(active(exporters.get('tenant-b'))).toEqual({ 'tenant-b': 0 });
    expect(active(exporters.get('anonymous'))).toEqual({ '-': 0 });
    await ts.shutdown();
  });
});

/** The active-requests points in the exporter's last export: client_id (or '-') → value. */
function active(e: InMemoryMetricExporter | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const last = e?.getMetrics().at(-1);
  for (const scope of last?.scopeMetrics ?? []) {
    for (const m of scope.metrics) {
      if (m.descriptor.name !== 'http.server.active_requests') continue;
      for (const dp of m.dataPoints) {
        const key = String(dp.attributes.client_id ?? '-');
        out[key] = (out[key] ?? 0) + (dp.value as number);
      }
    }
  }
  return out;
}
