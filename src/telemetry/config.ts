import { formatDurationMs, MAX_DURATION_MS, parseDurationMs } from '../util/duration.js';
import type { Env } from '../util/env.js';
import { UsageError } from '../util/errors.js';
import { checkHeader } from '../util/http-headers.js';
import { checkHttpUrl } from '../util/net.js';

/** How the metrics travel: the spec's values of OTEL_EXPORTER_OTLP_PROTOCOL, each with its official exporter. */
export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** The spec's values of OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (case-insensitive). */
export const TEMPORALITIES = ['cumulative', 'delta', 'lowmemory'] as const;
export type Temporality = (typeof TEMPORALITIES)[number];

/** How histograms are aggregated: explicit buckets (the instrument's boundaries) or base-2 exponential. */
export const HISTOGRAM_AGGREGATIONS = ['explicit', 'exponential'] as const;
export type HistogramAggregation = (typeof HISTOGRAM_AGGREGATIONS)[number];

/**
 * OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION's spec values → ours. The JS exporters
 * do not read this variable (only the temporality one), so otelpoc does.
 */
const HISTOGRAM_ENV_VALUES: Readonly<Record<string, HistogramAggregation>> = {
  explicit_bucket_histogram: 'explicit',
  base2_exponential_bucket_histogram: 'exponential',
};

/**
 * The spec's defaults of the base-2 exponential histogram aggregation (metrics SDK spec,
 * "Base2 Exponential Bucket Histogram Aggregation": MaxSize 160, MaxScale 20).
 */
export const DEFAULT_EXPONENTIAL_MAX_SIZE = 160;
export const DEFAULT_EXPONENTIAL_MAX_SCALE = 20;
/** The spec's smallest MaxSize (and the SDK's MIN_MAX_SIZE); the largest is ours: beyond it no backend keeps the buckets. */
const MIN_EXPONENTIAL_MAX_SIZE = 2;
const MAX_EXPONENTIAL_MAX_SIZE = 16_384;

export interface HistogramConfig {
  aggregation: HistogramAggregation;
  /** Exponential only: the most buckets per sign (positive, negative). */
  maxSize: number;
  /** Exponential only: the scale a histogram starts at (it only ever goes down from there). */
  maxScale: number;
}

/** Where and how the server exports its metrics: protocol, temporality, histogram aggregation. */
export interface OtlpConfig {
  /**
   * OTLP/HTTP: the full URL of the metrics endpoint, e.g. http://localhost:4318/v1/metrics.
   * gRPC: the endpoint with no path, e.g. http://localhost:4317 (the service path is gRPC's own).
   */
  metricsUrl: string;
  protocol: OtlpProtocol;
  /** HTTP headers, or gRPC metadata (same names, lower-cased by gRPC). */
  headers: Record<string, string>;
  exportIntervalMs: number;
  exportTimeoutMs: number;
  temporality: Temporality;
  histogram: HistogramConfig;
}

/** The data-kind part of OtlpConfig: what callers that build an OtlpConfig by hand copy over. */
export type OtlpKind = Pick<OtlpConfig, 'protocol' | 'temporality' | 'histogram'>;

/** The kind otelpoc exports when nothing says otherwise (and what manifests before version 4 sent). */
export const DEFAULT_OTLP_KIND: OtlpKind = {
  protocol: 'http/protobuf',
  temporality: 'cumulative',
  histogram: {
    aggregation: 'explicit',
    maxSize: DEFAULT_EXPONENTIAL_MAX_SIZE,
    maxScale: DEFAULT_EXPONENTIAL_MAX_SCALE,
  },
};

export interface OtlpFlags {
  /** --otlp-endpoint: a base URL (/v1/metrics is appended) or a full URL ending in /v1/metrics; gRPC: host and port only. */
  otlpEndpoint?: string | undefined;
  /** --export-interval, already parsed. */
  exportIntervalMs?: number | undefined;
  /** --otlp-protocol: http/protobuf | http/json | grpc. */
  protocol?: string | undefined;
  /** --temporality: cumulative | delta | lowmemory (case-insensitive). */
  temporality?: string | undefined;
  /** --histogram: explicit | exponential. */
  histogram?: string | undefined;
  /** --exponential-max-size: 2…16384 (exponential only). */
  exponentialMaxSize?: number | undefined;
  /** --exponential-max-scale: 20 only, the JS SDK's fixed scale (exponential only). */
  exponentialMaxScale?: number | undefined;
}

export const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';
/** The variables of the two settings that have flags (src/options/settings.ts shows them in --help). */
export const ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_ENDPOINT';
export const EXPORT_INTERVAL_ENV = 'OTEL_METRIC_EXPORT_INTERVAL';
/** The generic variables of the kind flags (their METRICS_ variables, where the spec has one, beat them). */
export const PROTOCOL_ENV = 'OTEL_EXPORTER_OTLP_PROTOCOL';
export const TEMPORALITY_ENV = 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE';
export const HISTOGRAM_ENV = 'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION';
/** The spec's default OTLP/gRPC endpoint (protocol/exporter.md: "Default: http://localhost:4317"). */
export const DEFAULT_OTLP_GRPC_ENDPOINT = 'http://localhost:4317';
export const DEFAULT_EXPORT_INTERVAL_MS = 10_000;
const DEFAULT_EXPORT_TIMEOUT_MS = 30_000;
const METRICS_PATH = '/v1/metrics';

/**
 * Resolves the exporter settings: flags win over signal-specific env vars, which win over generic
 * ones, which win over the defaults (the command's, else the OTel spec's). Unlike the SDK (which warns and ignores), a bad value
 * here is an error that names the variable: this tool exists to prove metrics arrive, so silently
 * exporting somewhere else would defeat it. `defaults.otlpEndpoint` is the command's OTLP/HTTP
 * default; with gRPC the spec's http://localhost:4317 is the default instead.
 */
export function resolveOtlpConfig(
  flags: OtlpFlags,
  env: Env,
  defaults: { otlpEndpoint?: string | undefined; exportIntervalMs?: number | undefined } = {},
): OtlpConfig {
  const protocol = resolveProtocol(flags, env);
  const temporality = resolveTemporality(flags, env);
  const histogram = resolveHistogram(flags, env);

  let metricsUrl: string;
  let urlSource: string;
  if (flags.otlpEndpoint) {
    urlSource = '--otlp-endpoint';
    metricsUrl = protocol === 'grpc' ? flags.otlpEndpoint : withMetricsPath(flags.otlpEndpoint);
  } else if (env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT) {
    urlSource = 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT';
    metricsUrl = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT; // used as is, per the spec
  } else if (protocol === 'grpc') {
    // gRPC: no signal path is appended (spec, protocol/exporter.md, "Endpoint (OTLP/gRPC)").
    urlSource = 'OTEL_EXPORTER_OTLP_ENDPOINT';
    metricsUrl = env.OTEL_EXPORTER_OTLP_ENDPOINT || DEFAULT_OTLP_GRPC_ENDPOINT;
  } else {
    urlSource = 'OTEL_EXPORTER_OTLP_ENDPOINT';
    metricsUrl = withMetricsPath(
      env.OTEL_EXPORTER_OTLP_ENDPOINT || defaults.otlpEndpoint || DEFAULT_OTLP_ENDPOINT,
    );
  }
  checkHttpUrl(metricsUrl, urlSource);
  if (protocol === 'grpc') checkGrpcEndpoint(metricsUrl, urlSource);

  const headers = otlpHeadersFromEnv(env, protocol);

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
  return { metricsUrl, protocol, headers, exportIntervalMs, exportTimeoutMs, temporality, histogram };
}

/** --otlp-protocol, else OTEL_EXPORTER_OTLP_METRICS_PROTOCOL (beats), else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
function resolveProtocol(flags: OtlpFlags, env: Env): OtlpProtocol {
  const [source, raw] = firstGiven(flags.protocol, '--otlp-protocol', env, [
    'OTEL_EXPORTER_OTLP_METRICS_PROTOCOL',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
  ]);
  if (raw === undefined) return DEFAULT_OTLP_KIND.protocol;
  return oneOf(raw, OTLP_PROTOCOLS, source);
}

/**
 * --temporality, else OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, else cumulative. The
 * exporter would read the variable itself, but only when otelpoc passes no preference (it always
 * passes one), and it warns and falls back to cumulative on an unknown value.
 */
function resolveTemporality(flags: OtlpFlags, env: Env): Temporality {
  const [source, raw] = firstGiven(flags.temporality, '--temporality', env, [
    'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
  ]);
  if (raw === undefined) return DEFAULT_OTLP_KIND.temporality;
  return oneOf(raw, TEMPORALITIES, source);
}

/**
 * --histogram (explicit | exponential), else OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION
 * (the spec's names), else explicit. The exponential parameters are flags only (the spec defines
 * no variable for them); given with explicit buckets they could not be honoured, so that is an error.
 */
function resolveHistogram(flags: OtlpFlags, env: Env): HistogramConfig {
  let aggregation: HistogramAggregation = DEFAULT_OTLP_KIND.histogram.aggregation;
  if (flags.histogram !== undefined && flags.histogram.trim() !== '') {
    aggregation = oneOf(flags.histogram, HISTOGRAM_AGGREGATIONS, '--histogram');
  } else {
    const name = 'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION';
    const raw = env[name]?.trim();
    if (raw) {
      const spec = oneOf(raw, Object.keys(HISTOGRAM_ENV_VALUES), name);
      aggregation = HISTOGRAM_ENV_VALUES[spec] ?? aggregation;
    }
  }
  const { exponentialMaxSize: maxSize, exponentialMaxScale: maxScale } = flags;
  if (aggregation !== 'exponential') {
    const given =
      maxSize !== undefined
        ? '--exponential-max-size'
        : maxScale !== undefined
          ? '--exponential-max-scale'
          : undefined;
    if (given)
      throw new UsageError(`${given}: applies to exponential histograms only (--histogram exponential)`);
  }
  if (
    maxSize !== undefined &&
    (!Number.isInteger(maxSize) || maxSize < MIN_EXPONENTIAL_MAX_SIZE || maxSize > MAX_EXPONENTIAL_MAX_SIZE)
  ) {
    throw new UsageError(
      `--exponential-max-size: expected a whole number of buckets from ${MIN_EXPONENTIAL_MAX_SIZE} to ${MAX_EXPONENTIAL_MAX_SIZE}, got ${maxSize}`,
    );
  }
  // @opentelemetry/sdk-metrics 2.x starts every exponential histogram at scale 20 (MAX_SCALE in
  // aggregator/ExponentialHistogram.js) and takes no max scale: any other value would be ignored.
  if (maxScale !== undefined && maxScale !== DEFAULT_EXPONENTIAL_MAX_SCALE) {
    throw new UsageError(
      `--exponential-max-scale: the OpenTelemetry JS SDK fixes the max scale at ${DEFAULT_EXPONENTIAL_MAX_SCALE}, got ${maxScale}`,
    );
  }
  return {
    aggregation,
    maxSize: maxSize ?? DEFAULT_EXPONENTIAL_MAX_SIZE,
    maxScale: maxScale ?? DEFAULT_EXPONENTIAL_MAX_SCALE,
  };
}

/** The flag when given (non-empty), else the first set variable: [its name, its value]. */
function firstGiven(
  flag: string | undefined,
  flagName: string,
  env: Env,
  names: readonly string[],
): [string, string | undefined] {
  if (flag !== undefined && flag.trim() !== '') return [flagName, flag];
  for (const name of names) {
    const raw = env[name]?.trim();
    if (raw) return [name, raw];
  }
  return [flagName, undefined];
}

/** `raw` as one of `allowed`, compared case-insensitively (the spec's rule for enum values), else exit 2 naming `source`. */
export function oneOf<T extends string>(raw: string, allowed: readonly T[], source: string): T {
  const value = raw.trim().toLowerCase();
  const found = allowed.find((a) => a === value);
  if (found === undefined) {
    throw new UsageError(
      `${source}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(raw.trim())}`,
    );
  }
  return found;
}

/**
 * The gRPC exporter takes host and port only: it warns about a path and ignores it (otlp-grpc-exporter-base,
 * validateAndNormalizeUrl), so an HTTP endpoint such as …/v1/metrics kept after switching to gRPC
 * would silently go somewhere else. Refused instead.
 */
function checkGrpcEndpoint(url: string, source: string): void {
  const { pathname, search } = new URL(url);
  if ((pathname && pathname !== '/') || search) {
    throw new UsageError(
      `${source}: a gRPC endpoint is a scheme, host and port only (like ${DEFAULT_OTLP_GRPC_ENDPOINT}), got "${url}"`,
    );
  }
}

/**
 * gRPC metadata keys are narrower than HTTP header names (grpc-js Metadata: 0-9 a-z _ . - after
 * lower-casing; `-bin` keys carry binary values): checked here so a bad one fails at start, not at
 * every export.
 */
export function checkGrpcMetadataKey(name: string, what: string): void {
  if (!/^[0-9a-z_.-]+$/i.test(name) || name.toLowerCase().endsWith('-bin')) {
    throw new UsageError(
      `${what}: ${JSON.stringify(name)} cannot be gRPC metadata: letters, digits and _ . - only, not ending in -bin`,
    );
  }
}

/**
 * OTEL_EXPORTER_OTLP_HEADERS merged with OTEL_EXPORTER_OTLP_METRICS_HEADERS (which wins per name),
 * as the exporter itself reads them (@opentelemetry/otlp-exporter-base,
 * configuration/otlp-node-http-env-configuration.ts: "headers are combined instead of
 * overwritten"): the exporter sends both whatever we pass, so both are checked, each by its name.
 */
function otlpHeadersFromEnv(env: Env, protocol: OtlpProtocol): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_METRICS_HEADERS']) {
    for (const [key, value] of Object.entries(parseKeyValueList(env[name] ?? '', name))) {
      checkHeader(key, value, name);
      if (protocol === 'grpc') checkGrpcMetadataKey(key, name);
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
