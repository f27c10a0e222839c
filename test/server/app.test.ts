/** The /api server over real HTTP on port 0, with the SDK's in-memory exporter to see exactly what was recorded. */
import { AggregationTemporality, DataPointType, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type InstrumentedServer, startInstrumentedServer } from '../../src/server/instrumented-server.js';

let app: InstrumentedServer;
let exporter: InMemoryMetricExporter;
let warnings: string[];

async function start(opts: { maxTenants?: number; delay?: { minMs: number; maxMs: number } } = {}) {
  exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  warnings = [];
  app = await startInstrumentedServer({
    host: '127.0.0.1',
    port: 0,
    delay: opts.delay ?? { minMs: 0, maxMs: 0 },
    limits: opts.maxTenants ? { maxTenants: opts.maxTenants } : {},
    export: { exporter, description: 'in-memory', exportIntervalMs: 60_000, exportTimeoutMs: 30_000 },
    env: { OTEL_SERVICE_NAME: 'svc-under-test', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test' },
    warn: (m) => warnings.push(m),
  });
}

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${app.url}${path}`, init);
  const body = res.status === 204 ? null : ((await res.json()) as { status?: number; error?: string });
  return { status: res.status, body, headers: res.headers };
}

/** Counter points after a flush, as "client|status|error.type" → value. */
async function recorded(): Promise<Record<string, number>> {
  await app.pipeline.forceFlush();
  const last = exporter.getMetrics().at(-1);
  const metric = last?.scopeMetrics[0]?.metrics.find((m) => m.descriptor.name === 'http.server.request');
  const out: Record<string, number> = {};
  for (const p of metric?.dataPoints ?? []) {
    const a = p.attributes;
    out[`${a.client_id ?? '-'}|${a['http.response.status_code']}|${a['error.type'] ?? '-'}`] =
      p.value as number;
  }
  return out;
}

describe('GET /api', () => {
  beforeEach(() => start());
  afterEach(() => app.stop());

  it('answers with the status asked for, and records it with the semantic-convention attributes', async () => {
    expect(await call('/api')).toMatchObject({ status: 200, body: { status: 200, client_id: null } });
    expect(await call('/api?sc=404', { headers: { 'Client-ID': '11111' } })).toMatchObject({
      status: 404,
      body: { status: 404, client_id: '11111' },
    });
    expect((await call('/api?sc=204')).status).toBe(204);
    expect(await recorded()).toEqual({ '-|200|-': 1, '11111|404|404': 1, '-|204|-': 1 });

    const metrics = exporter.getMetrics().at(-1)!;
    expect(metrics.resource.attributes).toMatchObject({
      'service.name': 'svc-under-test',
      'deployment.environment': 'test',
    });
    expect(metrics.resource.attributes['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/);
    const byName = Object.fromEntries(
      metrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]),
    );
    const hist = byName['http.server.request.duration']!;
    expect(hist.descriptor.unit).toBe('s');
    expect(hist.dataPointType).toBe(DataPointType.HISTOGRAM);
    const point = hist.dataPoints[0]!;
    expect((point.value as { buckets: { boundaries: number[] } }).buckets.boundaries).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
    ]);
    expect(point.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/api',
      'url.scheme': 'http',
    });
    expect(byName['http.server.request']!.descriptor.unit).toBe('{request}');
    expect(byName['http.server.active_requests']!.dataPoints.every((p) => p.value === 0)).toBe(true);
  });

  it('turns a bad sc, Client-ID or X-Run-ID into a 400 that names it, and still measures the request', async () => {
    const bad = await call('/api?sc=abc');
    expect(bad).toMatchObject({ status: 400, body: { status: 400 } });
    expect(bad.body?.error).toContain('sc: "abc" is not allowed; allowed: an integer from 200 to 599');
    const badTenant = await call('/api', { headers: { 'Client-ID': 'bad/id' } });
    expect(badTenant.status).toBe(400);
    expect(badTenant.body?.error).toMatch(/^Client-ID header: "bad\/id"/);
    const badRun = await call('/api', { headers: { 'X-Run-ID': 'no spaces allowed' } });
    expect(badRun.body?.error).toMatch(/^X-Run-ID header: /);
    expect(await recorded()).toEqual({ '-|400|400': 3 });
  });

  it('records the run id from X-Run-ID', async () => {
    await call('/api', { headers: { 'X-Run-ID': 'run-42', 'Client-ID': 't' } });
    await app.pipeline.forceFlush();
    const m = exporter
      .getMetrics()
      .at(-1)!
      .scopeMetrics[0]!.metrics.find((x) => x.descriptor.name === 'http.server.request')!;
    expect(m.dataPoints[0]!.attributes).toMatchObject({ client_id: 't', otelpoc_run_id: 'run-42' });
  });

  it('answers 405 to other methods on /api (measured), 404 elsewhere and /healthz (not measured)', async () => {
    const post = await call('/api', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await call('/other')).status).toBe(404);
    expect(await call('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await recorded()).toEqual({ '-|405|405': 1 });
  });
});

describe('cardinality cap', () => {
  afterEach(() => app.stop());

  it('records tenants past --max-tenants as __overflow__ and warns once', async () => {
    await start({ maxTenants: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'a']) await call('/api', { headers: { 'Client-ID': id } });
    expect(await recorded()).toEqual({ 'a|200|-': 2, 'b|200|-': 1, '__overflow__|200|-': 2 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/more than 2 distinct Client-ID values.*client_id="__overflow__"/);
  });
});

describe('graceful stop', () => {
  it('lets in-flight requests finish and records them before the final flush', async () => {
    await start({ delay: { minMs: 300, maxMs: 300 } });
    const pending = Promise.all([call('/api?sc=201'), call('/api?sc=201')]);
    // Both requests are inside their 300 ms delay once the server counts them in flight.
    await vi.waitFor(() => expect(app.server.inFlight).toBe(2), { timeout: 5_000, interval: 5 });
    await app.stop();
    expect((await pending).map((r) => r.status)).toEqual([201, 201]);
    const metric = exporter
      .getMetrics()
      .at(-1)!
      .scopeMetrics[0]!.metrics.find((m) => m.descriptor.name === 'http.server.request')!;
    expect(metric.dataPoints.map((p) => p.value)).toEqual([2]);
  });

  it('records a request cut when the drain times out before the final export, and ends it as active', async () => {
    await start({ delay: { minMs: 3_000, maxMs: 3_000 } });
    const pending = call('/api', { headers: { 'Client-ID': 'tenant-1' } }).then(
      () => 'answered',
      () => 'cut',
    );
    await vi.waitFor(() => expect(app.server.inFlight).toBe(1), { timeout: 5_000, interval: 5 });
    await app.stop({ drainTimeoutMs: 200 });
    expect(await pending).toBe('cut');
    const byName = Object.fromEntries(
      exporter
        .getMetrics()
        .at(-1)!
        .scopeMetrics.flatMap((sc) => sc.metrics)
        .map((m) => [m.descriptor.name, m]),
    );
    // No status: none was sent; error.type says why it ended.
    expect(byName['http.server.request']!.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [
        {
          client_id: 'tenant-1',
          'error.type': 'drain_timeout',
          'http.request.method': 'GET',
          'http.route': '/api',
          'url.scheme': 'http',
        },
        1,
      ],
    ]);
    expect(byName['http.server.active_requests']!.dataPoints.map((p) => p.value)).toEqual([0]);
    expect(app.server.cutAtDrain).toBe(1);
  });

  it('records a request whose client went away once, without a status', async () => {
    await start({ delay: { minMs: 3_000, maxMs: 3_000 } });
    const gone = new AbortController();
    const pending = call('/api', { signal: gone.signal }).catch(() => 'cut');
    await vi.waitFor(() => expect(app.server.inFlight).toBe(1), { timeout: 5_000, interval: 5 });
    gone.abort();
    expect(await pending).toBe('cut');
    await vi.waitFor(() => expect(app.server.inFlight).toBe(0), { timeout: 5_000, interval: 5 });
    expect(await recorded()).toEqual({ '-|undefined|aborted': 1 });
    expect(app.server.cutAtDrain).toBe(0);
    await app.stop();
  });
});
