/**
 * The serve part of the core, on its own: choose where the metrics go, start the instrumented server
 * in this process with its exporter(s), and stop it (drain, final flush, the export record). `run`,
 * `load --serve` and doctor's probe get it through runPipeline; the canary, which serves for as long
 * as it runs instead of for one load, calls it directly.
 */
import { randomUUID } from 'node:crypto';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { exportedKind } from '../server/exported-kind.js';
import type { InstrumentedServer } from '../server/instrumented-server.js';
import type { CaptureExporter } from '../telemetry/capture.js';
import { type OtlpConfig, parseKeyValueList } from '../telemetry/config.js';
import type { Topology } from '../telemetry/topology.js';
import { UsageError } from '../util/errors.js';
import { isListening } from '../util/net.js';
import { chooseDestination } from './destination.js';
import type { ServerStats } from './load-step.js';
import type { PipelineDeps, PrometheusBackend, ServePart } from './types.js';

export interface RunningServe {
  /** http://127.0.0.1:PORT (no path). */
  url: string;
  /** Where the metrics go, for messages (a URL, or "in-process capture"). */
  metricsTarget: string;
  topology: Topology;
  /** The metrics are captured in this process (no pipeline), and why they go where they go. */
  embedded: boolean;
  reason: string;
  /** The capture, when embedded: it holds the final counts once stopped. */
  capture?: CaptureExporter;
  /**
   * Drains the server's in-flight requests, flushes its last export (every stream's), warns about a
   * stream whose final export failed, and returns the export record. Safe to call twice.
   */
  stop(): Promise<ServerStats>;
}

/**
 * Starts the serve part. `backend` is where the metrics will be verified (it decides the `auto`
 * destination, see chooseDestination). Emits `destination`, `server-started` and, on stop,
 * `server-stopped`.
 */
export async function startServePart(
  serve: ServePart,
  deps: PipelineDeps,
  backend?: PrometheusBackend,
): Promise<RunningServe> {
  const emit = deps.onEvent ?? (() => {});
  const dest = await chooseDestination(serve, backend, deps.isListening ?? isListening);
  if (dest.embedded) refuseKindTheCaptureCannotHold(serve.otlp, dest.reason);
  emit({
    type: 'destination',
    topology: dest.embedded ? 'embedded' : serve.tenantExport ? 'per-tenant-export' : 'otlp-endpoint',
    embedded: dest.embedded,
    reason: dest.reason,
    metricsUrl: serve.otlp.metricsUrl,
    ...(backend && !dest.embedded ? { verifiedAt: backend.url } : {}),
  });
  const [{ startInstrumentedServer }, { CaptureExporter }] = await Promise.all([
    import('../server/instrumented-server.js'),
    import('../telemetry/capture.js'),
  ]);
  const capture = dest.embedded ? new CaptureExporter() : undefined;
  const { env, instanceId } = withInstanceId(deps.env);
  const app: InstrumentedServer = await (deps.startServer ?? startInstrumentedServer)({
    host: '127.0.0.1',
    port: 0,
    delay: serve.delay,
    seed: serve.seed,
    limits: { maxTenants: serve.maxTenants },
    export: capture ? captureExport(capture, serve.otlp) : { otlp: serve.otlp },
    tenantExport: capture ? undefined : serve.tenantExport,
    ...(deps.observeExport ? { observeExport: deps.observeExport } : {}),
    env,
    warn: deps.warn,
  });
  emit({ type: 'server-started', url: app.url, metricsTarget: app.metricsTarget });
  let stopped: Promise<ServerStats> | undefined;
  return {
    url: app.url,
    metricsTarget: app.metricsTarget,
    topology: app.topology,
    embedded: dest.embedded,
    reason: dest.reason,
    ...(capture ? { capture } : {}),
    stop: () => {
      stopped ??= stopServer(app, deps, exportedKind(serve.otlp)).then((stats) =>
        instanceId ? { ...stats, instanceId } : stats,
      );
      return stopped;
    },
  };
}

/**
 * The server's service.instance.id, known up front so the manifest can record it: verify then tells
 * this server's series from those of an earlier attempt under the same run id. Put first in
 * OTEL_RESOURCE_ATTRIBUTES, so one the user gives still wins (and is the one recorded). Every
 * stream of the server (per-tenant export) shares it. A list that does not parse is left to the
 * server, which refuses it with its own message (no id recorded then).
 */
function withInstanceId(env: PipelineDeps['env']): { env: PipelineDeps['env']; instanceId?: string } {
  const given = env.OTEL_RESOURCE_ATTRIBUTES?.trim() ?? '';
  let fromUser: string | undefined;
  try {
    fromUser = parseKeyValueList(given, 'OTEL_RESOURCE_ATTRIBUTES')['service.instance.id'];
  } catch {
    return { env };
  }
  if (fromUser !== undefined) return { env, instanceId: fromUser };
  const instanceId = randomUUID();
  return {
    env: { ...env, OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instanceId}${given ? `,${given}` : ''}` },
    instanceId,
  };
}

function captureExport(capture: PushMetricExporter, otlp: OtlpConfig) {
  return {
    exporter: capture,
    description: 'in-process capture',
    exportIntervalMs: otlp.exportIntervalMs,
    exportTimeoutMs: otlp.exportTimeoutMs,
  };
}

/**
 * The in-process capture keeps the latest export of a cumulative reader and reads explicit buckets
 * (telemetry/capture.ts): delta counts or exponential buckets would be counted wrong, so asking for
 * them without a pipeline is an error, before the server starts.
 */
function refuseKindTheCaptureCannotHold(otlp: OtlpConfig, why: string): void {
  const wrong =
    otlp.temporality !== 'cumulative'
      ? `temporality "${otlp.temporality}"`
      : otlp.histogram.aggregation !== 'explicit'
        ? `"${otlp.histogram.aggregation}" histograms`
        : undefined;
  if (wrong) {
    throw new UsageError(
      `${wrong}: the in-process capture (${why}) holds cumulative explicit-bucket data only; give an OTLP endpoint to export this kind`,
    );
  }
}

async function stopServer(
  app: InstrumentedServer,
  deps: PipelineDeps,
  kind: ServerStats['kind'],
): Promise<ServerStats> {
  await app.stop();
  const { stats } = app.pipeline;
  const streams = app.streams().map((st) => ({
    tenant: st.tenant,
    exports: st.exports,
    failedExports: st.failedExports,
    finalFlushOk: st.lastExportOk,
  }));
  const server: ServerStats = {
    url: app.url,
    metricsTarget: app.metricsTarget,
    exports: stats.exports,
    failedExports: stats.failures,
    finalFlushOk: stats.consecutiveFailures === 0,
    topology: app.topology,
    kind,
    ...(app.topology === 'per-tenant-export' ? { streams } : {}),
  };
  deps.onEvent?.({
    type: 'server-stopped',
    exports: server.exports,
    failedExports: server.failedExports,
    finalFlushOk: server.finalFlushOk,
    ...(server.streams ? { streams } : {}),
  });
  if (app.topology === 'per-tenant-export') {
    // One line per tenant whose stream lost its last counts: the others' are complete.
    for (const st of app.streams().filter((x) => !x.lastExportOk)) {
      deps.warn(
        `the final metrics export for tenant "${st.tenant}" to ${app.metricsTarget} failed (${st.lastError ?? 'export failed'}): the backend lacks this run's last counts for that tenant`,
      );
    }
  } else if (!server.finalFlushOk) {
    deps.warn(
      `the final metrics export to ${app.metricsTarget} failed (${stats.lastError}): the backend lacks this run's last counts`,
    );
  }
  return server;
}
