import type { Attributes, Meter } from '@opentelemetry/api';
import { ExplicitHistogram } from '../telemetry/explicit-histogram.js';
import { ATTR, DURATION_BUCKETS_S, INSTRUMENTS, OVERFLOW_VALUE } from '../telemetry/names.js';
import { CardinalityLimiter } from './cardinality.js';

export interface RequestAttributes {
  method: string;
  scheme: 'http' | 'https';
  route: string;
  statusCode: number;
  /** Valid tenant from Client-ID; absent when the header was absent or invalid. */
  clientId: string | undefined;
  runId: string | undefined;
}

export interface CardinalityLimits {
  maxTenants: number;
  maxRunIds: number;
  /** A run id not seen for this long stops counting against maxRunIds. */
  runIdIdleMs: number;
}

export const DEFAULT_LIMITS: CardinalityLimits = {
  maxTenants: 1000,
  maxRunIds: 64,
  runIdIdleMs: 10 * 60_000,
};

/** A running total per attribute set, kept by us and reported to the SDK at collection time. */
interface Tally {
  attrs: Attributes;
  value: number;
}

/**
 * The three HTTP server instruments of the semantic conventions, recorded with the same attributes.
 * Every request is recorded once, when its response is done (or the client went away), so the
 * counter and the histogram's _count always agree.
 *
 * Why not three synchronous SDK instruments: each call hashes the attribute set (JSON-stringifying
 * it), and four such calls per request cost more than the request itself when `serve --delay 0` is
 * benchmarked. Here each attribute set is built once and kept under a cheap key: the duration
 * histogram is aggregated in an ExplicitHistogram (exported by the SDK's reader as an ordinary OTLP
 * histogram), the request counter is observable and reads that histogram's counts, so the two can
 * never disagree, and the active-requests gauge is observable over a Map of counts.
 */
export class RequestMetrics {
  readonly #duration: ExplicitHistogram;
  readonly #active = new Map<string, Tally>();
  readonly #tenants: CardinalityLimiter;
  readonly #runIds: CardinalityLimiter;
  readonly #warn: (message: string) => void;

  /** `duration` must be the histogram named INSTRUMENTS.requestDuration, registered with the pipeline. */
  constructor(
    meter: Meter,
    duration: ExplicitHistogram,
    limits: CardinalityLimits,
    warn: (message: string) => void,
  ) {
    this.#duration = duration;
    meter
      .createObservableCounter(INSTRUMENTS.requestCount.name, {
        unit: INSTRUMENTS.requestCount.unit,
        description: INSTRUMENTS.requestCount.description,
      })
      .addCallback((result) => {
        for (const s of this.#duration.all()) result.observe(s.count, s.attrs);
      });
    meter
      .createObservableUpDownCounter(INSTRUMENTS.activeRequests.name, {
        unit: INSTRUMENTS.activeRequests.unit,
        description: INSTRUMENTS.activeRequests.description,
      })
      .addCallback((result) => {
        for (const t of this.#active.values()) result.observe(t.value, t.attrs);
      });
    this.#tenants = new CardinalityLimiter({ max: limits.maxTenants, overflowValue: OVERFLOW_VALUE });
    this.#runIds = new CardinalityLimiter({
      max: limits.maxRunIds,
      overflowValue: OVERFLOW_VALUE,
      idleMs: limits.runIdIdleMs,
    });
    this.#warn = warn;
  }

  /**
   * Marks a request active; returns the function that ends it. Active requests carry the tenant
   * (so the stack routes them to it) but not the run id: the gauge is per server, not per run.
   */
  begin(method: string, scheme: 'http' | 'https', clientId: string | undefined): () => void {
    const tenant = clientId === undefined ? undefined : this.#tenant(clientId);
    const tally = tallyFor(this.#active, `${method}\0${scheme}\0${tenant ?? ''}`, () => {
      const attrs: Attributes = { [ATTR.method]: method, [ATTR.scheme]: scheme };
      if (tenant !== undefined) attrs[ATTR.clientId] = tenant;
      return attrs;
    });
    tally.value++;
    return () => {
      tally.value--;
    };
  }

  record(durationS: number, a: RequestAttributes): void {
    const tenant = a.clientId === undefined ? undefined : this.#tenant(a.clientId);
    const runId = a.runId === undefined ? undefined : this.#runId(a.runId);
    const key = `${a.method}\0${a.scheme}\0${a.route}\0${a.statusCode}\0${tenant ?? ''}\0${runId ?? ''}`;
    const series = this.#duration.series(key, () => {
      const attrs: Attributes = {
        [ATTR.method]: a.method,
        [ATTR.scheme]: a.scheme,
        [ATTR.route]: a.route,
        [ATTR.statusCode]: a.statusCode,
      };
      // Semantic conventions: on 4xx/5xx server responses, error.type is the status code as a string.
      if (a.statusCode >= 400) attrs[ATTR.errorType] = String(a.statusCode);
      if (tenant !== undefined) attrs[ATTR.clientId] = tenant;
      if (runId !== undefined) attrs[ATTR.runId] = runId;
      return attrs;
    });
    this.#duration.record(series, durationS);
  }

  #tenant(clientId: string): string {
    const { value, firstOverflow } = this.#tenants.admit(clientId);
    if (firstOverflow) {
      this.#warn(
        `more than ${this.#tenants.size} distinct Client-ID values: further ones are recorded as client_id="${OVERFLOW_VALUE}" (raise --max-tenants)`,
      );
    }
    return value;
  }

  #runId(runId: string): string {
    const { value, firstOverflow } = this.#runIds.admit(runId);
    if (firstOverflow) {
      this.#warn(
        `more than ${this.#runIds.size} live X-Run-ID values: further ones are recorded as otelpoc_run_id="${OVERFLOW_VALUE}"`,
      );
    }
    return value;
  }
}

function tallyFor(map: Map<string, Tally>, key: string, attrs: () => Attributes): Tally {
  let tally = map.get(key);
  if (!tally) {
    tally = { attrs: attrs(), value: 0 };
    map.set(key, tally);
  }
  return tally;
}

/** The http.server.request.duration histogram, with the semantic-convention buckets. */
export function createDurationHistogram(): ExplicitHistogram {
  return new ExplicitHistogram({
    name: INSTRUMENTS.requestDuration.name,
    unit: INSTRUMENTS.requestDuration.unit,
    description: INSTRUMENTS.requestDuration.description,
    boundaries: DURATION_BUCKETS_S,
  });
}
