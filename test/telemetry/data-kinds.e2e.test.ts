/**
 * Every kind of metric data the server can emit, with real processes: the instrumented server core
 * (startInstrumentedServer, serve's own instruments) exports with the official exporter of each
 * protocol to a real VictoriaMetrics (the suite's backend) — over gRPC through a test relay, since no
 * OTLP gRPC receiver is packaged here. What each export carried is read where the OTLP exporter gets
 * it (observeExport: the SDK's ResourceMetrics, exactly what the exporter serialises); what the
 * backend made of it, from its query API and its own /metrics.
 */
import {
  AggregationTemporality,
  DataPointType,
  type ExponentialHistogram,
  type Histogram,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { type InstrumentedServer, startInstrumentedServer } from '../../src/server/instrumented-server.js';
import { type OtlpFlags, resolveOtlpConfig } from '../../src/telemetry/config.js';
import { INSTRUMENTS } from '../../src/telemetry/names.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, freePort, pollUntil, type VictoriaMetrics } from '../helpers/backends.js';
import { type GrpcRelay, startGrpcRelay } from '../helpers/grpc-relay.js';

const enabled = backendsAvailable('data kinds (VictoriaMetrics)');

/** One export as the OTLP exporter got it: per instrument, its point type, temporality and totals. */
interface ExportSeen {
  ok: boolean;
  requests?: { temporality: AggregationTemporality; total: number };
  duration?: {
    type: DataPointType;
    temporality: AggregationTemporality;
    count: number;
    /** Exponential: the most buckets one point has on the positive side. */
    maxBuckets?: number;
    /** Explicit: the boundaries of the first point. */
    boundaries?: number[];
  };
}

function summarise(metrics: ResourceMetrics): Omit<ExportSeen, 'ok'> {
  const out: Omit<ExportSeen, 'ok'> = {};
  for (const m of metrics.scopeMetrics.flatMap((s) => s.metrics)) {
    if (m.descriptor.name === INSTRUMENTS.requestCount.name && m.dataPointType === DataPointType.SUM) {
      out.requests = {
        temporality: m.aggregationTemporality,
        total: m.dataPoints.reduce((a, dp) => a + dp.value, 0),
      };
    }
    if (m.descriptor.name === INSTRUMENTS.requestDuration.name) {
      if (m.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) {
        const points = m.dataPoints.map((dp) => dp.value as ExponentialHistogram);
        out.duration = {
          type: m.dataPointType,
          temporality: m.aggregationTemporality,
          count: points.reduce((a, h) => a + h.count, 0),
          maxBuckets: Math.max(...points.map((h) => h.positive.bucketCounts.length)),
        };
      } else if (m.dataPointType === DataPointType.HISTOGRAM) {
        const points = m.dataPoints.map((dp) => dp.value as Histogram);
        out.duration = {
          type: m.dataPointType,
          temporality: m.aggregationTemporality,
          count: points.reduce((a, h) => a + h.count, 0),
          ...(points[0] ? { boundaries: points[0].buckets.boundaries } : {}),
        };
      }
    }
  }
  return out;
}

/** Wraps the exporter to record each export (and its result); the SDK still sees the exporter's selectors. */
function recording(seen: ExportSeen[]) {
  return (_tenant: string | undefined, inner: PushMetricExporter): PushMetricExporter => ({
    export(metrics, done) {
      const summary = summarise(metrics);
      inner.export(metrics, (result) => {
        seen.push({ ok: result.code === 0, ...summary });
        done(result);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
    selectAggregation: inner.selectAggregation?.bind(inner),
  });
}

/** The server core exporting with `flags` + `env` as resolved by telemetry/config.ts; exports only when flushed. */
async function serve(
  endpoint: string,
  runIdFlags: OtlpFlags,
  env: Record<string, string> = {},
  tenantHeader?: string,
): Promise<{ app: InstrumentedServer; seen: ExportSeen[]; warnings: string[] }> {
  const otlp = resolveOtlpConfig({ otlpEndpoint: endpoint, exportIntervalMs: 600_000, ...runIdFlags }, env);
  const seen: ExportSeen[] = [];
  const warnings: string[] = [];
  const app = await startInstrumentedServer({
    host: '127.0.0.1',
    port: 0,
    delay: { minMs: 0, maxMs: 0 },
    export: { otlp },
    observeExport: recording(seen),
    ...(tenantHeader ? { tenantExport: { header: tenantHeader, defaultTenant: 'anonymous' } } : {}),
    env: {},
    warn: (m) => warnings.push(m),
  });
  servers.push(app);
  return { app, seen, warnings };
}

const servers: InstrumentedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop({ drainTimeoutMs: 1000 })));
});

async function send(
  app: InstrumentedServer,
  runId: string,
  n: number,
  status = 200,
  clientId = 'tenant-1',
): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${app.url}/api?sc=${status}`, {
      headers: { 'Client-ID': clientId, 'X-Run-ID': runId },
    });
    await res.arrayBuffer();
    expect(res.status).toBe(status);
  }
}

/** VictoriaMetrics' own counter of OTLP rows it dropped, by reason (its /metrics). */
async function rowsDropped(vm: VictoriaMetrics, reason: string): Promise<number> {
  const text = await (await fetch(`${vm.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('vm_protoparser_rows_dropped_total{') && l.includes(`reason="${reason}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function sumIn(vm: VictoriaMetrics, promql: string): Promise<number | undefined> {
  const r = await vm.query(promql);
  return r.length ? r.reduce((a, s) => a + s.value, 0) : undefined;
}

describe.skipIf(!enabled)(
  'the kinds of metric data the server emits, and what VictoriaMetrics does with each',
  () => {
    const vm = useVictoriaMetrics();

    it('cumulative explicit (the default): cumulative sums and explicit buckets, stored exactly', async () => {
      const runId = 'kind-cumulative';
      const { app, seen } = await serve(vm.otlpEndpoint, {});
      await send(app, runId, 3);
      await app.pipeline.forceFlush();
      await send(app, runId, 2);
      await app.pipeline.forceFlush();
      const last = seen.at(-1)!;
      expect(last.ok).toBe(true);
      expect(last.requests).toEqual({ temporality: AggregationTemporality.CUMULATIVE, total: 5 });
      expect(last.duration).toMatchObject({ type: DataPointType.HISTOGRAM, count: 5 });
      expect(last.duration?.boundaries?.length).toBeGreaterThan(0);
      const stored = await pollUntil(
        async () =>
          (await sumIn(vm, `http_server_request_total{otelpoc_run_id="${runId}"}`)) === 5 ? 5 : undefined,
        {
          timeoutMs: 30_000,
          describe: () => `VictoriaMetrics never held 5 requests of ${runId}\n${vm.logs()}`,
        },
      );
      expect(stored).toBe(5);
    });

    it('delta (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=Delta) exports deltas; VictoriaMetrics answers 200 and drops them', async () => {
      const runId = 'kind-delta';
      const droppedBefore = await rowsDropped(vm, 'unsupported_sum_aggregation');
      const { app, seen } = await serve(
        vm.otlpEndpoint,
        {},
        { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta' },
      );
      await send(app, runId, 3);
      await app.pipeline.forceFlush();
      await send(app, runId, 2);
      await app.pipeline.forceFlush();
      const [first, second] = seen.slice(-2);
      // Each export holds only its own interval's requests: 3, then 2 (cumulative would say 3, then 5).
      expect(first?.requests).toEqual({ temporality: AggregationTemporality.DELTA, total: 3 });
      expect(second?.requests).toEqual({ temporality: AggregationTemporality.DELTA, total: 2 });
      expect(second?.duration).toMatchObject({ temporality: AggregationTemporality.DELTA, count: 2 });
      // Accepted (the exporter saw success), counted as dropped, and not stored.
      expect(seen.every((e) => e.ok)).toBe(true);
      const dropped = await pollUntil(
        async () => {
          const n = await rowsDropped(vm, 'unsupported_sum_aggregation');
          return n > droppedBefore ? n : undefined;
        },
        { timeoutMs: 10_000, describe: () => `no unsupported_sum_aggregation drop counted\n${vm.logs()}` },
      );
      expect(dropped).toBeGreaterThan(droppedBefore);
      expect(await rowsDropped(vm, 'unsupported_histogram_aggregation')).toBeGreaterThan(0);
      expect(await sumIn(vm, `http_server_request_total{otelpoc_run_id="${runId}"}`)).toBeUndefined();
    });

    it('exponential (OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION, max size from the flag) exports exponential histograms; VictoriaMetrics stores vmrange buckets, counts exact', async () => {
      const runId = 'kind-exponential';
      const { app, seen } = await serve(
        vm.otlpEndpoint,
        { exponentialMaxSize: 8 },
        { OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram' },
      );
      await send(app, runId, 6);
      await app.pipeline.forceFlush();
      const last = seen.at(-1)!;
      expect(last.ok).toBe(true);
      expect(last.duration).toMatchObject({
        type: DataPointType.EXPONENTIAL_HISTOGRAM,
        temporality: AggregationTemporality.CUMULATIVE,
        count: 6,
      });
      expect(last.duration?.maxBuckets).toBeLessThanOrEqual(8);
      const sel = `otelpoc_run_id="${runId}"`;
      const count = await pollUntil(
        async () =>
          (await sumIn(vm, `http_server_request_duration_seconds_count{${sel}}`)) === 6 ? 6 : undefined,
        { timeoutMs: 30_000, describe: () => `no _count of 6 for ${runId}\n${vm.logs()}` },
      );
      expect(count).toBe(6);
      // VictoriaMetrics' own histogram: vmrange buckets that sum to the count, no `le` bucket at all.
      expect(await sumIn(vm, `http_server_request_duration_seconds_bucket{${sel},vmrange!=""}`)).toBe(6);
      expect(await sumIn(vm, `http_server_request_duration_seconds_bucket{${sel},le!=""}`)).toBeUndefined();
    });

    it('http/json: VictoriaMetrics refuses it (HTTP 400, "json encoding isn\'t supported"), a failed export', async () => {
      const runId = 'kind-json';
      const { app, seen, warnings } = await serve(vm.otlpEndpoint, { protocol: 'http/json' });
      await send(app, runId, 2);
      await app.pipeline.forceFlush().catch(() => {});
      expect(seen.at(-1)?.ok).toBe(false);
      expect(app.pipeline.stats).toMatchObject({ failures: 1, lastError: 'Bad Request' });
      expect(warnings.join('\n')).toContain(
        `metrics export to ${vm.otlpEndpoint}/v1/metrics failed: Bad Request`,
      );
      // What the exporter does not show: the reason, in the 400's body.
      const res = await fetch(`${vm.otlpEndpoint}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain("json encoding isn't supported for opentelemetry format");
      expect(await sumIn(vm, `http_server_request_total{otelpoc_run_id="${runId}"}`)).toBeUndefined();
    });

    describe('gRPC, through a test relay (gRPC in, OTLP/HTTP protobuf out, bytes unchanged)', () => {
      let relay: GrpcRelay | undefined;
      afterEach(async () => {
        await relay?.stop();
        relay = undefined;
      });

      it('exports over gRPC with the headers as metadata; the counts reach VictoriaMetrics exactly', async () => {
        relay = await startGrpcRelay(`${vm.otlpEndpoint}/v1/metrics`);
        const runId = 'kind-grpc';
        const { app, seen } = await serve(
          relay.endpoint,
          {},
          {
            OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
            OTEL_EXPORTER_OTLP_HEADERS: 'X-Scope-OrgID=tenant-1',
          },
        );
        await send(app, runId, 4);
        await send(app, runId, 3, 404);
        await app.pipeline.forceFlush();
        expect(seen.at(-1)?.ok).toBe(true);
        expect(relay.calls.length).toBeGreaterThan(0);
        expect(relay.calls.at(-1)).toMatchObject({ httpStatus: 200 });
        expect(relay.calls.at(-1)?.metadata['x-scope-orgid']).toBe('tenant-1');
        const byStatus = async () => {
          const out: Record<string, number> = {};
          for (const s of await vm.query(
            `sum by (http_response_status_code) (http_server_request_total{otelpoc_run_id="${runId}"})`,
          ))
            out[s.metric.http_response_status_code ?? '-'] = s.value;
          return out;
        };
        const got = await pollUntil(
          async () => {
            const c = await byStatus();
            return c['200'] === 4 && c['404'] === 3 ? c : undefined;
          },
          {
            timeoutMs: 30_000,
            describe: () => `VictoriaMetrics never held 4×200 + 3×404 of ${runId}\n${vm.logs()}`,
          },
        );
        expect(got).toEqual({ '200': 4, '404': 3 });
      });

      it('per-tenant streams export the same kind (delta, exponential) over gRPC, each with its tenant as metadata', async () => {
        relay = await startGrpcRelay(`${vm.otlpEndpoint}/v1/metrics`);
        const { app, seen } = await serve(
          relay.endpoint,
          { protocol: 'grpc', temporality: 'delta', histogram: 'exponential' },
          {},
          'X-Scope-OrgID',
        );
        await send(app, 'kind-streams', 2, 200, 'tenant-1');
        await send(app, 'kind-streams', 3, 200, 'tenant-2');
        await app.pipeline.forceFlush();
        expect(app.streams().map((s) => s.tenant)).toEqual(['tenant-1', 'tenant-2']);
        // One export per stream, each delta with an exponential histogram of its own tenant's requests.
        expect(
          seen.map((e) => [e.ok, e.requests?.temporality, e.duration?.type, e.duration?.count]).sort(),
        ).toEqual([
          [true, AggregationTemporality.DELTA, DataPointType.EXPONENTIAL_HISTOGRAM, 2],
          [true, AggregationTemporality.DELTA, DataPointType.EXPONENTIAL_HISTOGRAM, 3],
        ]);
        expect(relay.calls.map((c) => c.metadata['x-scope-orgid']).sort()).toEqual(['tenant-1', 'tenant-2']);
      });

      it('a gRPC export to a dead port is a failed export, named in the warning', async () => {
        const dead = `http://127.0.0.1:${await freePort()}`;
        const { app, seen, warnings } = await serve(
          dead,
          { protocol: 'grpc' },
          // Short: the exporter retries UNAVAILABLE until its timeout.
          { OTEL_METRIC_EXPORT_TIMEOUT: '1000' },
        );
        await send(app, 'kind-grpc-dead', 1);
        await app.pipeline.forceFlush().catch(() => {});
        expect(seen.at(-1)?.ok).toBe(false);
        expect(app.pipeline.stats.failures).toBe(1);
        // gRPC's own status, with the cause: "14 UNAVAILABLE: No connection established. … ECONNREFUSED …".
        expect(app.pipeline.stats.lastError).toMatch(/^14 UNAVAILABLE: .*ECONNREFUSED/);
        expect(warnings.join('\n')).toContain(`metrics export to ${dead} failed: 14 UNAVAILABLE`);
      });
    });
  },
);
