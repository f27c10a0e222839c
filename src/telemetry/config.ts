import { formatDurationMs, MAX_DURATION_MS, parseDurationMs } from '../util/duration.js';
import type { Env } from '../util/env.js';
import { UsageError } from '../util/errors.js';
import { checkHeader } from '../util/http-headers.js';
import { checkHttpUrl } from '../util/net.js';

/** Where and how the server exports its metrics: OTLP/HTTP protobuf, cumulative temporality. */
export interface OtlpConfig {
  /** Full URL of the metrics endpoint, e.g. http://localhost:4318/v1/metrics. */
  metricsUrl: string;
  headers: Record<string, string>;
  exportIntervalMs: number;
  exportTimeoutMs: number;
}

export interface OtlpFlags {
  /** --otlp-endpoint: a base URL (/v1/metrics is appended) or a full URL ending in /v1/metrics. */
  otlpEndpoint?: string | undefined;
  /** --export-interval, already parsed. */
  exportIntervalMs?: number | undefined;
}

export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';
/** The variables of the two settings that have flags (src/options/settings.ts shows them in --help). */
export const ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_ENDPOINT';
export const EXPORT_INTERVAL_ENV = 'OTEL_METRIC_EXPORT_INTERVAL';
export const DEFAULT_EXPORT_INTERVAL_MS = 10_000;
const DEFAULT_EXPORT_TIMEOUT_MS = 30_000;
const METRICS_PATH = '/v1/metrics';

/**
 * Resolves the exporter settings: flags win over signal-specific env vars, which win over generic
 * ones, which win over the defaults (the command's, else the OTel spec's). Unlike the SDK (which warns and ignores), a bad value
 * here is an error that names the variable: this tool exists to prove metrics arrive, so silently
 * exporting somewhere else would defeat it.
 */
export function resolveOtlpConfig(
  flags: OtlpFlags,
  env: Env,
  defaults: { otlpEndpoint?: string | undefined; exportIntervalMs?: number | undefined } = {},
): OtlpConfig {
  const protocolVar = env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL
    ? 'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = env[protocolVar]?.trim();
  if (protocol && protocol !== 'http/protobuf') {
    throw new UsageError(`${protocolVar}: only "http/protobuf" is supported, got "${protocol}"`);
  }

  refuseUnhonouredDataKind(env);

  let metricsUrl: string;
  let urlSource: string;
  if (flags.otlpEndpoint) {
    urlSource = '--otlp-endpoint';
    metricsUrl = withMetricsPath(flags.otlpEndpoint);
  } else if (env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) {
    urlSource = 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT';
    metricsUrl = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT; // used as is, per the spec
  } else {
    urlSource = 'OTEL_EXPORTER_OTLP_ENDPOINT';
    metricsUrl = withMetricsPath(
      env.OTEL_EXPORTER_OTLP_ENDPOINT || defaults.otlpEndpoint || DEFAULT_OTLP_ENDPOINT,
    );
  }
  checkHttpUrl(metricsUrl, urlSource);

  const headers = otlpHeadersFromEnv(env);

  const exportIntervalMs =
    flags.exportIntervalMs ??
    envMillis(env, 'OTEL_METRIC_EXPORT_INTERVAL') ??
    defaults.exportIntervalMs ??
    DEFAULT_EXPORT_INTERVAL_MS;
  // The SDK refuses a timeout longer than the interval; clamp the default, reject an explicit conflict.
  const explicitTimeout = envMillis(env, 'OTEL_METRIC_EXPORT_TIMEOUT');
  if (explicitTimeout !== undefined && explicitTimeout > exportIntervalMs) {
    throw new UsageError(
      `OTEL_METRIC_EXPORT_TIMEOUT: ${explicitTimeout} ms is longer than the export interval (${exportIntervalMs} ms)`,
    );
  }
  const exportTimeoutMs = explicitTimeout ?? Math.min(DEFAULT_EXPORT_TIMEOUT_MS, exportIntervalMs);
  return { metricsUrl, headers, exportIntervalMs, exportTimeoutMs };
}

/**
 * The spec's variables that choose the kind of data exported. otelpoc exports cumulative temporality
 * and explicit-bucket histograms only: its provider passes CUMULATIVE to the exporter, which wins
 * over OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, and the JS SDK does not read
 * OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION at all. Either set to another kind would
 * be silently overridden, so it is an error that names the variable (spec values, case-insensitive).
 */
function refuseUnhonouredDataKind(env: Env): void {
  const kinds: readonly { name: string; honoured: string; known: readonly string[] }[] = [
    {
      name: 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
      honoured: 'cumulative',
      known: ['cumulative', 'delta', 'lowmemory'],
    },
    {
      name: 'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION',
      honoured: 'explicit_bucket_histogram',
      known: ['explicit_bucket_histogram', 'base2_exponential_bucket_histogram'],
    },
  ];
  for (const { name, honoured, known } of kinds) {
    const raw = env[name]?.trim();
    if (!raw || raw.toLowerCase() === honoured) continue;
    const what = known.includes(raw.toLowerCase())
      ? 'is not supported yet'
      : 'is not a value the spec defines';
    throw new UsageError(`${name}: "${raw}" ${what}; otelpoc exports only "${honoured}"`);
  }
}

/**
 * OTEL_EXPORTER_OTLP_HEADERS merged with OTEL_EXPORTER_OTLP_METRICS_HEADERS (which wins per name),
 * as the exporter itself reads them (@opentelemetry/otlp-exporter-base,
 * configuration/otlp-node-http-env-configuration.ts: "headers are combined instead of
 * overwritten"): the exporter sends both whatever we pass, so both are checked, each by its name.
 */
function otlpHeadersFromEnv(env: Env): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS']) {
    for (const [key, value] of Object.entries(parseKeyValueList(env[name] ?? '', name))) {
      checkHeader(key, value, name);
      headers[key] = value;
    }
  }
  return headers;
}

export function parseExportInterval(text: string): number {
  return parseDurationMs(text, '--export-interval');
}

function withMetricsPath(base: string): string {
  if (base.replace(/\/+$/, '').endsWith(METRICS_PATH)) return base;
  return base.replace(/\/+$/, '') + METRICS_PATH;
}

function envMillis(env: Env, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0 || Number(raw) > MAX_DURATION_MS) {
    throw new UsageError(
      `${name}: expected a whole number of milliseconds from 1 to ${MAX_DURATION_MS} (${formatDurationMs(MAX_DURATION_MS)}), got "${raw}"`,
    );
  }
  return Number(raw);
}

/** Parses the W3C-baggage-like `key1=value1,key2=value2` lists of OTEL_*_HEADERS and OTEL_RESOURCE_ATTRIBUTES. */
export function parseKeyValueList(text: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    const key = eq > 0 ? part.slice(0, eq).trim() : '';
    if (!key)
      throw new UsageError(
        `${what}: expected key=value pairs separated by commas, got ${JSON.stringify(part.trim())}`,
      );
    try {
      out[decodeURIComponent(key)] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new UsageError(`${what}: ${JSON.stringify(part.trim())} is not valid percent-encoding`);
    }
  }
  return out;
}
