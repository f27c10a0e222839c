/**
 * Exports "a run" of known counts per tenant × status in one kind of OTLP data, with the
 * OpenTelemetry SDK itself (MeterProvider + the official OTLP/HTTP protobuf exporter): the same
 * instruments, units and attributes as `otelpoc serve` records (src/telemetry/names.ts), a
 * temporality preference for delta, a View for exponential histograms. Until otelpoc's own serve
 * emits every kind (issue 18, another branch), this is how the verify tests send them. Each tenant
 * has its own provider and exporter (its X-Scope-OrgID header, when asked), so one tenant's export
 * can be left out on purpose. Every request is recorded in `batches` exports (several deltas).
 */

import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { ATTR, DURATION_BUCKETS_S, INSTRUMENTS, TENANT_HEADER } from '../../src/telemetry/names.js';
import type { RunExpectation, TenantExpectation } from '../../src/verify/expectations.js';
import type { SentKind } from '../../src/verify/kinds/kind.js';

export interface KindRun {
  runId: string;
  /** Per tenant (its client_id): requests per status. */
  counts: Record<string, Record<number, number>>;
  kind: SentKind;
  /** OTLP base URL; the exporter posts to `${endpoint}/v1/metrics`. */
  endpoint: string;
  /** Send each tenant's data with X-Scope-OrgID: <tenant> (a per-tenant stream, as into Mimir or Cortex). */
  tenantHeader?: boolean;
  /** Exports per tenant (the requests are spread over them). Default 3. */
  batches?: number;
  /** Tenants whose data is recorded but never exported (a lost stream: the checks must go red). */
  skipExport?: string[];
  /** The duration each request records, s. Default 0.02. */
  durationS?: number;
  /**
   * Also record http.server.active_requests (an UpDownCounter, as serve's gauge): cumulative under
   * a delta or lowmemory preference (the SDK's rule), so an export holds both temporalities.
   */
  withActiveRequests?: boolean;
}

/**
 * The request counter is an ObservableCounter read at collection, as otelpoc serve records it,
 * when `kind.requestCounter` says so; else a synchronous Counter (what serve used before).
 */
const observable = (run: KindRun) => run.kind.requestCounter === 'observable';

export interface KindRunResult {
  /** Export results per tenant: how many succeeded, and the errors of the others. */
  exports: Record<string, { ok: number; errors: string[] }>;
  /** What verify must find (the tenants' latency sums are the recorded durations, +1 ms each). */
  expectation: RunExpectation;
}

/**
 * Counts exports and their errors (the SDK itself stays silent about a refused export). `lost`: the
 * stream is lost on the way: every export (the shutdown's final one too) is dropped, unsent.
 */
function counted(
  inner: PushMetricExporter,
  into: { ok: number; errors: string[] },
  lost: boolean,
): PushMetricExporter {
  return {
    export(metrics: ResourceMetrics, done: (r: ExportResult) => void) {
      if (lost) {
        into.errors.push('lost on purpose (skipExport)');
        done({ code: ExportResultCode.SUCCESS });
        return;
      }
      inner.export(metrics, (r) => {
        if (r.code === ExportResultCode.SUCCESS) into.ok++;
        else into.errors.push(r.error?.message ?? 'export failed');
        done(r);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    ...(inner.selectAggregationTemporality
      ? { selectAggregationTemporality: inner.selectAggregationTemporality.bind(inner) }
      : {}),
    ...(inner.selectAggregation ? { selectAggregation: inner.selectAggregation.bind(inner) } : {}),
  };
}

const TEMPORALITY: Record<SentKind['temporality'], AggregationTemporalityPreference> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

export async function exportKindRun(run: KindRun): Promise<KindRunResult> {
  const batches = run.batches ?? 3;
  const durationS = run.durationS ?? 0.02;
  const exports: KindRunResult['exports'] = {};
  const startedAtMs = Date.now();
  for (const [tenant, byStatus] of Object.entries(run.counts)) {
    const into = { ok: 0, errors: [] as string[] };
    exports[tenant] = into;
    const exporter = counted(
      new OTLPMetricExporter({
        url: `${run.endpoint}/v1/metrics`,
        headers: run.tenantHeader ? { [TENANT_HEADER]: tenant } : {},
        temporalityPreference: TEMPORALITY[run.kind.temporality],
      }),
      into,
      run.skipExport?.includes(tenant) ?? false,
    );
    // A reader that never exports on its own: the test decides each export (forceFlush).
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'otelpoc-kind-test' }),
      readers: [reader],
      views: [
        {
          instrumentName: INSTRUMENTS.requestDuration.name,
          aggregation:
            run.kind.histogram === 'exponential'
              ? {
                  type: AggregationType.EXPONENTIAL_HISTOGRAM,
                  options: { maxSize: run.kind.exponential?.maxSize ?? 160 },
                }
              : {
                  type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
                  options: { boundaries: run.kind.boundaries ?? DURATION_BUCKETS_S },
                },
        },
      ],
    });
    const meter = provider.getMeter('otelpoc-kind-test');
    const counterOptions = {
      unit: INSTRUMENTS.requestCount.unit,
      description: INSTRUMENTS.requestCount.description,
    };
    const observed = new Map<string, { attrs: Record<string, string | number>; n: number }>();
    const counter = observable(run)
      ? {
          add(n: number, attrs: Record<string, string | number>) {
            const key = JSON.stringify(attrs);
            const c = observed.get(key) ?? { attrs, n: 0 };
            c.n += n;
            observed.set(key, c);
          },
        }
      : meter.createCounter(INSTRUMENTS.requestCount.name, counterOptions);
    if (observable(run)) {
      meter.createObservableCounter(INSTRUMENTS.requestCount.name, counterOptions).addCallback((result) => {
        for (const c of observed.values()) result.observe(c.n, c.attrs);
      });
    }
    const active = run.withActiveRequests
      ? meter.createUpDownCounter(INSTRUMENTS.activeRequests.name, {
          unit: INSTRUMENTS.activeRequests.unit,
          description: INSTRUMENTS.activeRequests.description,
        })
      : undefined;
    const hist = meter.createHistogram(INSTRUMENTS.requestDuration.name, {
      unit: INSTRUMENTS.requestDuration.unit,
      description: INSTRUMENTS.requestDuration.description,
    });
    for (let b = 0; b < batches; b++) {
      for (const [status, n] of Object.entries(byStatus)) {
        const share = Math.floor(n / batches) + (b < n % batches ? 1 : 0);
        const attrs = {
          [ATTR.method]: 'GET',
          [ATTR.route]: '/api',
          [ATTR.scheme]: 'http',
          [ATTR.statusCode]: Number(status),
          [ATTR.clientId]: tenant,
          [ATTR.runId]: run.runId,
        };
        for (let i = 0; i < share; i++) {
          counter.add(1, attrs);
          hist.record(durationS, attrs);
        }
        if (active) {
          active.add(1, attrs);
          active.add(-1, attrs);
        }
      }
      await provider.forceFlush();
    }
    await provider.shutdown();
  }
  return { exports, expectation: expectationOf(run, startedAtMs, durationS) };
}

function expectationOf(run: KindRun, startedAtMs: number, durationS: number): RunExpectation {
  const tenants: TenantExpectation[] = Object.entries(run.counts)
    .map(([tenant, byStatus]) => {
      const received = Object.values(byStatus).reduce((a, b) => a + b, 0);
      return {
        tenant,
        clientIds: [tenant],
        sent: received,
        received,
        unanswered: 0,
        refused: 0,
        byStatus: Object.entries(byStatus)
          .map(([s, n]) => ({ status: Number(s), min: n, max: n }))
          .sort((a, b) => a.status - b.status),
        // The client waits at least as long as the server measured: 1 ms more per request.
        latencySumMs: received * (durationS * 1000 + 1),
        latencyMaxMs: durationS * 1000 + 1,
      };
    })
    .sort((a, b) => a.tenant.localeCompare(b.tenant));
  return {
    runId: run.runId,
    shards: 1,
    timeoutMs: 5_000,
    startedAtMs,
    endedAtMs: Date.now(),
    tenants,
    kind: run.kind,
  };
}
