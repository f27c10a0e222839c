/**
 * `otelpoc serve`'s core: its option table, its input resolved and checked once, and its lifecycle
 * (listen, serve until the signal, drain, final flush, the export record) on the serve part that
 * `run`, `load --serve`, the canary and doctor's probe share. It returns plain data; the CLI renders.
 */
import { integerIn, otlpKindFlags, SERVER_OPTIONS, TENANT_EXPORT_OPTIONS } from '../options/settings.js';
import {
  collect,
  type Given,
  option,
  type Resolved,
  resolveOptions,
  throwProblems,
} from '../options/table.js';
import type { TenantExportOptions } from '../server/tenant-streams.js';
import { resolveOtlpConfig } from '../telemetry/config.js';
import type { Env } from '../util/env.js';
import { UsageError } from '../util/errors.js';
import { type GracefulStop, NO_STOP, stopLimitMs, untilAborted } from './lifecycle.js';
import { startServePart } from './serve-part.js';
import type { PipelineDeps, ServePart, StopExports } from './types.js';

/** An empty --host would make Node listen on every interface: the opposite of what was typed. */
function host(text: string, name: string): string {
  if (text.trim() === '') {
    throw new UsageError(
      `${name}: expected an address to listen on (e.g. 127.0.0.1, ::1, 0.0.0.0 for every interface), got "${text}"`,
    );
  }
  return text;
}

export const SERVE_OPTIONS = {
  port: option({
    flags: '-p, --port <port>',
    help: 'port to listen on; 0 picks a free one',
    parse: integerIn(0, 65535),
    default: 8088,
  }),
  host: option({
    flags: '--host <address>',
    help: 'address to listen on',
    parse: host,
    default: '127.0.0.1',
  }),
  ...TENANT_EXPORT_OPTIONS,
  ...SERVER_OPTIONS,
};

type ServerTable = typeof SERVER_OPTIONS;

/**
 * The server's settings of a resolved table → the serve part (one server config type): the OTLP
 * settings through telemetry/config.ts, the one reader of OTEL_* variables (flag, then the spec's
 * variables, then the table's default). Problems go to `problems`.
 */
export function servePartFrom(
  table: ServerTable,
  r: Resolved<ServerTable>,
  env: Env,
  problems: string[],
  rest: Pick<ServePart, 'metrics' | 'captureReason' | 'tenantExport'>,
): ServePart | undefined {
  const otlp = collect(problems, () =>
    resolveOtlpConfig(
      { otlpEndpoint: r.given.otlpEndpoint, exportIntervalMs: r.given.exportInterval, ...otlpKindFlags(r) },
      env,
      { otlpEndpoint: table.otlpEndpoint.default, exportIntervalMs: table.exportInterval.default },
    ),
  );
  if (!otlp) return undefined;
  const { delay, seed, maxTenants } = r.values;
  return { delay, seed, maxTenants, otlp, ...rest };
}

/**
 * serve's and load's --tenant-header (per-tenant export) and --default-tenant: the latter only names
 * the tenant of the per-tenant streams, so given without --tenant-header it would be ignored: refused.
 */
export function ownTenantExport(
  r: Resolved<typeof TENANT_EXPORT_OPTIONS>,
  problems: string[],
): TenantExportOptions | undefined {
  const { tenantHeader, defaultTenant } = r.values;
  if (r.from.defaultTenant && tenantHeader === undefined) {
    problems.push(
      `${r.from.defaultTenant}: only used with --tenant-header (the tenant of requests without Client-ID in the per-tenant export); add --tenant-header, or drop --default-tenant`,
    );
  }
  return tenantHeader === undefined ? undefined : { header: tenantHeader, defaultTenant };
}

export interface ServeConfig {
  host: string;
  port: number;
  serve: ServePart;
}

/** serve's input → its config, every problem reported together (a UsageError, exit 2). */
export function resolveServe(given: Given<typeof SERVE_OPTIONS>, env: Env): ServeConfig {
  const r = resolveOptions(SERVE_OPTIONS, given, env);
  const problems = [...r.problems];
  const tenantExport = ownTenantExport(r, problems);
  const serve = servePartFrom(SERVE_OPTIONS, r, env, problems, { metrics: 'otlp', tenantExport });
  throwProblems(problems);
  return { host: r.values.host, port: r.values.port, serve: serve! };
}

export type ServeEvent =
  | { type: 'listening'; url: string; config: ServeConfig }
  | { type: 'stopping'; inFlight: number }
  | (StopExports & {
      type: 'stopped';
      /** How many tenant streams (per-tenant export), 0 otherwise. */
      streams: number;
      /** Requests cut at the drain deadline, and that deadline. */
      cutAtDrain: number;
      drainTimeoutMs: number;
    });

export interface ServeDeps extends Pick<PipelineDeps, 'env' | 'warn'> {
  signal: AbortSignal;
  stop?: GracefulStop;
  onEvent: (event: ServeEvent) => void;
}

/** Serves until `signal` aborts, then drains and flushes: no recorded request is lost. Exit 0. */
export async function serve(given: Given<typeof SERVE_OPTIONS>, deps: ServeDeps): Promise<0> {
  const config = resolveServe(given, deps.env);
  const { DEFAULT_DRAIN_TIMEOUT_MS } = await import('../server/instrumented-server.js');
  const stop = deps.stop ?? NO_STOP;
  stop.limit(stopLimitMs(DEFAULT_DRAIN_TIMEOUT_MS, config.serve.otlp.exportTimeoutMs));
  const running = await startServePart(config.serve, { env: deps.env, warn: deps.warn }, undefined, {
    host: config.host,
    port: config.port,
  });
  deps.onEvent({ type: 'listening', url: running.url, config });
  const flushOwed = stop.owe(
    `in-flight requests not waited for and final metrics export not sent (requests recorded since the last export never reach ${config.serve.otlp.metricsUrl})`,
  );
  await untilAborted(deps.signal);
  deps.onEvent({ type: 'stopping', inFlight: running.inFlight() });
  let stats: Awaited<ReturnType<typeof running.stop>>;
  try {
    stats = await running.stop();
  } finally {
    flushOwed();
  }
  deps.onEvent({
    type: 'stopped',
    exports: stats.exports,
    failedExports: stats.failedExports,
    streams: stats.streams?.length ?? 0,
    cutAtDrain: running.cutAtDrain(),
    drainTimeoutMs: DEFAULT_DRAIN_TIMEOUT_MS,
  });
  return 0;
}
