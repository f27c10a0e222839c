/**
 * The settings more than one command has, each declared once (flag, env var, default, parser, help).
 * A command's table (src/pipeline/<command>.ts) picks the groups it has; `withDefaults` gives a
 * command its own defaults (run's short run), which its --help then shows.
 */
import { isIP } from 'node:net';
import { LOAD_DEFAULTS } from '../load/config.js';
import { MAX_SHARDS, parseShard } from '../load/shard.js';
import {
  parseClientIds,
  parsePercent,
  parsePositiveInt,
  parseRate,
  parseRunId,
  parseSendBatch,
  parseStartAt,
  parseStatusMix,
  parseTarget,
  parseWeights,
  parseWorkers,
} from '../load/values.js';
import {
  DEFAULT_EXPONENTIAL_MAX_SCALE,
  DEFAULT_EXPONENTIAL_MAX_SIZE,
  DEFAULT_EXPORT_INTERVAL_MS,
  DEFAULT_OTLP_ENDPOINT,
  DEFAULT_OTLP_KIND,
  ENDPOINT_ENV,
  EXPORT_INTERVAL_ENV,
  HISTOGRAM_AGGREGATIONS,
  HISTOGRAM_ENV,
  OTLP_PROTOCOLS,
  type OtlpFlags,
  oneOf,
  PROTOCOL_ENV,
  TEMPORALITIES,
  TEMPORALITY_ENV,
} from '../telemetry/config.js';
import { DEFAULT_TENANT, TENANT_HEADER } from '../telemetry/names.js';
import { formatDurationMs, parseDelayRange, parseDurationMs } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import { checkHeader, parseHeaderLine, parseHeaderName } from '../util/http-headers.js';
import { TENANT_ID_RULE, tenantIdProblem } from '../util/ids.js';
import { checkHttpUrl } from '../util/net.js';
import { parseSeed } from '../util/random.js';
import { KIND_CHANGES, type KindChange } from '../verify/kinds/verdict.js';
import { list, option, type Resolved, toggle } from './table.js';

/** An integer from min to max: `--port: expected an integer from 0 to 65535, got "x"`. */
export function integerIn(min: number, max: number) {
  return (text: string, name: string): number => {
    if (!/^-?\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
      throw new UsageError(`${name}: expected an integer from ${min} to ${max}, got "${text}"`);
    }
    return Number(text);
  };
}

/** A tenant id (a Client-ID value, an X-Scope-OrgID), checked as Mimir checks it. */
export function tenantId(text: string, name: string): string {
  const problem = tenantIdProblem(text);
  if (problem) throw new UsageError(`${name}: "${text}" ${problem}; a tenant is ${TENANT_ID_RULE}`);
  return text;
}

/** RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens, 253 characters at most. */
const HOST_NAME =
  /^(?=.{1,253}$)[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*\.?$/i;

/**
 * An address to listen on: an IPv4 or IPv6 address or a host name. Checked up front, since Node
 * reads "" as every interface (not what an empty variable in a deploy script means) and reports a
 * name like 999.0.0.1 only when listening, as a resolver error.
 */
export function listenHost(text: string, name: string): string {
  const bare = text.replace(/^\[(.*)\]$/, '$1');
  const numeric = /^[\d.]+$/.test(bare);
  if (isIP(bare) !== 0 || (!numeric && HOST_NAME.test(bare))) return bare;
  throw new UsageError(
    `${name}: expected an IP address or a host name, like 127.0.0.1, 0.0.0.0 (every interface) or localhost, got ${JSON.stringify(text)}`,
  );
}

const duration = (text: string, name: string) => parseDurationMs(text, name);
const url = (text: string, name: string) => checkHttpUrl(text, name);

/**
 * The kind of OTLP data exported (serve, load --serve, run, canary, doctor's probe). Their texts go to
 * telemetry/config.ts as given (flag, else its OTEL_* variables, else the default), which checks them
 * and names the flag or the variable; the defaults here are for --help only.
 */
export const OTLP_KIND_OPTIONS = {
  otlpProtocol: option({
    flags: '--otlp-protocol <protocol>',
    help: `how metrics travel: ${OTLP_PROTOCOLS.join(', ')} (OTEL_EXPORTER_OTLP_METRICS_PROTOCOL beats the generic variable)`,
    // Checked here too, so that every bad kind flag is reported together (the variables: config.ts).
    parse: (text: string, name: string) => oneOf(text, OTLP_PROTOCOLS, name),
    default: DEFAULT_OTLP_KIND.protocol,
    env: PROTOCOL_ENV,
    envReadBy: 'otel',
  }),
  temporality: option({
    flags: '--temporality <t>',
    help: `temporality of sums and histograms: ${TEMPORALITIES.join(', ')} (lowmemory: delta histograms and synchronous counters; otelpoc's counters are observable, so stay cumulative)`,
    // Checked here too, so that every bad kind flag is reported together (the variables: config.ts).
    parse: (text: string, name: string) => oneOf(text, TEMPORALITIES, name),
    default: DEFAULT_OTLP_KIND.temporality,
    env: TEMPORALITY_ENV,
    envReadBy: 'otel',
  }),
  histogram: option({
    flags: '--histogram <h>',
    help: `histogram aggregation: ${HISTOGRAM_AGGREGATIONS.join(', ')} (the variable takes the spec's explicit_bucket_histogram, base2_exponential_bucket_histogram)`,
    // Checked here too, so that every bad kind flag is reported together (the variables: config.ts).
    parse: (text: string, name: string) => oneOf(text, HISTOGRAM_AGGREGATIONS, name),
    default: DEFAULT_OTLP_KIND.histogram.aggregation,
    env: HISTOGRAM_ENV,
    envReadBy: 'otel',
  }),
  exponentialMaxSize: option({
    flags: '--exponential-max-size <n>',
    help: "with --histogram exponential: the most buckets per sign (the spec's MaxSize)",
    parse: integerIn(2, 16_384),
    default: DEFAULT_EXPONENTIAL_MAX_SIZE,
  }),
  exponentialMaxScale: option({
    flags: '--exponential-max-scale <n>',
    help: "with --histogram exponential: the starting scale (the spec's MaxScale); the OpenTelemetry JS SDK fixes it at 20, so no other value is accepted",
    parse: integerIn(-10, 20),
    default: DEFAULT_EXPONENTIAL_MAX_SCALE,
  }),
};

/**
 * The kind flags given (never their table defaults: those would beat the OTEL_* variables, which
 * telemetry/config.ts reads), as resolveOtlpConfig takes them.
 */
export function otlpKindFlags(r: Pick<Resolved<typeof OTLP_KIND_OPTIONS>, 'given'>): OtlpFlags {
  const g = r.given;
  return {
    protocol: g.otlpProtocol,
    temporality: g.temporality,
    histogram: g.histogram,
    exponentialMaxSize: g.exponentialMaxSize,
    exponentialMaxScale: g.exponentialMaxScale,
  };
}

/** The instrumented server's settings (serve, load --serve, run, canary). */
export const SERVER_OPTIONS = {
  delay: option({
    flags: '--delay <range>',
    help: 'response delay: fixed (0, 50ms, 1s) or a uniform range (0-500ms)',
    parse: parseDelayRange,
    default: parseDelayRange('0-500ms'),
    shown: '0-500ms',
  }),
  seed: option({
    flags: '--seed <n>',
    help: 'seed the random delays, for reproducible runs',
    parse: parseSeed,
    shown: 'random',
  }),
  otlpEndpoint: option({
    flags: '--otlp-endpoint <url>',
    help: 'OTLP/HTTP base URL, /v1/metrics is appended (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, a full URL used as is, beats the generic variable); gRPC: scheme, host and port only',
    // Empty would fall through to the variables and the default: not what the flag asked for.
    parse: (text: string, name: string) => {
      if (text.trim() === '') {
        throw new UsageError(
          `${name}: expected an http:// or https:// URL, like ${DEFAULT_OTLP_ENDPOINT}, got ${JSON.stringify(text)}`,
        );
      }
      return text;
    },
    default: DEFAULT_OTLP_ENDPOINT,
    env: ENDPOINT_ENV,
    envReadBy: 'otel',
  }),
  exportInterval: option({
    flags: '--export-interval <duration>',
    help: 'metric export interval (the variable is in milliseconds)',
    parse: duration,
    default: DEFAULT_EXPORT_INTERVAL_MS,
    shown: formatDurationMs(DEFAULT_EXPORT_INTERVAL_MS),
    env: EXPORT_INTERVAL_ENV,
    envReadBy: 'otel',
  }),
  ...OTLP_KIND_OPTIONS,
  maxTenants: option({
    flags: '--max-tenants <n>',
    help: 'distinct Client-ID values recorded (with --tenant-header: tenant streams) before client_id="__overflow__"',
    parse: integerIn(1, 100_000),
    default: 1000,
  }),
};

/** serve's and load's per-tenant export: --tenant-header turns it on. */
export const TENANT_EXPORT_OPTIONS = {
  tenantHeader: option({
    flags: '--tenant-header <name>',
    help: 'export one OTLP stream per tenant, each with this header = its Client-ID (e.g. X-Scope-OrgID); without it, one stream for all tenants',
    parse: parseHeaderName,
  }),
  defaultTenant: option({
    flags: '--default-tenant <id>',
    help: 'with --tenant-header: the tenant of requests sent without Client-ID',
    parse: tenantId,
    default: DEFAULT_TENANT,
  }),
};

/**
 * run's and canary's per-tenant export: their --tenant-header and --default-tenant are the queries'
 * (VERIFY_BACKEND_OPTIONS), and the per-tenant streams use those same two: in the per-tenant
 * topology the write side and the read side must agree on them.
 */
export const PER_TENANT_EXPORT = toggle(
  '--per-tenant-export',
  'one OTLP export stream per tenant, each sending --tenant-header: <Client-ID> (no Client-ID: --default-tenant)',
);

export const DEFAULT_PROM_URL = 'http://localhost:9009/prometheus';

/** Where and how to query the backend (verify, run, canary). */
export const VERIFY_BACKEND_OPTIONS = {
  url: option({
    flags: '--url <url>',
    help: 'Prometheus API prefix of the backend',
    parse: url,
    default: DEFAULT_PROM_URL,
    env: 'OTELPOC_VERIFY_URL',
  }),
  tenantHeader: option<string | false>({
    flags: '--tenant-header <name>',
    help: 'header that names the tenant on each query',
    parse: parseHeaderName,
    default: TENANT_HEADER,
    negate: {
      flags: '--no-tenant-header',
      help: 'send no tenant header: a single-tenant backend',
      value: false,
    },
  }),
  defaultTenant: option({
    flags: '--default-tenant <id>',
    help: 'tenant of the requests sent without Client-ID',
    parse: tenantId,
    default: DEFAULT_TENANT,
  }),
  basicAuth: option({
    flags: '--basic-auth <user:pass>',
    help: 'HTTP basic auth',
    parse: (text: string, name: string) => {
      if (!text.includes(':')) throw new UsageError(`${name}: expected user:password`);
      return text;
    },
    env: 'OTELPOC_VERIFY_BASIC_AUTH',
  }),
  bearerToken: option({
    flags: '--bearer-token <token>',
    help: 'bearer token',
    parse: (text: string, name: string) => {
      checkHeader('Authorization', `Bearer ${text}`, name);
      return text;
    },
    env: 'OTELPOC_VERIFY_BEARER_TOKEN',
  }),
  header: list({
    flags: '--header <"K: V">',
    help: 'extra request header, repeatable',
    each: (text: string, name: string): [[string, string]] => [parseHeaderLine(text, name)],
  }),
  queryTimeout: option({
    flags: '--query-timeout <duration>',
    help: 'timeout of one query',
    parse: duration,
    default: 10_000,
    shown: '10s',
  }),
};

/** verify's own: how long, how settled, where else to look, what else to write (verify, run). */
export const VERIFY_POLL_OPTIONS = {
  settle: option({
    flags: '--settle <duration>',
    help: 'after the first poll where all checks pass, keep polling this long and pass only if they all stayed green; 0 passes at once',
    parse: (text: string, name: string) => parseDurationMs(text, name, { allowZero: true }),
    shown: "the run's export interval + 5s when the manifest knows it, else 15s",
  }),
  allTenants: toggle(
    '--all-tenants',
    'also look in every tenant the backend lists (Mimir/Cortex distributor) for series of the run',
  ),
  tenantsUrl: option({
    flags: '--tenants-url <url>',
    help: 'where the backend lists its tenants, for --all-tenants',
    parse: url,
    shown: '--url without /prometheus + /distributor/all_user_stats',
  }),
  alsoTenants: list({
    flags: '--also-tenants <ids>',
    help: 'also look in these tenants (comma-separated, repeatable)',
    // Empty entries are kept, to be refused: "" would otherwise ask for nothing.
    each: (text: string, name: string) =>
      text.split(',').map((t) => {
        const problem = tenantIdProblem(t.trim());
        if (problem)
          throw new UsageError(`${name}: "${t.trim()}" ${problem}; tenant IDs are ${TENANT_ID_RULE}`);
        return t.trim();
      }),
  }),
  acceptChange: list({
    flags: '--accept-change <names>',
    help: `pass the kind check on these changes of form (counts exact): ${KIND_CHANGES.join(', ')} (comma-separated, repeatable)`,
    each: (text: string, name: string) =>
      text.split(',').map((c) => {
        const change = c.trim();
        if (!(KIND_CHANGES as readonly string[]).includes(change))
          throw new UsageError(
            `${name}: "${change}" is not a change verify knows; allowed: ${KIND_CHANGES.join(', ')}`,
          );
        return change as KindChange;
      }),
    env: 'OTELPOC_VERIFY_ACCEPT_CHANGES',
    shown: 'none',
  }),
  backendMetricsUrl: option({
    flags: '--backend-metrics-url <url>',
    help: "the backend's own metrics page, read for what it says it dropped (VictoriaMetrics' rows_dropped, Cortex's discarded samples)",
    parse: url,
    env: 'OTELPOC_VERIFY_BACKEND_METRICS_URL',
    shown: '--url without /prometheus + /metrics',
  }),
  explain: toggle('--explain', 'print the queries verify makes (to paste into Grafana)'),
  junit: option<string>({
    flags: '--junit <file>',
    help: 'also write a JUnit XML report (one testcase per tenant × check)',
  }),
};

/** verify's deadline: `--timeout` on verify, `--verify-timeout` on run (whose --timeout is load's). */
export function verifyTimeout(flags: '--timeout <duration>' | '--verify-timeout <duration>') {
  return option({
    flags,
    help: 'keep polling until all checks pass or this much time passed',
    parse: duration,
    default: 90_000,
    shown: '90s',
  });
}

const percent = (text: string) => parsePercent(text) / 100;

/** The load's settings (load, run): the lowest layer, under a --scenario file, under the flags given. */
export const LOAD_OPTIONS = {
  target: option({
    flags: '--target <url>',
    help: 'http(s) URL of the server to load; /api is appended when no path is given',
    parse: parseTarget,
    default: LOAD_DEFAULTS.target,
    shown: LOAD_DEFAULTS.target.replace(/\/api$/, ''),
  }),
  rps: option<number | 'max'>({
    flags: '--rps <rate>',
    help: 'requests per second (open model), or "max" for the closed model',
    parse: parseRate,
    default: LOAD_DEFAULTS.ratePerSec,
  }),
  duration: option({
    flags: '-d, --duration <duration>',
    help: 'how long to run, like 30s or 2m',
    parse: duration,
    default: LOAD_DEFAULTS.durationMs,
    shown: `${formatDurationMs(LOAD_DEFAULTS.durationMs)} unless --requests`,
  }),
  requests: option({
    flags: '-n, --requests <n>',
    help: 'exact number of requests to schedule (with --duration: whichever comes first)',
    parse: (t: string) => parsePositiveInt(t, 100_000_000),
  }),
  connections: option({
    flags: '-c, --connections <n>',
    help: 'connections of the closed model (--rps max)',
    parse: (t: string) => parsePositiveInt(t, 10_000),
    default: LOAD_DEFAULTS.connections,
  }),
  maxInflight: option({
    flags: '--max-inflight <n>',
    help: 'open model: requests in flight at most; a request due beyond it is dropped and counted',
    parse: (t: string) => parsePositiveInt(t, 100_000),
    default: LOAD_DEFAULTS.maxInflight,
  }),
  timeout: option({
    flags: '--timeout <duration>',
    help: 'per-request timeout; timeouts are counted apart and never retried',
    parse: duration,
    default: LOAD_DEFAULTS.timeoutMs,
    shown: formatDurationMs(LOAD_DEFAULTS.timeoutMs),
  }),
  tenants: option({
    flags: '--tenants <n>',
    help: 'send Client-ID tenant-1 … tenant-N',
    parse: (t: string) => parsePositiveInt(t, 10_000),
    default: LOAD_DEFAULTS.tenants,
  }),
  clientIds: option({
    flags: '--client-ids <ids>',
    help: 'comma-separated Client-ID values instead of tenant-N',
    parse: parseClientIds,
  }),
  tenantWeights: option({
    flags: '--tenant-weights <weights>',
    help: 'comma-separated tenant weights, like 5,1,1',
    parse: parseWeights,
    shown: 'equal',
  }),
  anonymous: option({
    flags: '--anonymous <percent>',
    help: 'share of requests sent without Client-ID, like 10%',
    parse: (t: string) => parsePercent(t, { share: true }),
    default: 0,
    shown: '0%',
  }),
  statusMix: option({
    flags: '--status-mix <mix>',
    help: 'status codes to ask for with ?sc=, with weights',
    parse: parseStatusMix,
    default: parseStatusMix(LOAD_DEFAULTS.statusMix),
    shown: LOAD_DEFAULTS.statusMix,
  }),
  runId: option({
    flags: '--run-id <id>',
    help: 'X-Run-ID sent with every request',
    parse: parseRunId,
    shown: 'generated',
  }),
  scenario: option<string>({
    flags: '--scenario <name|file>',
    help: 'a shipped scenario (smoke, steady, ramp, spike, error-burst, many-tenants) or a YAML file; flags given override it',
  }),
  maxErrorRate: option({
    flags: '--max-error-rate <percent>',
    help: 'exit 1 when more than this share of sent requests failed or got another status',
    parse: percent,
  }),
  maxDropRate: option({
    flags: '--max-drop-rate <percent>',
    help: 'exit 1 when more than this share of scheduled requests was dropped',
    parse: percent,
  }),
};

export const SHARD_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** --shard i/n and --shards n (load, run): one shard of a run split over n processes (src/load/shard.ts). */
export const SHARD_OPTIONS = {
  shard: option({
    flags: '--shard <i/n>',
    help: 'send shard i (0-based) of a run split over n processes: global requests i, i+n, … at their global times; every other flag describes the whole run (needs --run-id)',
    parse: parseShard,
  }),
  shards: option({
    flags: '--shards <n>',
    help: `split over n processes; this one is shard $${SHARD_INDEX_ENV} (set by Kubernetes Indexed Jobs)`,
    parse: integerIn(1, MAX_SHARDS),
  }),
};

/**
 * How a load (load, run) scales: an aligned start shared by every shard, worker processes on this
 * machine, batched sends. `--workers auto` is resolved by the core (src/pipeline/load.ts), which
 * knows whether the server runs here too.
 */
export const SCALE_OPTIONS = {
  startAt: option({
    flags: '--start-at <time>',
    help: 'start sending at this instant (RFC 3339 with a zone, like 2026-12-03T10:00:00Z): shards given the same time start together; a process started late skips what was already due and counts it as dropped',
    parse: parseStartAt,
    shown: 'when ready',
    env: 'OTELPOC_START_AT',
  }),
  workers: option<number | 'auto'>({
    flags: '--workers <n|auto>',
    help: 'worker processes on this machine sending the run (or this shard), merged into one manifest and one summary; auto: the cores, minus one when the server runs in this process',
    parse: (text: string, name: string) =>
      text.trim() === 'auto' ? 'auto' : parseWorkers(text, { serveInProcess: false }, name),
    default: 1,
    env: 'OTELPOC_WORKERS',
  }),
  sendBatch: option({
    flags: '--send-batch <ms>',
    help: 'open model: send the requests due within this window together (0 to 100 ms; 0: each at its own due time)',
    parse: parseSendBatch,
    default: 0,
    env: 'OTELPOC_SEND_BATCH',
  }),
};

/** What a command writes besides its own output (load, run). */
export const OUTPUT_OPTIONS = {
  out: option<string>({
    flags: '-o, --out <file>',
    help: 'write the manifest here instead of .otelpoc/runs/<run-id>.json + last-run.json',
  }),
  report: option<string>({
    flags: '--report <file.html>',
    help: 'also write a one-file HTML report: rate, errors and latency second by second, tenant × status counts, and the verify check matrix (opens offline)',
  }),
};

/**
 * A service of the user's, proved by its semantic-convention counts (load, verify, run): a built-in
 * profile's name or a YAML file (src/verify/service/profile.ts), loaded and checked before any work.
 */
export const SERVICE_PROFILE = option<string>({
  flags: '--service-profile <name|file>',
  help: 'prove a service without otelpoc labels by its HTTP duration histogram: a built-in (otelpoc, otel-http-stable, otel-http-old, prom-client-express) or a YAML profile',
  env: 'OTELPOC_SERVICE_PROFILE',
});
