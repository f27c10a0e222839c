import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { Env, OtlpConfig } from '../telemetry/config.js';
import { createMetricsPipeline, createOtlpExporter, type MetricsPipeline } from '../telemetry/provider.js';
import type { DelayRange } from '../util/duration.js';
import { isListening } from '../util/net.js';
import { createRandom } from '../util/random.js';
import { type ApiServer, startApiServer } from './app.js';
import { type CardinalityLimits, DEFAULT_LIMITS, RequestMetrics } from './request-metrics.js';

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
  env: Env;
  /** Warnings: export failure streaks and recoveries, cardinality overflow. */
  warn: (message: string) => void;
}

export interface InstrumentedServer {
  url: string;
  port: number;
  /** Human-readable target of the metrics export (a URL, or "in-process capture"). */
  metricsTarget: string;
  pipeline: MetricsPipeline;
  server: ApiServer;
  /**
   * Graceful stop: stop accepting, let in-flight requests finish (bounded), then flush and shut the
   * meter provider down so no recorded request is lost. Safe to call twice.
   */
  stop(opts?: { drainTimeoutMs?: number }): Promise<void>;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const FINAL_EXPORT_GRACE_WHEN_DOWN_MS = 2_000;

/** `otelpoc serve` in one call: the /api server wired to its metrics pipeline. */
export async function startInstrumentedServer(opts: InstrumentedServerOptions): Promise<InstrumentedServer> {
  const exp = opts.export;
  const exporter = 'otlp' in exp ? createOtlpExporter(exp.otlp) : exp.exporter;
  const intervals = 'otlp' in exp ? exp.otlp : exp;
  const metricsTarget = 'otlp' in exp ? exp.otlp.metricsUrl : exp.description;
  const pipeline = createMetricsPipeline({
    exporter,
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
  const metrics = new RequestMetrics(pipeline.meter, { ...DEFAULT_LIMITS, ...opts.limits }, opts.warn);
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
    await pipeline.shutdown().catch(() => {});
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    metricsTarget,
    pipeline,
    server,
    stop(stopOpts = {}) {
      stopped ??= (async () => {
        await server.close(stopOpts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
        // shutdown() collects and exports one last time. When the backend is failing or not even
        // listening, that export would only retry until its timeout (10 s by default) and fail
        // anyway: give it a short grace instead, and let the caller report what was lost.
        const backendDown =
          pipeline.stats.consecutiveFailures > 0 ||
          ('otlp' in exp && !(await isListening(exp.otlp.metricsUrl)));
        await pipeline.shutdown(backendDown ? { maxWaitMs: FINAL_EXPORT_GRACE_WHEN_DOWN_MS } : {});
      })();
      return stopped;
    },
  };
}
