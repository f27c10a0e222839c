/**
 * RequestMetrics records through the SDK's own instruments; read back through the SDK's
 * InMemoryMetricExporter, exactly what an OTLP exporter would be handed.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  type Histogram,
  InMemoryMetricExporter,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTE_CACHE_LIMIT,
  type CardinalityLimits,
  DEFAULT_LIMITS,
  RequestMetrics,
} from '../../src/server/request-metrics.js';
import { createMetricsPipeline } from '../../src/telemetry/provider.js';

function setUp(limits: Partial<CardinalityLimits> = {}) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const pipeline = createMetricsPipeline({
    exporter,
    exportIntervalMs: 3_600_000,
    exportTimeoutMs: 30_000,
    env: {},
  });
  const warnings: string[] = [];
  const metrics = new RequestMetrics(pipeline.meter, { ...DEFAULT_LIMITS, ...limits }, (m) =>
    warnings.push(m),
  );
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

  it('run ids that come and go over a long life: the cache starts over past its limit', async () => {
    // Idle after 0 ms: every new run id takes the place of the previous one in the limiter.
    const { metrics, pipeline } = setUp({ maxRunIds: 1, runIdIdleMs: 0 });
    for (let i = 0; i < ATTRIBUTE_CACHE_LIMIT + 500; i++) request(metrics, 't1', 200, `run-${i}`);
    expect(metrics.cachedAttributeSets.recorded).toBeLessThanOrEqual(ATTRIBUTE_CACHE_LIMIT);
    expect(metrics.cachedAttributeSets.active).toBe(1);
    await pipeline.shutdown();
  });
});
