import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { checkGrpcMetadataKey, type OtlpConfig } from '../telemetry/config.js';
import type { ExportStats } from '../telemetry/export-totals.js';
import { createMetricsPipeline, createOtlpExporter } from '../telemetry/provider.js';

import type { Topology } from '../telemetry/topology.js';

import type { DelayRange } from '../util/duration.js';
import type { Env } from '../util/env.js';
import { isListening } from '../util/net.js';
import { createRandom } from '../util/random.js';
import { type ApiServer, startApiServer } from './app.js';
import {
  type CardinalityLimits,
  DEFAULT_LIMITS,
  RequestMetrics,
  type RequestRecorder,
} from './request-metrics.js';
import { type StreamStats, type TenantExportOptions, TenantStreams } from './tenant-streams.js';

export interface InstrumentedServerOptions {
  host: string;
  port: number;
  delay: DelayRange;
  seed?: number | undefined;
  limits?: Partial<CardinalityLimits>;
  /** Where metrics go: an OTLP endpoint, or any exporter (the in-process capture of `otelpoc run`). */
  export:
    | { otlp: OtlpConfig }
    | {
        exporter: PushMetricExporter;
        description: string;
        exportIntervalMs: number;
        exportTimeoutMs: number;
      };
  /**
   * With an OTLP export: one export stream per tenant, each with this header set to the tenant
   * (see tenant-streams.ts). Without: one stream for every tenant (routed downstream by client_id, if anything routes).
   */
  tenantExport?: TenantExportOptions | undefined;
  /**
   * Sees each OTLP exporter before the SDK gets it, and may wrap it (the canary records what each
   * stream exported): `tenant` is the stream's tenant, undefined for the single stream. The exporter
   * itself is still made here, by createOtlpExporter.
   */
  observeExport?: ObserveExport | undefined;
  env: Env;
  /** Warnings: export failure streaks and recoveries, cardinality overflow. */
  warn: (message: string) => void;
}

export type ObserveExport = (tenant: string | undefined, exporter: PushMetricExporter) => PushMetricExporter;

/** What the server's exports did: one stream's stats, or every tenant stream's summed. */
export interface ExportPipeline {
  stats: Readonly<ExportStats>;
  forceFlush(): Promise<void>;
}

export interface InstrumentedServer {
  url: string;
  port: number;
  /** Human-readable target of the metrics export (a URL, or "in-process capture"). */
  metricsTarget: string;
  /** How tenants reach the backend: one stream for a router downstream, one stream per tenant, or the capture. */
  topology: Topology;
  pipeline: ExportPipeline;
  /** Per tenant stream (per-tenant export only; empty otherwise): tenant, exports, last export ok. */
  streams(): StreamStats[];
  server: ApiServer;
  /**
   * Graceful stop: stop accepting, let in-flight requests finish (bounded), then flush and shut the
   * meter provider down so no recorded request is lost. Safe to call twice.
   */
  stop(opts?: { drainTimeoutMs?: number }): Promise<void>;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
/** For the stop line: what a request cut at the drain is recorded with. */
export { CUT_ERROR_TYPES } from './app.js';

const FINAL_EXPORT_GRACE_WHEN_DOWN_MS = 2_000;

/** `otelpoc serve` in one call: the /api server wired to its metrics pipeline. */
export async function startInstrumentedServer(opts: InstrumentedServerOptions): Promise<InstrumentedServer> {
  const exp = opts.export;
  const intervals = 'otlp' in exp ? exp.otlp : exp;
  const metricsTarget = 'otlp' in exp ? exp.otlp.metricsUrl : exp.description;
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const observe = opts.observeExport ?? ((_tenant, exporter) => exporter);
  let pipeline: ExportPipeline & { shutdown(wait: (tenant: string) => number | undefined): Promise<void> };
  let metrics: RequestRecorder;
  let tenantStreams: TenantStreams | undefined;
  if ('otlp' in exp && opts.tenantExport) {
    const { otlp } = exp;
    const header = opts.tenantExport.header;
    // Over gRPC the tenant header is metadata, whose keys are narrower: refused now, not at the first request.
    if (otlp.protocol === 'grpc') checkGrpcMetadataKey(header, '--tenant-header');
    tenantStreams = new TenantStreams({
      tenantExport: opts.tenantExport,
      limits,
      // One OTLPMetricExporter per tenant, its tenant in a header: what a service writes for this.
      exporterFor: (tenant) =>
        observe(tenant, createOtlpExporter({ ...otlp, headers: { ...otlp.headers, [header]: tenant } })),
      target: metricsTarget,
      exportIntervalMs: otlp.exportIntervalMs,
      exportTimeoutMs: otlp.exportTimeoutMs,
      env: opts.env,
      warn: opts.warn,
    });
    pipeline = tenantStreams;
    metrics = tenantStreams;
  } else {
    const single = createMetricsPipeline({
      exporter: 'otlp' in exp ? observe(undefined, createOtlpExporter(exp.otlp)) : exp.exporter,
      exportIntervalMs: intervals.exportIntervalMs,
      exportTimeoutMs: intervals.exportTimeoutMs,
      env: opts.env,
      onExportFailure: (reason) =>
        opts.warn(
          `metrics export to ${metricsTarget} failed: ${reason} (counts are kept and sent when it recovers)`,
        ),
      onExportRecovered: (n) =>
        opts.warn(`metrics export to ${metricsTarget} recovered after ${n} failed attempt(s)`),
    });
    pipeline = {
      stats: single.stats,
      forceFlush: () => single.forceFlush(),
      shutdown: (wait) => {
        const ms = wait('');
        return single.shutdown(ms === undefined ? {} : { maxWaitMs: ms });
      },
    };
    metrics = new RequestMetrics(single.meter, limits, opts.warn);
  }
  const topology: Topology = !('otlp' in exp)
    ? 'embedded'
    : tenantStreams
      ? 'per-tenant-export'
      : 'otlp-endpoint';
  let server: ApiServer;
  try {
    server = await startApiServer({
      host: opts.host,
      port: opts.port,
      delay: opts.delay,
      random: createRandom(opts.seed),
      metrics,
    });
  } catch (err) {
    await pipeline.shutdown(() => 0).catch(() => {});
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    metricsTarget,
    topology,
    pipeline,
    streams: () => tenantStreams?.streamStats() ?? [],
    server,
    stop(stopOpts = {}) {
      stopped ??= (async () => {
        await server.close(stopOpts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
        // shutdown() collects and exports one last time. When the backend is failing or not even
        // listening, that export would only retry until its timeout (10 s by default) and fail
        // anyway: give it a short grace instead, and let the caller report what was lost. Per
        // tenant stream: one tenant's failing route does not slow the others' final flush.
        const unreachable = 'otlp' in exp && !(await isListening(exp.otlp.metricsUrl));
        const failing = new Set(
          tenantStreams
            ? tenantStreams
                .streamStats()
                .filter((st) => !st.lastExportOk)
                .map((st) => st.tenant)
            : pipeline.stats.consecutiveFailures > 0
              ? ['']
              : [],
        );
        await pipeline.shutdown((tenant) =>
          unreachable || failing.has(tenant) ? FINAL_EXPORT_GRACE_WHEN_DOWN_MS : undefined,
        );
      })();
      return stopped;
    },
  };
}
