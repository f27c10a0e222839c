/**
 * The serve part of the core, on its own: choose where the metrics go, start the instrumented server
 * in this process with its exporter(s), and stop it (drain, final flush, the export record). `run`,
 * `load --serve` and doctor's probe get it through runPipeline; the canary, which serves for as long
 * as it runs instead of for one load, calls it directly.
 */
import { randomUUID } from 'node:crypto';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { ManifestServer } from '../manifest/schema.js';
import { exportedKind } from '../server/exported-kind.js';
import type { InstrumentedServer } from '../server/instrumented-server.js';
import type { CaptureExporter } from '../telemetry/capture.js';
import { type OtlpConfig, parseKeyValueList } from '../telemetry/config.js';
import { exportTotalsOf } from '../telemetry/export-totals.js';
import type { Topology } from '../telemetry/topology.js';
import { isListening } from '../util/net.js';
import { chooseDestination, destinationEvent } from './destination.js';
import type { PipelineDeps, PrometheusBackend, ServePart, ServerExports } from './types.js';

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
  /** Requests in flight now, and those cut at the drain deadline of the stop. */
  inFlight(): number;
  cutAtDrain(): number;
  /**
   * Drains the server's in-flight requests, flushes its last export (every stream's), warns about a
   * stream whose final export failed, and returns the export record. Safe to call twice.
   */
  stop(): Promise<ManifestServer>;
}

/**
 * Starts the serve part (on a free loopback port unless `listen` says where). `backend` is where the metrics will be verified (it decides the `auto`
 * destination, see chooseDestination). Emits `destination`, `server-started` and, on stop,
 * `server-stopped`.
 */
export async function startServePart(
  serve: ServePart,
  deps: PipelineDeps,
  backend?: PrometheusBackend,
  listen?: { host: string; port: number },
): Promise<RunningServe> {
  // `serve` itself listens where it is told and outlives any one run: its warnings say so.
  const standalone = listen !== undefined;
  const emit = deps.onEvent ?? (() => {});
  const dest = await chooseDestination(serve, backend, deps.isListening ?? isListening);
  emit(destinationEvent(serve, dest, backend));
  const [{ startInstrumentedServer }, { CaptureExporter }] = await Promise.all([
    import('../server/instrumented-server.js'),
    import('../telemetry/capture.js'),
  ]);
  const capture = dest.embedded ? new CaptureExporter(serve.otlp) : undefined;
  const { env, instanceId } = withInstanceId(deps.env);
  const app: InstrumentedServer = await (deps.startServer ?? startInstrumentedServer)({
    ...(listen ?? { host: '127.0.0.1', port: 0 }),
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
  let stopped: Promise<ManifestServer> | undefined;
  return {
    url: app.url,
    metricsTarget: app.metricsTarget,
    topology: app.topology,
    embedded: dest.embedded,
    reason: dest.reason,
    ...(capture ? { capture } : {}),
    inFlight: () => app.server.inFlight,
    cutAtDrain: () => app.server.cutAtDrain,
    stop: () => {
      stopped ??= stopServer(app, deps, standalone, exportedKind(serve.otlp)).then((stats) =>
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

async function stopServer(
  app: InstrumentedServer,
  deps: PipelineDeps,
  standalone: boolean,
  kind: ManifestServer['kind'],
): Promise<ManifestServer> {
  await app.stop();
  const streams = app.streams().map(({ tenant, exports, failedExports, lastExportOk }) => ({
    tenant,
    exports,
    failedExports,
    finalFlushOk: lastExportOk,
  }));
  const server: ManifestServer = {
    url: app.url,
    metricsTarget: app.metricsTarget,
    ...exportTotalsOf(app.pipeline.stats),
    topology: app.topology,
    kind,
    ...(app.topology === 'per-tenant-export' ? { streams } : {}),
  };
  const { exports, failedExports, finalFlushOk } = server;
  const exported: ServerExports = {
    exports,
    failedExports,
    finalFlushOk,
    ...(server.streams ? { streams } : {}),
  };
  deps.onEvent?.({ type: 'server-stopped', ...exported });
  for (const line of finalExportWarnings(app, standalone)) deps.warn(line);
  return server;
}

/**
 * One line per export stream whose final export failed: what it lost (per tenant in the per-tenant
 * topology, where the other tenants' counts are complete). A run lacks its last counts; a standalone
 * server lacks what it recorded since its last successful export.
 */
function finalExportWarnings(app: InstrumentedServer, standalone: boolean): string[] {
  const to = app.metricsTarget;
  if (app.topology === 'per-tenant-export') {
    return app
      .streams()
      .filter((st) => !st.lastExportOk)
      .map((st) => {
        const why = st.lastError ?? 'export failed';
        return standalone
          ? `the last export for tenant "${st.tenant}" to ${to} failed (${why}): that tenant's metrics recorded since its last successful export did not reach it`
          : `the final metrics export for tenant "${st.tenant}" to ${to} failed (${why}): the backend lacks this run's last counts for that tenant`;
      });
  }
  const { stats } = app.pipeline;
  if (stats.consecutiveFailures === 0) return [];
  return [
    standalone
      ? `the last export to ${to} failed (${stats.lastError}): metrics recorded since the last successful export did not reach it`
      : `the final metrics export to ${to} failed (${stats.lastError}): the backend lacks this run's last counts`,
  ];
}
