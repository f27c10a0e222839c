/**
 * A test RELAY that EMULATES Alloy's `otelcol.processor.deltatocumulative` (there is no Alloy on
 * these machines): it takes OTLP/HTTP JSON exports (the SDK's http/json exporter: `otelpoc
 * --otlp-protocol http/json --temporality delta`), keeps a running total per stream (resource ×
 * scope × metric × data point attributes) of each DELTA sum and explicit-bucket histogram, and
 * forwards the totals as CUMULATIVE (start time: the stream's first) with the official OTLP/HTTP
 * protobuf exporter to an endpoint such as VictoriaMetrics' — which itself takes no delta and no
 * JSON. Cumulative points (the active-requests gauge) and gauges pass as they are. Exponential
 * histograms under delta are refused (HTTP 400): this emulation does not merge their scales.
 * Each request's body is kept, to check what the CLI really exported.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ValueType } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

/** OTLP JSON (protobuf's JSON mapping, as the SDK's JsonMetricsSerializer writes it), the parts used here. */
interface JsonValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface JsonPoint {
  attributes?: { key: string; value: JsonValue }[];
  startTimeUnixNano?: string | number;
  timeUnixNano?: string | number;
  asInt?: string | number;
  asDouble?: number;
  count?: string | number;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts?: (string | number)[];
  explicitBounds?: number[];
}
interface JsonMetric {
  name: string;
  unit?: string;
  description?: string;
  sum?: { aggregationTemporality?: number; isMonotonic?: boolean; dataPoints: JsonPoint[] };
  gauge?: { dataPoints: JsonPoint[] };
  histogram?: { aggregationTemporality?: number; dataPoints: JsonPoint[] };
  exponentialHistogram?: { aggregationTemporality?: number; dataPoints: JsonPoint[] };
}
export interface JsonExport {
  resourceMetrics: {
    resource?: { attributes?: { key: string; value: JsonValue }[] };
    scopeMetrics: { scope?: { name?: string; version?: string }; metrics: JsonMetric[] }[];
  }[];
}

const DELTA = 1;

export interface DeltaToCumulativeRelay {
  /** OTLP base URL: the exporter posts to `${endpoint}/v1/metrics`. */
  endpoint: string;
  /** Every export received, parsed (what the SDK sent, before the conversion). */
  received: JsonExport[];
  /** Forwarded exports and their errors. */
  forwarded: { ok: number; errors: string[] };
  close(): Promise<void>;
}

function attrs(list: { key: string; value: JsonValue }[] = []): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

const hr = (nanos: string | number | undefined): [number, number] => {
  const n = BigInt(nanos ?? 0);
  return [Number(n / 1_000_000_000n), Number(n % 1_000_000_000n)];
};

interface Total {
  start: [number, number];
  value: number;
  hist?: { counts: number[]; boundaries: number[]; count: number; sum: number; min: number; max: number };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the relay on a loopback port, forwarding to `target` (an OTLP base URL, /v1/metrics appended). */
export async function startDeltaToCumulativeRelay(target: string): Promise<DeltaToCumulativeRelay> {
  const exporter = new OTLPMetricExporter({ url: `${target.replace(/\/+$/, '')}/v1/metrics` });
  const totals = new Map<string, Total>();
  const received: JsonExport[] = [];
  const forwarded = { ok: 0, errors: [] as string[] };

  /** One export → the same, every delta point replaced by its stream's running total. */
  function accumulate(doc: JsonExport): ResourceMetrics[] {
    return doc.resourceMetrics.map((rm) => {
      const resource = attrs(rm.resource?.attributes);
      return {
        resource: resourceFromAttributes(resource),
        scopeMetrics: rm.scopeMetrics.map((sm) => ({
          scope: { name: sm.scope?.name ?? '', ...(sm.scope?.version ? { version: sm.scope.version } : {}) },
          metrics: sm.metrics.map((m): MetricData => {
            const stream = (p: JsonPoint) =>
              JSON.stringify([resource, sm.scope?.name, m.name, attrs(p.attributes)]);
            const descriptor = { name: m.name, unit: m.unit ?? '', description: m.description ?? '' };
            if (m.exponentialHistogram) {
              throw new Error(`${m.name}: exponential histograms are not accumulated by this emulation`);
            }
            if (m.histogram) {
              const delta = m.histogram.aggregationTemporality === DELTA;
              return {
                descriptor: { ...descriptor, valueType: ValueType.DOUBLE },
                aggregationTemporality: AggregationTemporality.CUMULATIVE,
                dataPointType: DataPointType.HISTOGRAM,
                dataPoints: m.histogram.dataPoints.map((p) => {
                  const counts = (p.bucketCounts ?? []).map(Number);
                  const point = {
                    counts,
                    boundaries: p.explicitBounds ?? [],
                    count: Number(p.count ?? 0),
                    sum: p.sum ?? 0,
                    min: p.min ?? Number.POSITIVE_INFINITY,
                    max: p.max ?? Number.NEGATIVE_INFINITY,
                  };
                  let t = totals.get(stream(p));
                  if (!delta || !t?.hist) {
                    t = { start: hr(p.startTimeUnixNano), value: 0, hist: point };
                    totals.set(stream(p), t);
                  } else {
                    const h = t.hist;
                    h.counts = h.counts.map((c, i) => c + (counts[i] ?? 0));
                    h.count += point.count;
                    h.sum += point.sum;
                    h.min = Math.min(h.min, point.min);
                    h.max = Math.max(h.max, point.max);
                  }
                  const h = t.hist!;
                  return {
                    startTime: t.start,
                    endTime: hr(p.timeUnixNano),
                    attributes: attrs(p.attributes),
                    value: {
                      buckets: { boundaries: h.boundaries, counts: [...h.counts] },
                      count: h.count,
                      sum: h.sum,
                      min: h.min,
                      max: h.max,
                    },
                  };
                }),
              };
            }
            const points = m.sum?.dataPoints ?? m.gauge?.dataPoints ?? [];
            const int = points.some((p) => p.asInt !== undefined);
            const delta = m.sum?.aggregationTemporality === DELTA;
            const dataPoints = points.map((p) => {
              const v = Number(p.asInt ?? p.asDouble ?? 0);
              let t = totals.get(stream(p));
              if (!delta || !t) {
                t = { start: hr(p.startTimeUnixNano), value: v };
                totals.set(stream(p), t);
              } else {
                t.value += v;
              }
              return {
                startTime: t.start,
                endTime: hr(p.timeUnixNano),
                attributes: attrs(p.attributes),
                value: t.value,
              };
            });
            const valueType = int ? ValueType.INT : ValueType.DOUBLE;
            return m.sum
              ? {
                  descriptor: { ...descriptor, valueType },
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  dataPointType: DataPointType.SUM,
                  isMonotonic: m.sum.isMonotonic ?? false,
                  dataPoints,
                }
              : {
                  descriptor: { ...descriptor, valueType },
                  aggregationTemporality: AggregationTemporality.CUMULATIVE,
                  dataPointType: DataPointType.GAUGE,
                  dataPoints,
                };
          }),
        })),
      };
    });
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const doc = JSON.parse(await body(req)) as JsonExport;
        received.push(doc);
        for (const rm of accumulate(doc)) {
          const result = await new Promise<{ code: number; error?: Error }>((done) =>
            exporter.export(rm, done),
          );
          if (result.code === ExportResultCode.SUCCESS) forwarded.ok++;
          else throw result.error ?? new Error('forward failed');
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (err) {
        forwarded.errors.push(String(err));
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: String(err) }));
      }
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    forwarded,
    close: async () => {
      await new Promise<void>((ok) => server.close(() => ok()));
      await exporter.shutdown();
    },
  };
}
