import type { Attributes, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
import { ATTR, DURATION_BUCKETS_S, INSTRUMENTS, OVERFLOW_VALUE } from '../telemetry/names.js';
import { CardinalityLimiter } from './cardinality.js';

export interface RequestAttributes {
  method: string;
  scheme: 'http' | 'https';
  route: string;
  /** The status sent; undefined when the request ended before its response was sent (see errorType). */
  statusCode: number | undefined;
  /**
   * Why the request ended without a complete response (CUT_ERROR_TYPES in app.ts), when it did; a request
   * answered normally has none, and then error.type is its 4xx/5xx status.
   */
  errorType?: string | undefined;
  /** Valid tenant from Client-ID; absent when the header was absent or invalid. */
  clientId: string | undefined;
  runId: string | undefined;
}

/** What the /api server records into: one stream (RequestMetrics) or one per tenant (TenantStreams). */
export interface RequestRecorder {
  /** Marks a request active; returns the function that ends it (call it once). */
  begin(method: string, scheme: 'http' | 'https', clientId: string | undefined): () => void;
  /** Records a finished request. */
  record(durationS: number, a: RequestAttributes): void;
}

export interface CardinalityLimits {
  maxTenants: number;
  maxRunIds: number;
  /** A run id not seen for this long stops counting against maxRunIds. */
  runIdIdleMs: number;
  /** Attribute sets of finished requests kept at most (ATTRIBUTE_SET_LIMIT); past them, the overflow set. */
  maxAttributeSets?: number | undefined;
}

/**
 * Past this many attribute sets of finished requests, further ones are recorded under the SDK's own
 * overflow set (`otel.metric.overflow: true`) by both instruments alike. Only reached when run ids
 * come and go over a long life (the limiter forgets idle ones; a cumulative series is never
 * forgotten, by us or by the SDK). Kept under the SDK's cardinality limit (telemetry/provider.ts), so
 * that the SDK's overflow, which would fold the histogram and not the counter we count, never comes.
 */
export const ATTRIBUTE_SET_LIMIT = 99_000;

export const DEFAULT_LIMITS: CardinalityLimits = {
  maxTenants: 1000,
  maxRunIds: 64,
  runIdIdleMs: 10 * 60_000,
  maxAttributeSets: ATTRIBUTE_SET_LIMIT,
};

/** The SDK's attribute set for measurements past a cardinality limit (sdk-metrics DeltaMetricProcessor). */
export const OVERFLOW_ATTRIBUTES: Attributes = { 'otel.metric.overflow': true };

/**
 * The three HTTP server instruments, recorded with the OpenTelemetry SDK's own instruments, as any
 * instrumented service does. http.server.request.duration is a `Histogram`, and `record` is called
 * once per request when its response is done (or the client went away). The request counter and the
 * active requests are asynchronous instruments (`ObservableCounter`, `ObservableUpDownCounter`), read
 * by the SDK at collection from plain numbers kept per attribute set: so a request costs one SDK call,
 * not four (each call hashes its attribute set: sdk-metrics utils.js hashAttributes sorts and
 * stringifies it; bench/RESULTS.md measures about 3 µs per call under load).
 *
 * The counter and the histogram's _count still agree at every export: a request's count and its
 * histogram measurement are taken together, synchronously, and the SDK runs the callbacks and then
 * reads the synchronous storages in one chain of microtasks (MeterSharedState.collect), in which no
 * request's handler can run. test/server/request-metrics.test.ts checks it under interleaved load.
 *
 * Under `lowmemory` the spec keeps an ObservableCounter cumulative (only Counter and Histogram turn
 * delta): the counter is then cumulative while the histogram is delta. The manifest records the
 * counter's kind (server.kind.requestCounter) and verify reads each as it was sent.
 *
 * Each distinct attribute set is built once, kept under the values it is made of (tenant × run id ×
 * method × status, all capped), and passed again as the same object, with its keys inserted in
 * sorted order (the SDK sorts them to hash).
 */
export class RequestMetrics implements RequestRecorder {
  readonly #duration: Histogram;
  readonly #tenants: CardinalityLimiter;
  readonly #runIds: CardinalityLimiter;
  readonly #warn: (message: string) => void;
  readonly #maxSets: number;
  /**
   * Finished requests by attribute set, with their count: tenant → run id → method → status. Never
   * started over: the counter reports every count it ever had (cumulative), as the SDK keeps every
   * series of the histogram; bounded by ATTRIBUTE_SET_LIMIT.
   */
  readonly #finished = new AttributeCache<Finished>();
  /** The same sets, in the order they came, for the collection to read. */
  readonly #finishedSets: Finished[] = [];
  /** The set of every request past the limit of sets (limits.maxAttributeSets). */
  readonly #overflow: Finished = { attrs: OVERFLOW_ATTRIBUTES, count: 0 };
  /**
   * Active requests by attribute set, with the function that ends one: tenant → method. Bounded
   * without a limit: the tenants are capped and never forgotten, and Node's parser admits only its
   * known methods (http.METHODS).
   */
  readonly #inFlight = new AttributeCache<InFlight>();
  /** The same sets, in the order they came, for the collection to read. */
  readonly #inFlightSets: InFlight[] = [];

  constructor(meter: Meter, limits: CardinalityLimits, warn: (message: string) => void) {
    this.#duration = meter.createHistogram(INSTRUMENTS.requestDuration.name, {
      unit: INSTRUMENTS.requestDuration.unit,
      description: INSTRUMENTS.requestDuration.description,
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    const requests = meter.createObservableCounter(INSTRUMENTS.requestCount.name, {
      unit: INSTRUMENTS.requestCount.unit,
      description: INSTRUMENTS.requestCount.description,
    });
    requests.addCallback((result: ObservableResult) => {
      for (const set of this.#finishedSets) result.observe(set.count, set.attrs);
      if (this.#overflow.count > 0) result.observe(this.#overflow.count, this.#overflow.attrs);
    });
    const active = meter.createObservableUpDownCounter(INSTRUMENTS.activeRequests.name, {
      unit: INSTRUMENTS.activeRequests.unit,
      description: INSTRUMENTS.activeRequests.description,
    });
    // Every set seen is reported, 0 once its requests ended, as the synchronous counter reported them.
    active.addCallback((result: ObservableResult) => {
      for (const set of this.#inFlightSets) result.observe(set.count, set.attrs);
    });
    this.#tenants = new CardinalityLimiter({ max: limits.maxTenants, overflowValue: OVERFLOW_VALUE });
    this.#runIds = new CardinalityLimiter({
      max: limits.maxRunIds,
      overflowValue: OVERFLOW_VALUE,
      idleMs: limits.runIdIdleMs,
    });
    this.#warn = warn;
    this.#maxSets = limits.maxAttributeSets ?? ATTRIBUTE_SET_LIMIT;
  }

  /**
   * Marks a request active; returns the function that ends it (call it once: it is shared by every
   * request with the same attributes, so no closure is made per request). Active requests carry the
   * tenant (so the stack routes them to it) but not the run id: the gauge is per server, not per run.
   */
  begin(method: string, scheme: 'http' | 'https', clientId: string | undefined): () => void {
    const tenant = clientId === undefined ? undefined : this.#tenant(clientId);
    // Keyed by scheme too: a set rebuilt in place would lose the count of its requests in flight.
    const byMethod = this.#inFlight.leaf(tenant ?? '', '', scheme);
    let set = byMethod.get(method);
    if (set === undefined) {
      const attrs = sorted({ [ATTR.method]: method, [ATTR.scheme]: scheme, [ATTR.clientId]: tenant });
      const created: InFlight = {
        attrs,
        count: 0,
        end: () => {
          created.count--;
        },
      };
      set = created;
      byMethod.set(method, set);
      this.#inFlightSets.push(set);
    }
    set.count++;
    return set.end;
  }

  record(durationS: number, a: RequestAttributes): void {
    const set = this.#finishedSet(a);
    set.count++;
    this.#duration.record(durationS, set.attrs);
  }

  /** How many attribute sets are kept (finished requests, active requests): bounded by the caps. */
  get cachedAttributeSets(): { recorded: number; active: number } {
    return { recorded: this.#finishedSets.length, active: this.#inFlightSets.length };
  }

  #finishedSet(a: RequestAttributes): Finished {
    const tenant = a.clientId === undefined ? undefined : this.#tenant(a.clientId);
    const runId = a.runId === undefined ? undefined : this.#runId(a.runId);
    const byStatus = this.#finished.leaf(tenant ?? '', runId ?? '', a.method);
    // A cut request is keyed by its error type as well (rare: the usual key stays the bare status).
    const key = a.errorType === undefined ? (a.statusCode ?? '') : `${a.statusCode ?? ''}/${a.errorType}`;
    const found = byStatus.get(key);
    // One route and one scheme in practice, so the key leaves them out: a request on another looks
    // for its set among all (rare, and slower), so that a route that comes back counts on.
    if (found !== undefined && found.attrs[ATTR.route] === a.route && found.attrs[ATTR.scheme] === a.scheme)
      return found;
    const attrs = sorted({
      [ATTR.method]: a.method,
      [ATTR.scheme]: a.scheme,
      [ATTR.route]: a.route,
      [ATTR.statusCode]: a.statusCode,
      // Semantic conventions: on 4xx/5xx server responses, error.type is the status code as a string;
      // a request that ended before its response was complete carries the reason it was cut instead.
      [ATTR.errorType]:
        a.errorType ?? (a.statusCode !== undefined && a.statusCode >= 400 ? String(a.statusCode) : undefined),
      [ATTR.clientId]: tenant,
      [ATTR.runId]: runId,
    });
    const same = found && this.#finishedSets.find((f) => sameAttributes(f.attrs, attrs));
    if (same) {
      byStatus.set(key, same);
      return same;
    }
    if (this.#finishedSets.length >= this.#maxSets) {
      if (this.#overflow.count === 0) {
        this.#warn(
          `more than ${this.#maxSets} attribute sets of requests: further ones are recorded as otel.metric.overflow=true (run ids come and go; restart serve to start over)`,
        );
      }
      return this.#overflow;
    }
    const set: Finished = { attrs, count: 0 };
    this.#finishedSets.push(set);
    byStatus.set(key, set);
    return set;
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

/** What is kept per attribute set, under three string keys (capped values, so the maps stay small) and a last one. */
class AttributeCache<T> {
  readonly #root = new Map<string, Map<string, Map<string, Map<string | number, T>>>>();

  leaf(a: string, b: string, c: string): Map<string | number, T> {
    let byB = this.#root.get(a);
    if (byB === undefined) {
      byB = new Map();
      this.#root.set(a, byB);
    }
    let byC = byB.get(b);
    if (byC === undefined) {
      byC = new Map();
      byB.set(b, byC);
    }
    let leaf = byC.get(c);
    if (leaf === undefined) {
      leaf = new Map();
      byC.set(c, leaf);
    }
    return leaf;
  }
}

/** One attribute set of finished requests, and how many there were. */
interface Finished {
  readonly attrs: Attributes;
  count: number;
}

/** Whether two attribute sets hold the same keys and values. */
function sameAttributes(a: Attributes, b: Attributes): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** One attribute set of the active requests: how many are in flight with it, and what ends one. */
interface InFlight {
  readonly attrs: Attributes;
  count: number;
  readonly end: () => void;
}

/** The defined entries of `attrs`, keys inserted in sorted order. */
function sorted(attrs: Record<string, string | number | undefined>): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(attrs).sort()) {
    const value = attrs[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
