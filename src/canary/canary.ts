/**
 * `otelpoc canary` as a library call: the instrumented server in process, started by the core's serve
 * part (exporting over OTLP as `serve` does, one stream or one per tenant; what each stream exported
 * recorded in an ExportLog), steady traffic to it, and every interval the checks of ./window.ts per
 * tenant against the backend's Prometheus API, published as prom-client metrics. Runs until
 * `deps.signal` aborts (or one interval with `once`), then stops the traffic, drains the server and
 * flushes its last export. No terminal and no process.*: the CLI renders the events.
 *
 * It never throws for what the pipeline or the backend does: a backend that is down, slow or refuses
 * turns the tenants red with the reason, and the next interval tries again.
 */

import type { StatusWeight } from '../load/values.js';

import { type RunningServe, startServePart } from '../pipeline/serve-part.js';

import type { PrometheusBackend, ServePart, StopExports } from '../pipeline/types.js';

import { DEFAULT_DRAIN_TIMEOUT_MS } from '../server/instrumented-server.js';

import { PROM } from '../telemetry/names.js';

import type { Topology } from '../telemetry/topology.js';

import { type Clock, realClock, untilDue } from '../util/clock.js';
import type { Env } from '../util/env.js';
import { errorMessage, UsageError } from '../util/errors.js';
import { type PromClient, promClientFor, queryFailureOf, type SeriesPoints } from '../verify/prom-client.js';
import { type ExportLog, ExportLogs, recordingExporter } from './export-log.js';
import { CanaryMetrics, type QueryErrorReason, startMetricsServer } from './metrics.js';
import { startTraffic } from './traffic.js';
import {
  type CheckOutcome,
  evaluateTenant,
  type TenantResult,
  type TenantStatus,
  type WindowSettings,
} from './window.js';

export interface CanaryConfig {
  /** --name; the run id (`canary-<name>`) and service.instance.id derive from it: one per instance. */
  name: string;
  runId: string;
  /** One tenant per Client-ID (the stack routes client_id → tenant). */
  clientIds: string[];
  statusMix: StatusWeight[];
  ratePerSec: number;
  intervalMs: number;
  maxLagMs: number;
  once: boolean;
  /**
   * The server's settings; with `tenantExport` (--per-tenant-export) one OTLP stream per tenant, each
   * sending the tenant header: the per-tenant-export topology, otherwise otlp-endpoint.
   */
  serve: ServePart;
  backend: PrometheusBackend;
  /** Where /metrics and /healthz listen; null: not served (--once). */
  metrics: { host: string; port: number } | null;
}

/** The part of a Clock the canary runs on (test/canary/fake-clock.test.ts runs it on a fake one). */
export type CanaryClock = Pick<Clock, 'now' | 'wallNow' | 'sleepUntil' | 'yield'>;

export interface IntervalReport {
  atMs: number;
  /** How tenants reach the backend, as this canary proves it; 'service': a service of the user's. */
  topology: Topology | 'service';
  /** red: a tenant is red; pending: none red, one not proven yet; green: every tenant proven. */
  status: TenantStatus;
  /** status === 'green'. */
  ok: boolean;
  tenants: TenantResult[];
}

/**
 * A tenant's verdict changed: red (from pending or green), or green (from red, or for the first time
 * since the start: its data has been seen arriving). Pending is no verdict: going into it or out of
 * it to the same verdict logs nothing.
 */
export interface Transition {
  tenant: string;
  to: 'red' | 'green';
  atMs: number;
  /** The failing checks (red), none (green). */
  failing: CheckOutcome[];
  /** green after red: how long it was red. */
  redForMs?: number;
  /** green for the first time: how long after the start. */
  firstAfterMs?: number;
}

export type CanaryEvent =
  | {
      type: 'started';
      serverUrl: string;
      metricsUrl: string | null;
      windowMs: number;
      topology: Topology | 'service';
    }
  | { type: 'interval'; report: IntervalReport }
  | { type: 'transition'; transition: Transition }
  | { type: 'stopping' }
  | ({ type: 'stopped' } & StopExports)
  | { type: 'warning'; message: string };

export interface CanaryDeps {
  env: Env;
  signal: AbortSignal;
  warn(message: string): void;
  onEvent(event: CanaryEvent): void;
  /** Time: due times on the monotonic clock, timestamps on the wall clock; default the real one. */
  clock?: CanaryClock | undefined;
}

/** How far back each interval looks: the lag allowed, plus two intervals and two exports of margin. */
export function windowMsOf(c: Pick<CanaryConfig, 'maxLagMs' | 'intervalMs' | 'serve'>): number {
  return c.maxLagMs + 2 * c.intervalMs + 2 * c.serve.otlp.exportIntervalMs;
}

/** The query of one tenant: every raw sample of the canary's series in the window (buckets aside). */
export function windowQuery(runId: string, windowMs: number): string {
  return `{${PROM.labels.runId}="${runId}",__name__!~".+_bucket"}[${Math.ceil(windowMs / 1000)}s]`;
}

/** How long the canary may still take once its signal aborts. */
export function stopBoundMs(c: CanaryConfig): number {
  return 5_000 + DEFAULT_DRAIN_TIMEOUT_MS + c.serve.otlp.exportTimeoutMs + c.backend.queryTimeoutMs;
}

/** Resolves with the last interval's report (undefined when stopped before the first). */
export async function runCanary(c: CanaryConfig, deps: CanaryDeps): Promise<IntervalReport | undefined> {
  const metrics = new CanaryMetrics(c.clientIds);
  const metricsServer = c.metrics ? await listenMetrics(metrics, c.metrics) : null;
  const logs = new ExportLogs();
  const clock = deps.clock ?? realClock;
  const startedAtMs = clock.wallNow();
  const t0 = clock.now();
  const windowMs = windowMsOf(c);
  const settings: WindowSettings = {
    runId: c.runId,
    windowMs,
    maxLagMs: c.maxLagMs,
    exportIntervalMs: c.serve.otlp.exportIntervalMs,
    startedAtMs,
    isolated: c.backend.tenantHeader !== null,
    once: c.once,
  };
  const client = promClientFor(c.backend);
  let serve: RunningServe;
  try {
    serve = await startServePart(c.serve, {
      env: withInstanceId(deps.env, c.runId),
      warn: deps.warn,
      // The exporter of each stream (the single one, or each tenant's) is recorded in that stream's
      // log before the SDK gets it: what is recorded is what was sent.
      observeExport: (tenant, exporter) =>
        recordingExporter(exporter, logs.of(tenant), c.runId, {
          onResult: (_record, ok) => metrics.exported(ok),
        }),
    });
  } catch (err) {
    await metricsServer?.close();
    await client.close();
    throw err;
  }
  const topology = serve.topology;
  // The log a tenant's samples are checked against: its own stream's, or the single stream's.
  const logOf = (tenant: string) => logs.of(c.serve.tenantExport ? tenant : undefined);
  const traffic = startTraffic({
    targetUrl: `${serve.url}/api`,
    runId: c.runId,
    clientIds: c.clientIds,
    statusMix: c.statusMix,
    ratePerSec: c.ratePerSec,
    timeoutMs: 5_000,
    clock,
    onSent: (clientId) => metrics.request(clientId),
  });
  deps.onEvent({
    type: 'started',
    serverUrl: serve.url,
    metricsUrl: metricsServer?.url ?? null,
    windowMs,
    topology,
  });

  // The last verdict per tenant (none until its first red or green: pending is not one).
  const state = new Map<string, Verdict>();
  const lastSeen = new Map<string, number | undefined>();
  let last: IntervalReport | undefined;
  try {
    // Due times on the start's grid; an interval that overran skips the due times it missed.
    for (let dueMs = t0 + c.intervalMs; ; ) {
      await untilDue(clock, dueMs, deps.signal);
      if (deps.signal.aborted) break;
      dueMs = t0 + (Math.floor((clock.now() - t0) / c.intervalMs) + 1) * c.intervalMs;
      try {
        const checked = await oneInterval(c, client, logOf, metrics, settings, lastSeen, deps.signal, clock);
        last = { ...checked, topology };
      } catch (err) {
        if (deps.signal.aborted) break;
        deps.warn(`canary interval failed unexpectedly: ${errorMessage(err)}`);
        continue;
      }
      if (deps.signal.aborted) break;
      for (const t of last.tenants) {
        const next = transitionOf(state.get(t.tenant), t, last.atMs, startedAtMs);
        if (!next) continue;
        state.set(t.tenant, next.verdict);
        deps.onEvent({ type: 'transition', transition: next.transition });
      }
      // Forget what no window reaches any more: memory stays flat.
      logs.prune(clock.wallNow() - windowMs - c.serve.otlp.exportIntervalMs);
      deps.onEvent({ type: 'interval', report: last });
      if (c.once) break;
    }
  } finally {
    deps.onEvent({ type: 'stopping' });
    await traffic.stop();
    const stats = await serve.stop();
    await metricsServer?.close();
    await client.close();
    deps.onEvent({ type: 'stopped', exports: stats.exports, failedExports: stats.failedExports });
  }
  return last;
}

async function oneInterval(
  c: CanaryConfig,
  client: PromClient,
  logOf: (tenant: string) => ExportLog,
  metrics: CanaryMetrics,
  settings: WindowSettings,
  lastSeen: Map<string, number | undefined>,
  signal: AbortSignal,
  clock: Pick<Clock, 'wallNow'>,
): Promise<Omit<IntervalReport, 'topology'>> {
  const query = windowQuery(c.runId, settings.windowMs);
  const atMs = clock.wallNow();
  const answers = await Promise.all(
    c.clientIds.map(async (tenant) => {
      try {
        const series: SeriesPoints[] = await client.queryMatrix(query, tenant, { signal, atMs });
        metrics.queried(tenant);
        return { series };
      } catch (err) {
        if (signal.aborted) throw err;
        metrics.queried(tenant, queryErrorReason(err));
        return { error: errorMessage(err) };
      }
    }),
  );
  // Judged at the time queried: exports after it cannot be in the answer.
  const tenants = c.clientIds.map((tenant, i) => {
    const result = evaluateTenant(
      { tenant, clientIds: [tenant], backend: answers[i]!, lastSeenMs: lastSeen.get(tenant) },
      logOf(tenant),
      settings,
      atMs,
    );
    lastSeen.set(tenant, result.lastSeenMs);
    // The lag as of now (the query may have taken a while).
    metrics.checked(result, clock.wallNow());
    return result;
  });
  const status: TenantStatus = tenants.some((t) => t.status === 'red')
    ? 'red'
    : tenants.some((t) => t.status === 'pending')
      ? 'pending'
      : 'green';
  return { atMs, status, ok: status === 'green', tenants };
}

/** A tenant's last verdict: red or green, since when. */
export interface Verdict {
  red: boolean;
  sinceMs: number;
}

/**
 * The verdict change of one interval's result, if any (undefined: nothing to log). `before` is the
 * last verdict, undefined while the tenant has had none since the start: pending is no verdict, so a
 * tenant pending from the start says nothing until its first red or its first (proven) green.
 */
export function transitionOf(
  before: Verdict | undefined,
  t: TenantResult,
  atMs: number,
  startedAtMs: number,
): { verdict: Verdict; transition: Transition } | undefined {
  if (t.status === 'red' && !before?.red) {
    return {
      verdict: { red: true, sinceMs: atMs },
      transition: {
        tenant: t.tenant,
        to: 'red',
        atMs,
        failing: t.checks.filter((x) => x.status === 'fail'),
      },
    };
  }
  if (t.status === 'green' && (!before || before.red)) {
    return {
      verdict: { red: false, sinceMs: atMs },
      transition: {
        tenant: t.tenant,
        to: 'green',
        atMs,
        failing: [],
        ...(before ? { redForMs: atMs - before.sinceMs } : { firstAfterMs: atMs - startedAtMs }),
      },
    };
  }
  return undefined;
}

/** The query_errors_total reason of a failed query (a closed set: see metric-names.ts). */
export function queryErrorReason(err: unknown): QueryErrorReason {
  const f = queryFailureOf(err);
  if (!f) return 'bad_response';
  if (f.status === undefined) return f.timedOut ? 'timeout' : 'unreachable';
  if (f.timedOut) return 'timeout';
  if (f.status === 401) return 'unauthorized';
  if (f.status === 403) return 'forbidden';
  if (f.status === 429) return 'rate_limited';
  if (f.status >= 500) return 'server_error';
  return 'bad_response';
}

/**
 * The series of one canary instance must be the same across restarts (bounded series): the
 * resource's service.instance.id (the backend's `instance` label) is otherwise a random UUID per
 * process. Put first, so OTEL_RESOURCE_ATTRIBUTES given by the user still wins.
 */
function withInstanceId(env: Env, runId: string): Env {
  const given = env.OTEL_RESOURCE_ATTRIBUTES?.trim();
  return {
    ...env,
    OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${runId}${given ? `,${given}` : ''}`,
  };
}

async function listenMetrics(metrics: CanaryMetrics, at: { host: string; port: number }) {
  try {
    return await startMetricsServer(metrics.registry, at.host, at.port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new UsageError(
        `--metrics-port ${at.port}: cannot listen on ${at.host}:${at.port} (${code}); pick another port, or 0 for a free one`,
      );
    }
    throw err;
  }
}
