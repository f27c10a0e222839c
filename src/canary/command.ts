/**
 * `otelpoc canary`'s core entry point: its option table (its own settings, the server's, the
 * per-tenant export and the backend's: a subset of the shared tables, none of verify's polling
 * settings), its input resolved and checked once (every problem together), and its lifecycle (the
 * stop bound, the final export owed) around runCanary. Returns the exit code; the CLI renders events.
 */
import { givenClientIds, numbered } from '../load/config.js';
import {
  integerStatusMix,
  parseClientIds,
  parsePositiveInt,
  parseRate,
  parseStatusMix,
  parseTarget,
} from '../load/values.js';
import {
  integerIn,
  listenHost,
  PER_TENANT_EXPORT,
  SERVER_OPTIONS,
  SERVICE_PROFILE,
  VERIFY_BACKEND_OPTIONS,
  VERIFY_POLL_OPTIONS,
  verifyTimeout,
} from '../options/settings.js';
import {
  collect,
  type Given,
  longFlag,
  option,
  type Resolved,
  resolveOptions,
  throwProblems,
  toggle,
  withDefaults,
} from '../options/table.js';
import { type GracefulStop, NO_STOP, stopLimitMs } from '../pipeline/lifecycle.js';
import { servePartFrom } from '../pipeline/serve.js';
import { backendFrom } from '../pipeline/verify-backend.js';
import { TENANT_HEADER } from '../telemetry/names.js';
import { formatDurationMs, MAX_DURATION_MS, parseDelayRange, parseDurationMs } from '../util/duration.js';
import type { Env } from '../util/env.js';
import { CheckFailedError, UsageError } from '../util/errors.js';
import { isValidRunId } from '../util/ids.js';
import type { CanaryClock, CanaryConfig, CanaryEvent, IntervalReport } from './canary.js';
import { CANARY_METRICS_PORT } from './metric-names.js';

const DEFAULT_MIX = '200:85,404:10,500:5';
/** Checks per interval are a few queries: more often than this is load on the backend, not a canary. */
const MIN_INTERVAL_MS = 1000;
const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const CANARY_OPTIONS = {
  name: option({
    flags: '--name <name>',
    help: 'this canary instance: its run id is canary-<name>; give each instance its own',
    // "" would make the run id "canary-": valid, but a name no one gave.
    parse: (text: string, name: string) => {
      if (text === '' || !isValidRunId(`canary-${text}`)) {
        throw new UsageError(
          `${name}: expected 1 to ${64 - 'canary-'.length} letters, digits, "-" or "_" (the run id is canary-<name>), got ${JSON.stringify(text)}`,
        );
      }
      return text;
    },
    default: 'default',
  }),
  tenants: option({
    flags: '--tenants <n>',
    help: 'check tenant-1 … tenant-N',
    parse: (t: string) => parsePositiveInt(t, 100),
    default: 3,
  }),
  clientIds: option({
    flags: '--client-ids <ids>',
    help: 'comma-separated tenants (Client-ID values) instead of tenant-N',
    parse: parseClientIds,
  }),
  statusMix: option({
    flags: '--status-mix <mix>',
    help: 'status codes asked for, with weights',
    parse: parseStatusMix,
    default: parseStatusMix(DEFAULT_MIX),
    shown: DEFAULT_MIX,
  }),
  rps: option({
    flags: '--rps <rate>',
    help: 'requests per second in all tenants',
    parse: (text: string, name: string) => {
      const rate = parseRate(text);
      if (rate === 'max')
        throw new UsageError(`${name}: a canary sends a steady low rate; give a number, like 3`);
      if (rate > 1000) throw new UsageError(`${name}: at most 1000 for a canary, got ${rate}`);
      return rate;
    },
    default: 3,
  }),
  interval: option({
    flags: '--interval <duration>',
    help: 'how often every tenant is checked',
    parse: (text: string, name: string) => {
      const ms = parseDurationMs(text, name);
      if (ms < MIN_INTERVAL_MS) throw new UsageError(`${name}: at least 1s, got ${formatDurationMs(ms)}`);
      return ms;
    },
    default: 30_000,
    shown: '30s',
  }),
  maxLag: option({
    flags: '--max-lag <duration>',
    help: 'delivery lag allowed',
    parse: (text: string, name: string) => parseDurationMs(text, name),
    shown: '2 × the export interval + 30s',
  }),
  metricsPort: option({
    flags: '--metrics-port <port>',
    help: 'port of /metrics and /healthz; 0 picks a free one',
    parse: integerIn(0, 65535),
    default: CANARY_METRICS_PORT,
  }),
  metricsHost: option({
    flags: '--metrics-host <address>',
    help: 'address of /metrics (0.0.0.0 in a container)',
    parse: listenHost,
    default: '127.0.0.1',
  }),
  once: toggle('--once', 'run one interval, then exit 0 (all green) or 1'),
  json: toggle('--json', "print each interval's result as one JSON line on stdout"),
  logFormat: option<LogFormat>({
    flags: '--log-format <format>',
    help: 'red/green transition lines on stderr: text or json',
    // As commander words a value outside its choices.
    parse: (text: string) => {
      const format = LOG_FORMATS.find((f) => f === text);
      if (format) return format;
      throw new UsageError(
        `option '--log-format <format>' argument '${text}' is invalid. Allowed choices are ${LOG_FORMATS.join(', ')}. (run "otelpoc canary --help" for usage)`,
      );
    },
    default: 'text',
  }),
  target: option({
    flags: '--target <url>',
    help: "a service of yours to watch instead of the canary's own server (needs --service-profile); /api is appended when no path is given",
    parse: parseTarget,
  }),
  serviceProfile: SERVICE_PROFILE,
  perTenantExport: PER_TENANT_EXPORT,
  ...withDefaults(SERVER_OPTIONS, { delay: { default: parseDelayRange('0-20ms'), shown: '0-20ms' } }),
  ...VERIFY_BACKEND_OPTIONS,
};

export type CanaryGiven = Given<typeof CANARY_OPTIONS>;

/** What the CLI renders with: the output settings of the canary. */
export interface CanaryOutput {
  name: string;
  intervalMs: number;
  logFormat: LogFormat;
  json: boolean;
  once: boolean;
}

/** verify's polling settings, which a canary does not have: given one, it is told so (see notCanaryOption). */
const VERIFY_ONLY = [verifyTimeout('--verify-timeout <duration>'), ...Object.values(VERIFY_POLL_OPTIONS)].map(
  longFlag,
);

/** The refusal of an unknown option that is verify's (`--junit`, `--settle=5s`), else undefined. */
export function notCanaryOption(arg: string): string | undefined {
  const flag = arg.split('=')[0]!;
  return VERIFY_ONLY.includes(flag)
    ? `${flag}: not an option of canary (it is verify's); drop it`
    : undefined;
}

/** canary's input → its config and output settings, every problem reported together (exit 2). */
export function resolveCanary(
  given: CanaryGiven,
  env: Env,
): {
  config: CanaryConfig;
  output: CanaryOutput;
  service?: { target: string; profile: string; flag: string | undefined } | undefined;
} {
  const r = resolveOptions(CANARY_OPTIONS, given, env);
  const problems = [...r.problems];
  const v = r.values;
  const clientIds =
    collect(problems, () => givenClientIds(r.given.tenants, v.clientIds)) ?? numbered(v.tenants);
  // --default-tenant names a tenant stream only with --per-tenant-export (as in `run`).
  if (r.from.defaultTenant && !v.perTenantExport) {
    problems.push(
      `${r.from.defaultTenant}: only used with --per-tenant-export (the tenant of requests without Client-ID); add it, or drop --default-tenant`,
    );
  }
  if (v.perTenantExport && v.tenantHeader === false) {
    problems.push(
      '--per-tenant-export and --no-tenant-header: per-tenant export sends the tenant header; give one of them',
    );
  }
  const tenantExport = v.perTenantExport
    ? { header: v.tenantHeader || TENANT_HEADER, defaultTenant: v.defaultTenant }
    : undefined;
  const serve = servePartFrom(CANARY_OPTIONS, r, env, problems, { metrics: 'otlp', tenantExport });
  const service = serviceOf(r, problems);
  const exportIntervalMs = serve?.otlp.exportIntervalMs ?? 0;
  const maxLagMs = v.maxLag ?? (service ? 30_000 : 2 * exportIntervalMs + 30_000);
  if (serve && !service && maxLagMs <= exportIntervalMs) {
    problems.push(
      `--max-lag: ${formatDurationMs(maxLagMs)} is not longer than the export interval (${formatDurationMs(exportIntervalMs)}): every sample would be late`,
    );
  } else if (maxLagMs > MAX_DURATION_MS / 4) problems.push('--max-lag: at most 6 days');
  const backend = backendFrom(r, problems);
  throwProblems(problems);
  const config: CanaryConfig = {
    name: v.name,
    runId: `canary-${v.name}`,
    clientIds,
    statusMix: integerStatusMix(v.statusMix),
    ratePerSec: v.rps,
    intervalMs: v.interval,
    maxLagMs,
    once: v.once,
    serve: serve!,
    backend,
    metrics: v.once ? null : { host: v.metricsHost, port: v.metricsPort },
  };
  const output = { name: v.name, intervalMs: v.interval, logFormat: v.logFormat, json: v.json, once: v.once };
  return { config, output, service };
}

/** --target with --service-profile: a service of the user's, watched instead of the own server. */
function serviceOf(r: Resolved<typeof CANARY_OPTIONS>, problems: string[]) {
  const { target, serviceProfile, perTenantExport } = r.values;
  if ((target === undefined) !== (serviceProfile === undefined)) {
    problems.push(
      target === undefined
        ? `${r.from.serviceProfile}: only with --target (the service it describes); add --target, or drop it`
        : '--target: give --service-profile too: the canary counts a service of yours by its profile',
    );
    return undefined;
  }
  if (target === undefined || serviceProfile === undefined) return undefined;
  if (perTenantExport) problems.push('--per-tenant-export: not with --target (no server of the canary runs)');
  return { target, profile: serviceProfile, flag: r.from.serviceProfile };
}

export interface CanaryCommandDeps {
  env: Env;
  signal: AbortSignal;
  stop?: GracefulStop;
  clock?: CanaryClock;
  /** Every event of the run (warnings too), with the output settings to render it by. */
  onEvent: (event: CanaryEvent, output: CanaryOutput) => void;
}

/**
 * Runs the canary until `signal` aborts (exit 0), or one interval with --once: 0 every tenant green,
 * else a CheckFailedError (exit 1). Bad input: a UsageError (exit 2), before any work.
 */
export async function canary(given: CanaryGiven, deps: CanaryCommandDeps): Promise<0> {
  const { config, output, service } = resolveCanary(given, deps.env);
  if (service) return watchService(config, output, service, deps);
  const { runCanary, stopBoundMs } = await import('./canary.js');
  const stop = deps.stop ?? NO_STOP;
  stop.limit(stopLimitMs(stopBoundMs(config)), { quiet: output.json });
  const owed = stop.owe('the final metrics export of the canary not sent');
  let last: IntervalReport | undefined;
  try {
    last = await runCanary(config, {
      env: deps.env,
      signal: deps.signal,
      clock: deps.clock,
      warn: (message) => deps.onEvent({ type: 'warning', message }, output),
      onEvent: (e) => deps.onEvent(e, output),
    });
  } finally {
    owed();
  }
  if (config.once && last && !last.ok) throw new CheckFailedError(`canary: ${redSummary(last)}`);
  if (config.once && !last) throw new CheckFailedError('canary: stopped before its first interval');
  return 0;
}

/** The canary against the user's service (src/canary/service-canary.ts); exit as the canary's. */
async function watchService(
  config: CanaryConfig,
  output: CanaryOutput,
  service: { target: string; profile: string; flag: string | undefined },
  deps: CanaryCommandDeps,
): Promise<0> {
  const { loadServiceProfile } = await import('../verify/service/profile.js');
  const profile = await loadServiceProfile(service.profile, service.flag);
  const { runServiceCanary } = await import('./service-canary.js');
  const stop = deps.stop ?? NO_STOP;
  stop.limit(stopLimitMs(5_000 + 2 * config.backend.queryTimeoutMs), { quiet: output.json });
  const last = await runServiceCanary(
    { ...config, ...service, profile },
    {
      signal: deps.signal,
      warn: (message) => deps.onEvent({ type: 'warning', message }, output),
      onEvent: (e) => deps.onEvent(e, output),
    },
  );
  if (config.once && last && !last.ok) throw new CheckFailedError(`canary: ${redSummary(last)}`);
  if (config.once && !last) throw new CheckFailedError('canary: stopped before its first interval');
  return 0;
}

/** --once: every tenant not proven green (with --once nothing stays pending: see window.ts). */
export function redSummary(r: IntervalReport): string {
  const red = r.tenants.filter((t) => !t.ok);
  const checks = (t: IntervalReport['tenants'][number]) =>
    t.checks
      .filter((c) => !c.ok)
      .map((c) => c.check)
      .join(', ');
  return `${red.length} of ${r.tenants.length} tenant(s) red (${r.topology}): ${red.map((t) => `${t.tenant} (${checks(t)})`).join(', ')}`;
}
