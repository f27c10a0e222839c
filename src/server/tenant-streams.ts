/**
 * Per-tenant export: one OpenTelemetry MeterProvider and OTLP exporter per tenant, each exporting
 * with the tenant header (e.g. `X-Scope-OrgID: <Client-ID>`), exactly what a service writes to send
 * each tenant's metrics straight to Mimir's OTLP endpoint with no tenant router in between. The
 * instruments, their attributes (client_id included) and the flush-on-stop guarantee are those of the
 * single stream (RequestMetrics, createMetricsPipeline), once per stream.
 *
 * Bounded like the single stream: at most `maxTenants` streams named by a Client-ID, plus the default
 * tenant's (requests without Client-ID) and the overflow tenant's (`__overflow__`, for every Client-ID
 * past the cap). A stream unused for `idleMs` (10 minutes by default) is flushed and closed, which
 * frees its place; a tenant that comes back gets a new stream.
 */
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { type ExportStats, type ExportTotals, exportTotalsOf } from '../telemetry/export-totals.js';
import { OVERFLOW_VALUE } from '../telemetry/names.js';
import { createMetricsPipeline, type MetricsPipeline } from '../telemetry/provider.js';
import type { Env } from '../util/env.js';
import { errorMessage } from '../util/errors.js';
import {
  type CardinalityLimits,
  type RequestAttributes,
  RequestMetrics,
  type RequestRecorder,
} from './request-metrics.js';

export interface TenantExportOptions {
  /** Header naming the tenant on each export request, e.g. X-Scope-OrgID. */
  header: string;
  /** Tenant of the requests sent without Client-ID (`anonymous`, as verify's --default-tenant). */
  defaultTenant: string;
  /** A stream unused this long is flushed and closed. Default DEFAULT_STREAM_IDLE_MS. */
  idleMs?: number | undefined;
}

export const DEFAULT_STREAM_IDLE_MS = 10 * 60_000;
/** Closed streams whose final export failed, kept for the report (the totals keep counting past it). */
const RETIRED_FAILURES_KEPT = 100;

/** One stream's export record, for reports: which tenant, how its exports went. */
/** One tenant stream's ExportTotals while it runs (lastExportOk: finalFlushOk once stopped), and why it fails. */
export interface StreamStats extends Omit<ExportTotals, 'finalFlushOk'> {
  tenant: string;
  lastExportOk: boolean;
  lastError?: string | undefined;
}

export interface TenantStreamsOptions {
  tenantExport: TenantExportOptions;
  limits: CardinalityLimits;
  /** The exporter of one tenant's stream (an OTLPMetricExporter with the tenant header, normally). */
  exporterFor: (tenant: string) => PushMetricExporter;
  /** Where the streams export to, for messages. */
  target: string;
  exportIntervalMs: number;
  exportTimeoutMs: number;
  env: Env;
  warn: (message: string) => void;
  now?: () => number;
  /** How often idle streams are looked for; default a tenth of idleMs, at most a minute. 0: never (tests sweep). */
  sweepIntervalMs?: number;
}

interface Stream {
  tenant: string;
  pipeline: MetricsPipeline;
  metrics: RequestMetrics;
  active: number;
  lastUsedMs: number;
  /** RequestMetrics.begin's end function → the same, counting this stream's active requests. */
  ends: Map<() => void, () => void>;
}

export class TenantStreams implements RequestRecorder {
  readonly #opts: TenantStreamsOptions;
  readonly #now: () => number;
  readonly #idleMs: number;
  readonly #streams = new Map<string, Stream>();
  /** Streams being flushed and closed (idle): stop() waits for them too. */
  readonly #closing = new Set<Promise<void>>();
  readonly #retired = { streams: 0, exports: 0, failures: 0 };
  readonly #retiredFailures: StreamStats[] = [];
  #named = 0;
  #warnedOverflow = false;
  #peak = 0;
  #lastIdleCheckMs = Number.NEGATIVE_INFINITY;
  #sweeper: NodeJS.Timeout | undefined;
  #stopped: Promise<void> | undefined;

  constructor(opts: TenantStreamsOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#idleMs = opts.tenantExport.idleMs ?? DEFAULT_STREAM_IDLE_MS;
    const every = opts.sweepIntervalMs ?? Math.min(60_000, Math.max(1000, this.#idleMs / 10));
    if (every > 0) {
      this.#sweeper = setInterval(() => this.sweepIdle(), every);
      this.#sweeper.unref();
    }
  }

  begin(method: string, scheme: 'http' | 'https', clientId: string | undefined): () => void {
    const { stream, clientId: recorded } = this.#streamFor(clientId);
    const inner = stream.metrics.begin(method, scheme, recorded);
    let end = stream.ends.get(inner);
    if (end === undefined) {
      end = () => {
        stream.active--;
        inner();
      };
      stream.ends.set(inner, end);
    }
    stream.active++;
    return end;
  }

  record(durationS: number, a: RequestAttributes): void {
    const { stream, clientId } = this.#streamFor(a.clientId);
    stream.metrics.record(durationS, clientId === a.clientId ? a : { ...a, clientId });
  }

  /** Open streams now, and the most there ever were at once. */
  get streamCount(): { open: number; peak: number; closed: number } {
    return { open: this.#streams.size, peak: this.#peak, closed: this.#retired.streams };
  }

  /** Every stream's exports, summed; a stream whose last export failed counts in consecutiveFailures. */
  get stats(): Readonly<ExportStats> {
    const failing = this.streamStats().filter((s) => !s.lastExportOk);
    let exports = this.#retired.exports;
    let failures = this.#retired.failures;
    for (const s of this.#streams.values()) {
      exports += s.pipeline.stats.exports;
      failures += s.pipeline.stats.failures;
    }
    return {
      exports,
      failures,
      consecutiveFailures: failing.length,
      lastError: failing.length
        ? failing.map((s) => `tenant "${s.tenant}": ${s.lastError ?? 'export failed'}`).join('; ')
        : undefined,
    };
  }

  /** The open streams, then the closed ones whose final export failed (at most RETIRED_FAILURES_KEPT). */
  streamStats(): StreamStats[] {
    const open = [...this.#streams.values()].map((s) => statsOf(s.tenant, s.pipeline.stats));
    return [...open.sort((a, b) => a.tenant.localeCompare(b.tenant)), ...this.#retiredFailures];
  }

  forceFlush(): Promise<void> {
    return Promise.all([...this.#streams.values()].map((s) => s.pipeline.forceFlush())).then(() => {});
  }

  /**
   * Flushes and closes every stream unused for idleMs with no request in flight. Returns when they
   * are closed. Called on a timer; tests call it with a clock of their own.
   */
  async sweepIdle(): Promise<void> {
    const now = this.#now();
    const closing: Promise<void>[] = [];
    for (const stream of [...this.#streams.values()]) {
      if (stream.active === 0 && now - stream.lastUsedMs >= this.#idleMs) closing.push(this.#close(stream));
    }
    await Promise.all(closing);
  }

  /**
   * Final flush of every stream, in parallel, then the periodic exports stop. `maxWaitMs(tenant)`
   * bounds a stream's wait for its final export (see MetricsPipeline.shutdown). Safe to call twice.
   */
  shutdown(maxWaitMs: (tenant: string) => number | undefined = () => undefined): Promise<void> {
    this.#stopped ??= (async () => {
      clearInterval(this.#sweeper);
      await Promise.all([
        ...[...this.#streams.values()].map((s) => {
          const wait = maxWaitMs(s.tenant);
          return s.pipeline.shutdown(wait === undefined ? {} : { maxWaitMs: wait });
        }),
        ...this.#closing,
      ]);
    })();
    return this.#stopped;
  }

  #streamFor(clientId: string | undefined): { stream: Stream; clientId: string | undefined } {
    const now = this.#now();
    const { defaultTenant } = this.#opts.tenantExport;
    let tenant = clientId ?? defaultTenant;
    let stream = this.#streams.get(tenant);
    if (stream === undefined) {
      if (!isNamed(tenant, defaultTenant)) {
        // The default tenant (no Client-ID, or a Client-ID naming it) and the overflow tenant are
        // not counted against the cap: there is one of each.
        stream = this.#open(tenant, now);
      } else {
        if (this.#named >= this.#opts.limits.maxTenants) this.#closeIdleNow(now);
        if (this.#named < this.#opts.limits.maxTenants) {
          stream = this.#open(tenant, now);
          this.#named++;
        } else {
          tenant = OVERFLOW_VALUE;
          if (!this.#warnedOverflow) {
            this.#warnedOverflow = true;
            this.#opts.warn(
              `more than ${this.#opts.limits.maxTenants} distinct Client-ID values: further ones are exported in the tenant "${OVERFLOW_VALUE}" as client_id="${OVERFLOW_VALUE}" (raise --max-tenants)`,
            );
          }
          stream = this.#streams.get(tenant) ?? this.#open(tenant, now);
        }
      }
    }
    stream.lastUsedMs = now;
    return { stream, clientId: clientId === undefined ? undefined : tenant };
  }

  #open(tenant: string, now: number): Stream {
    const { target, warn } = this.#opts;
    const pipeline = createMetricsPipeline({
      exporter: this.#opts.exporterFor(tenant),
      exportIntervalMs: this.#opts.exportIntervalMs,
      exportTimeoutMs: this.#opts.exportTimeoutMs,
      env: this.#opts.env,
      onExportFailure: (reason) =>
        warn(
          `metrics export for tenant "${tenant}" to ${target} failed: ${reason} (its counts are kept and sent when it recovers; other tenants' streams go on)`,
        ),
      onExportRecovered: (n) =>
        warn(`metrics export for tenant "${tenant}" to ${target} recovered after ${n} failed attempt(s)`),
    });
    // Each stream caps its own run ids; its tenant is already capped here (one value per stream).
    const metrics = new RequestMetrics(pipeline.meter, this.#opts.limits, warn);
    const stream: Stream = { tenant, pipeline, metrics, active: 0, lastUsedMs: now, ends: new Map() };
    this.#streams.set(tenant, stream);
    this.#peak = Math.max(this.#peak, this.#streams.size);
    return stream;
  }

  /** At the cap: frees the places of idle named streams at once (their flush goes on in the background). */
  #closeIdleNow(now: number): void {
    // At the cap every new Client-ID gets here: look through the streams at most once a second.
    if (now - this.#lastIdleCheckMs < 1000) return;
    this.#lastIdleCheckMs = now;
    for (const stream of this.#streams.values()) {
      if (stream.active === 0 && now - stream.lastUsedMs >= this.#idleMs) void this.#close(stream);
    }
  }

  #close(stream: Stream): Promise<void> {
    if (this.#streams.get(stream.tenant) !== stream) return Promise.resolve();
    this.#streams.delete(stream.tenant);
    if (isNamed(stream.tenant, this.#opts.tenantExport.defaultTenant)) this.#named--;
    const closing = stream.pipeline
      .shutdown({ maxWaitMs: this.#opts.exportTimeoutMs })
      .catch((err: unknown) => {
        this.#opts.warn(`closing the idle stream of tenant "${stream.tenant}" failed: ${errorMessage(err)}`);
      })
      .then(() => {
        const s = stream.pipeline.stats;
        this.#retired.streams++;
        this.#retired.exports += s.exports;
        this.#retired.failures += s.failures;
        if (s.consecutiveFailures > 0) {
          this.#opts.warn(
            `the idle stream of tenant "${stream.tenant}" was closed, but its final export failed (${s.lastError}): its last counts did not reach ${this.#opts.target}`,
          );
          if (this.#retiredFailures.length < RETIRED_FAILURES_KEPT)
            this.#retiredFailures.push(statsOf(stream.tenant, s));
        }
        this.#closing.delete(closing);
      });
    this.#closing.add(closing);
    return closing;
  }
}

function isNamed(tenant: string, defaultTenant: string): boolean {
  return tenant !== defaultTenant && tenant !== OVERFLOW_VALUE;
}

function statsOf(tenant: string, s: Readonly<ExportStats>): StreamStats {
  const { exports, failedExports, finalFlushOk } = exportTotalsOf(s);
  return {
    tenant,
    exports,
    failedExports,
    lastExportOk: finalFlushOk,
    ...(s.lastError !== undefined && s.consecutiveFailures > 0 ? { lastError: s.lastError } : {}),
  };
}
