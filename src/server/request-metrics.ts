import type { Attributes, Counter, Histogram, Meter, ObservableResult } from '@opentelemetry/api';
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
}

export const DEFAULT_LIMITS: CardinalityLimits = {
  maxTenants: 1000,
  maxRunIds: 64,
  runIdIdleMs: 10 * 60_000,
};

/**
 * Past this many cached attribute sets the cache starts over. Only reached when run ids come and go
 * over a long life (the limiter forgets idle ones, the cache does not); starting over merely rebuilds
 * the objects, and the SDK keeps far more per series than the cache does per set.
 */
export const ATTRIBUTE_CACHE_LIMIT = 20_000;

/**
 * The three HTTP server instruments of the semantic conventions, recorded with the OpenTelemetry
 * SDK's own instruments, as any instrumented service does: `Histogram.record` and `Counter.add` once
 * per request when its response is done (or the client went away), with the same attribute set, so
 * the counter and the histogram's _count always agree. The active requests are an asynchronous
 * `ObservableUpDownCounter` (the conventions allow either kind): each attribute set's in-flight
 * count is a plain number, moved by ±1 around the request and read by the SDK at collection only,
 * so a request costs two SDK calls rather than four (each SDK call hashes its attribute set).
 *
 * The SDK finds a series by hashing the attribute set's keys and values on every call, so what is
 * left to us is not to add to that: each distinct attribute set is built once, cached under the
 * values it is made of (tenant × run id × method × status, all capped), and passed again as the
 * same object, with its keys inserted in sorted order (the SDK sorts them to hash).
 */
export class RequestMetrics implements RequestRecorder {
  readonly #duration: Histogram;
  readonly #requests: Counter;
  readonly #tenants: CardinalityLimiter;
  readonly #runIds: CardinalityLimiter;
  readonly #warn: (message: string) => void;
  /** Attributes of finished requests: tenant → run id → method → status. */
  readonly #recorded = new AttributeCache<Attributes>();
  /**
   * Active requests by attribute set, with the function that ends one: tenant → method. Never
   * started over (unlike #recorded): the collection reads the counts from here, and an in-flight
   * request must end on the count that is reported. It is bounded without a limit: the tenants are
   * capped and never forgotten, and Node's parser admits only its known methods (http.METHODS).
   */
  readonly #inFlight = new AttributeCache<InFlight>(Number.POSITIVE_INFINITY);
  /** The same sets, in the order they came, for the collection to read. */
  readonly #inFlightSets: InFlight[] = [];

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
      this.#inFlight.added();
      byMethod.set(method, set);
      this.#inFlightSets.push(set);
    }
    set.count++;
    return set.end;
  }

  record(durationS: number, a: RequestAttributes): void {
    const attrs = this.#attributes(a);
    this.#duration.record(durationS, attrs);
    this.#requests.add(1, attrs);
  }

  /** How many attribute sets are cached (finished requests, active requests): bounded by the caps. */
  get cachedAttributeSets(): { recorded: number; active: number } {
    return { recorded: this.#recorded.size, active: this.#inFlight.size };
  }

  #attributes(a: RequestAttributes): Attributes {
    const tenant = a.clientId === undefined ? undefined : this.#tenant(a.clientId);
    const runId = a.runId === undefined ? undefined : this.#runId(a.runId);
    const byStatus = this.#recorded.leaf(tenant ?? '', runId ?? '', a.method);
    // A cut request is keyed by its error type as well (rare: the usual key stays the bare status).
    const key = a.errorType === undefined ? (a.statusCode ?? '') : `${a.statusCode ?? ''}/${a.errorType}`;
    let attrs = byStatus.get(key);
    // One route and one scheme in practice: a request on another rebuilds the set (correct, if
    // slower) rather than every request paying for a wider key.
    if (attrs === undefined || attrs[ATTR.route] !== a.route || attrs[ATTR.scheme] !== a.scheme) {
      attrs = sorted({
        [ATTR.method]: a.method,
        [ATTR.scheme]: a.scheme,
        [ATTR.route]: a.route,
        [ATTR.statusCode]: a.statusCode,
        // Semantic conventions: on 4xx/5xx server responses, error.type is the status code as a string;
        // a request that ended before its response was complete carries the reason it was cut instead.
        [ATTR.errorType]:
          a.errorType ??
          (a.statusCode !== undefined && a.statusCode >= 400 ? String(a.statusCode) : undefined),
        [ATTR.clientId]: tenant,
        [ATTR.runId]: runId,
      });
      if (!byStatus.has(key)) this.#recorded.added();
      byStatus.set(key, attrs);
    }
    return attrs;
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

/**
 * Attribute sets (or what is cached with them) under three string keys (capped values, so the maps stay small) and a last one;
 * the caller reports each set it adds, and past its limit (ATTRIBUTE_CACHE_LIMIT by default) the cache starts over.
 */
class AttributeCache<T> {
  readonly #root = new Map<string, Map<string, Map<string, Map<string | number, T>>>>();
  readonly #limit: number;
  #size = 0;

  constructor(limit = ATTRIBUTE_CACHE_LIMIT) {
    this.#limit = limit;
  }

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

  added(): void {
    if (++this.#size > this.#limit) {
      // The set just added goes with the rest; it is simply built again next time.
      this.#root.clear();
      this.#size = 0;
    }
  }

  get size(): number {
    return this.#size;
  }
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
