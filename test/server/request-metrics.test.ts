/**
 * RequestMetrics records through the SDK's own instruments; read back through the SDK's
 * InMemoryMetricExporter, exactly what an OTLP exporter would be handed.
 */
import type { Attributes, Meter } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  InMemoryMetricExporter,
  InstrumentType,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  type CardinalityLimits,
  DEFAULT_LIMITS,
  OVERFLOW_ATTRIBUTES,
  RequestMetrics,
} from '../../src/server/request-metrics.js';
import { createMetricsPipeline } from '../../src/telemetry/provider.js';

/** A meter whose synchronous instruments count their calls (add, record) into `calls`. */
function countingMeter(meter: Meter, calls: { n: number }): Meter {
  const counted = <T extends object>(instrument: T): T =>
    new Proxy(instrument, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if ((prop === 'add' || prop === 'record') && typeof value === 'function') {
          return (...args: unknown[]) => {
            calls.n++;
            return value.apply(target, args);
          };
        }
        return value;
      },
    });
  return new Proxy(meter, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop === 'string' && /^create(Histogram|Counter|UpDownCounter|Gauge)$/.test(prop)) {
        return (...args: unknown[]) => counted(value.apply(target, args));
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function setUp(limits: Partial<CardinalityLimits> = {}, calls?: { n: number }) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const pipeline = createMetricsPipeline({
    exporter,
    exportIntervalMs: 3_600_000,
    exportTimeoutMs: 30_000,
    env: {},
  });
  const warnings: string[] = [];
  const meter = calls ? countingMeter(pipeline.meter, calls) : pipeline.meter;
  const metrics = new RequestMetrics(meter, { ...DEFAULT_LIMITS, ...limits }, (m) => warnings.push(m));
  const collect = async (): Promise<Record<string, MetricData>> => {
    await pipeline.forceFlush();
    const last = exporter.getMetrics().at(-1)!;
    return Object.fromEntries(last.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]));
  };
  return { metrics, pipeline, warnings, collect };
}

function request(metrics: RequestMetrics, clientId: string | undefined, status: number, runId?: string) {
  const end = metrics.begin('GET', 'http', clientId);
  end();
  metrics.record(0.001 * (1 + (status % 7)), {
    method: 'GET',
    scheme: 'http',
    route: '/api',
    statusCode: status,
    clientId,
    runId,
  });
}

const key = (a: Attributes) => JSON.stringify(Object.entries(a).sort());

describe('RequestMetrics', () => {
  it('counter == histogram count (and _sum adds up) per attribute set after N requests', async () => {
    const { metrics, pipeline, collect } = setUp();
    const tenants = ['t1', 't2', undefined];
    const statuses = [200, 201, 404, 503];
    const expected = new Map<string, { count: number; sum: number }>();
    for (let i = 0; i < 1_000; i++) {
      const tenant = tenants[i % 3];
      const status = statuses[(i * 7) % 4]!;
      request(metrics, tenant, status, i % 5 === 0 ? undefined : 'run-a');
    }
    const byName = await collect();
    const counter = byName['http.server.request']!;
    const hist = byName['http.server.request.duration']!;
    expect(counter.dataPointType).toBe(DataPointType.SUM);
    expect(hist.dataPointType).toBe(DataPointType.HISTOGRAM);

    const counts = new Map(counter.dataPoints.map((p) => [key(p.attributes), p.value as number]));
    for (const p of hist.dataPoints) {
      const h = p.value as Histogram;
      expected.set(key(p.attributes), { count: h.count, sum: h.sum ?? Number.NaN });
      expect(h.buckets.counts.reduce((a, b) => a + b, 0)).toBe(h.count);
    }
    expect(counts.size).toBe(hist.dataPoints.length);
    expect(counts.size).toBe(3 * 4 * 2);
    for (const [k, v] of expected) expect(counts.get(k), k).toBe(v.count);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(1_000);

    const sample = hist.dataPoints.find(
      (p) => p.attributes.client_id === 't1' && p.attributes['http.response.status_code'] === 404,
    )!;
    expect(sample.attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': '/api',
      'http.response.status_code': 404,
      'error.type': '404',
      client_id: 't1',
      otelpoc_run_id: 'run-a',
    });
    const h = sample.value as Histogram;
    expect(h.sum).toBeCloseTo(h.count * 0.001 * (1 + (404 % 7)), 9);
    // Active requests: back to 0 for every set once each request ended.
    expect(byName['http.server.active_requests']!.dataPoints.map((p) => p.value)).toEqual([0, 0, 0]);
    await pipeline.shutdown();
  });

  it('10,000 distinct Client-IDs: at most max-tenants + 1 cached sets, and series', async () => {
    const { metrics, pipeline, warnings, collect } = setUp({ maxTenants: 50 });
    for (let i = 0; i < 10_000; i++) request(metrics, `tenant-${i}`, 200, 'run-a');
    expect(metrics.cachedAttributeSets).toEqual({ recorded: 51, active: 51 });
    expect(warnings).toHaveLength(1);
    const counter = (await collect())['http.server.request']!;
    expect(counter.dataPoints).toHaveLength(51);
    const overflow = counter.dataPoints.find((p) => p.attributes.client_id === '__overflow__')!;
    expect(overflow.value).toBe(10_000 - 50);
    await pipeline.shutdown();
  });

  it('run ids that come and go over a long life: every set counted, then both instruments fold into the overflow set', async () => {
    // Idle after 0 ms: every new run id takes the place of the previous one in the limiter.
    const { metrics, pipeline, warnings, collect } = setUp({
      maxRunIds: 1,
      runIdIdleMs: 0,
      maxAttributeSets: 300,
    });
    for (let i = 0; i < 500; i++) request(metrics, 't1', 200, `run-${i}`);
    request(metrics, 't1', 200, 'run-0'); // an early set still counts on
    expect(metrics.cachedAttributeSets).toEqual({ recorded: 300, active: 1 });
    expect(warnings).toEqual([expect.stringContaining('more than 300 attribute sets')]);
    const byName = await collect();
    const counts = new Map(
      byName['http.server.request']!.dataPoints.map((p) => [key(p.attributes), p.value as number]),
    );
    const hist = byName['http.server.request.duration']!.dataPoints;
    expect(counts.size).toBe(301);
    expect(counts.get(key(OVERFLOW_ATTRIBUTES))).toBe(200);
    expect(counts.get(key({ ...hist[0]!.attributes, otelpoc_run_id: 'run-0' }))).toBe(2);
    for (const p of hist) expect(counts.get(key(p.attributes))).toBe((p.value as Histogram).count);
    await pipeline.shutdown();
  });

  it('active requests: the count of each attribute set in flight at collection, 0 once they ended', async () => {
    const { metrics, pipeline, collect } = setUp();
    const ends = [
      metrics.begin('GET', 'http', 't1'),
      metrics.begin('GET', 'http', 't1'),
      metrics.begin('GET', 'https', 't1'),
      metrics.begin('HEAD', 'http', 't1'),
      metrics.begin('GET', 'http', 't2'),
      metrics.begin('GET', 'http', undefined),
      metrics.begin('GET', 'http', undefined),
      metrics.begin('GET', 'http', undefined),
    ];
    const active = async () => {
      const m = (await collect())['http.server.active_requests']!;
      return { m, values: Object.fromEntries(m.dataPoints.map((p) => [key(p.attributes), p.value])) };
    };
    const set = (method: string, scheme: string, clientId?: string) =>
      key({
        'http.request.method': method,
        'url.scheme': scheme,
        ...(clientId === undefined ? {} : { client_id: clientId }),
      });
    const during = await active();
    // Name, unit, description and kind as the semantic conventions give them: a non-monotonic sum.
    expect(during.m.descriptor).toMatchObject({
      name: 'http.server.active_requests',
      unit: '{request}',
      description: 'Number of active HTTP server requests.',
    });
    expect(during.m.dataPointType).toBe(DataPointType.SUM);
    expect(during.m.dataPointType === DataPointType.SUM && during.m.isMonotonic).toBe(false);
    expect(during.values).toEqual({
      [set('GET', 'http', 't1')]: 2,
      [set('GET', 'https', 't1')]: 1,
      [set('HEAD', 'http', 't1')]: 1,
      [set('GET', 'http', 't2')]: 1,
      [set('GET', 'http')]: 3,
    });
    ends[0]!();
    ends[5]!();
    const partly = await active();
    expect(partly.values[set('GET', 'http', 't1')]).toBe(1);
    expect(partly.values[set('GET', 'http')]).toBe(2);
    for (const [i, end] of ends.entries()) if (i !== 0 && i !== 5) end();
    const after = await active();
    expect(Object.keys(after.values)).toHaveLength(5);
    expect(Object.values(after.values).every((v) => v === 0)).toBe(true);
    await pipeline.shutdown();
  });

  it('costs one synchronous SDK call per request: the counter and the active requests are observed at collection', async () => {
    const calls = { n: 0 };
    const { metrics, pipeline, collect } = setUp({}, calls);
    for (let i = 0; i < 100; i++) request(metrics, `t${i % 3}`, 200, 'run-a');
    // Histogram.record; the counts are plain numbers the SDK reads itself.
    expect(calls.n).toBe(100);
    const byName = await collect();
    // The SDK hands the instrument's kind on at run time; its public MetricDescriptor type omits it.
    const type = (name: string) => (byName[name]!.descriptor as { type?: unknown }).type;
    expect(type('http.server.active_requests')).toBe(InstrumentType.OBSERVABLE_UP_DOWN_COUNTER);
    expect(type('http.server.request')).toBe(InstrumentType.OBSERVABLE_COUNTER);
    const counter = byName['http.server.request']!;
    expect(counter.dataPointType === DataPointType.SUM && counter.isMonotonic).toBe(true);
    await pipeline.shutdown();
  });

  for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
    it(`counter == histogram count in every export while requests are recorded between exports (${AggregationTemporality[temporality]})`, async () => {
      const exporter = new InMemoryMetricExporter(temporality);
      const pipeline = createMetricsPipeline({ exporter, exportIntervalMs: 2, exportTimeoutMs: 2, env: {} });
      const metrics = new RequestMetrics(pipeline.meter, DEFAULT_LIMITS, () => {});
      // Requests end from every kind of callback: I/O-less macrotasks, ticks and microtasks, as
      // responses close in serve; the periodic reader collects meanwhile, every 2 ms.
      let recorded = 0;
      const until = performance.now() + 300;
      await new Promise<void>((resolve) => {
        const burst = () => {
          for (let i = 0; i < 20; i++) {
            const status = [200, 404, 503][i % 3]!;
            const run = () => {
              request(metrics, `t${i % 4}`, status, 'run-a');
              recorded++;
            };
            if (i % 3 === 0) process.nextTick(run);
            else if (i % 3 === 1) queueMicrotask(run);
            else run();
          }
          if (performance.now() < until) setImmediate(burst);
          else setTimeout(resolve, 5);
        };
        burst();
      });
      await pipeline.shutdown();
      const exports = exporter.getMetrics();
      expect(exports.length).toBeGreaterThan(10);
      let total = 0;
      for (const [n, rm] of exports.entries()) {
        const byName = Object.fromEntries(
          rm.scopeMetrics.flatMap((s) => s.metrics).map((m) => [m.descriptor.name, m]),
        );
        const counter = byName['http.server.request'];
        const hist = byName['http.server.request.duration'];
        const counts = new Map(
          (counter?.dataPoints ?? []).map((p) => [key(p.attributes), p.value as number]),
        );
        const histCounts = new Map(
          (hist?.dataPoints ?? []).map((p) => [key(p.attributes), (p.value as Histogram).count]),
        );
        // A delta export leaves out a set with nothing new in the histogram, and reports it 0 in the counter.
        for (const [k, v] of counts) expect(histCounts.get(k) ?? 0, `export ${n}: ${k}`).toBe(v);
        for (const [k, v] of histCounts) expect(counts.get(k) ?? 0, `export ${n}: ${k}`).toBe(v);
        if (temporality === AggregationTemporality.DELTA)
          total += [...counts.values()].reduce((a, b) => a + b, 0);
        else total = [...counts.values()].reduce((a, b) => a + b, 0);
      }
      expect(total).toBe(recorded);
    });
  }
});
