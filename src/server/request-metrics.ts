import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
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

/**
 * The three HTTP server instruments of the semantic conventions, recorded with the same attributes.
 * Every request is recorded once, when its response is done (`finish`), so the counter and the
 * histogram's _count always agree.
 */
export class RequestMetrics {
  readonly #duration: Histogram;
  readonly #requests: Counter;
  readonly #active: UpDownCounter;
  readonly #tenants: CardinalityLimiter;
  readonly #runIds: CardinalityLimiter;
  readonly #warn: (message: string) => void;

  constructor(meter: Meter, limits: CardinalityLimits, warn: (message: string) => void) {
    this.#duration = meter.createHistogram(INSTRUMENTS.requestDuration.name, {
      unit: INSTRUMENTS.requestDuration.unit,
      description: INSTRUMENTS.requestDuration.description,
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    this.#requests = meter.createCounter(INSTRUMENTS.requestCount.name, {
      unit: INSTRUMENTS.requestCount.unit,
      description: INSTRUMENTS.requestCount.description,
    });
    this.#active = meter.createUpDownCounter(INSTRUMENTS.activeRequests.name, {
      unit: INSTRUMENTS.activeRequests.unit,
      description: INSTRUMENTS.activeRequests.description,
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
    const attrs: Attributes = { [ATTR.method]: method, [ATTR.scheme]: scheme };
    if (clientId !== undefined) attrs[ATTR.clientId] = this.#tenant(clientId);
    this.#active.add(1, attrs);
    return () => this.#active.add(-1, attrs);
  }

  record(durationS: number, a: RequestAttributes): void {
    const attrs: Attributes = {
      [ATTR.method]: a.method,
      [ATTR.scheme]: a.scheme,
      [ATTR.route]: a.route,
      [ATTR.statusCode]: a.statusCode,
    };
    // Semantic conventions: on 4xx/5xx server responses, error.type is the status code as a string.
    if (a.statusCode >= 400) attrs[ATTR.errorType] = String(a.statusCode);
    if (a.clientId !== undefined) attrs[ATTR.clientId] = this.#tenant(a.clientId);
    if (a.runId !== undefined) attrs[ATTR.runId] = this.#runId(a.runId);
    this.#duration.record(durationS, attrs);
    this.#requests.add(1, attrs);
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
