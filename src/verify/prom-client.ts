/**
 * A small Prometheus HTTP API client (instant queries) for Mimir, VictoriaMetrics, vmauth or
 * Prometheus itself, over undici. Every failure is classified: TransientBackendError (connection
 * refused, timeouts, 5xx, 429: the poller retries) or BackendError (401/403, wrong URL, not a
 * Prometheus API: fails at once, with a hint).
 */
import { Agent, type Dispatcher, request } from 'undici';
import { z } from 'zod';
import { BackendError, errorMessage } from '../util/errors.js';
import { classifyNetError, describeNetError } from '../util/net-errors.js';
import type { Sample } from './types.js';

/** A backend failure worth retrying: the backend may come up, recover or stop throttling. */
export class TransientBackendError extends BackendError {}

/**
 * What a failed query ran into, for callers that count failures by kind (the canary's
 * query_errors_total): the HTTP status when one came back, or why no answer came.
 */
export interface QueryFailure {
  status?: number;
  timedOut?: boolean;
}

/** The QueryFailure a PromClient error carries (set on every error `query` / `queryMatrix` throw). */
export function queryFailureOf(err: unknown): QueryFailure | undefined {
  return (err as { queryFailure?: QueryFailure } | null)?.queryFailure;
}

function tagged<E extends Error>(err: E, failure: QueryFailure): E {
  return Object.assign(err, { queryFailure: failure });
}

/** One series of a range-vector selector: every raw sample in the range, timestamps in epoch ms. */
export interface SeriesPoints {
  name: string;
  labels: Record<string, string>;
  points: { atMs: number; value: number }[];
}

/** The backend refused to answer for this one tenant (vmauth's "missing route"): the tenant does not exist there. */
export class TenantRejectedError extends BackendError {}

export interface PromClientOptions {
  /** API prefix: `${baseUrl}/api/v1/query`. Mimir: http://localhost:9009/prometheus. */
  baseUrl: string;
  /** Header that names the tenant (X-Scope-OrgID), or null for a single-tenant backend. */
  tenantHeader: string | null;
  /** Sent with every request: Authorization and --header values. */
  headers: Record<string, string>;
  timeoutMs: number;
  /** Tests and `run` may pass their own; otherwise a keep-alive Agent owned (and closed) by the client. */
  dispatcher?: Dispatcher;
  /** The flag that sets `baseUrl`, named when the URL looks wrong; default --url (verify's). */
  urlFlag?: string;
}

/** A Prometheus API to verify at, already validated (src/pipeline/verify-backend.ts builds it). */
export interface PrometheusBackend {
  url: string;
  /** Whether the user named it (--url or its env var): then `auto` metrics go through the pipeline. */
  given: boolean;
  /** The flag that set `url`, named when it looks wrong. */
  urlFlag: string;
  headers: Record<string, string>;
  tenantHeader: string | null;
  /** Set with --all-tenants: where the backend lists its tenants. */
  tenantsUrl?: string | undefined;
  queryTimeoutMs: number;
}

/** The one construction of a PromClient (verify, run, canary, doctor): from a backend's settings. */
export function promClientFor(
  backend: Pick<PrometheusBackend, 'url' | 'urlFlag' | 'headers' | 'tenantHeader' | 'queryTimeoutMs'>,
  dispatcher?: Dispatcher,
): PromClient {
  return new PromClient({
    baseUrl: backend.url,
    tenantHeader: backend.tenantHeader,
    headers: backend.headers,
    timeoutMs: backend.queryTimeoutMs,
    urlFlag: backend.urlFlag,
    ...(dispatcher ? { dispatcher } : {}),
  });
}

/**
 * The Prometheus HTTP API envelope (https://prometheus.io/docs/prometheus/latest/querying/api/):
 * parsed, not cast, so an answer of another shape is named as such instead of failing later on an
 * undefined field. Unknown fields are ignored (backends add their own: warnings, stats).
 */
const PromEnvelopeSchema = z.object({
  status: z.string().optional(),
  error: z.string().optional(),
  errorType: z.string().optional(),
  data: z.unknown().optional(),
});

/** A sample pair: [unix seconds, value as a string ("NaN", "+Inf" included)]. */
const PairSchema = z.tuple([z.number(), z.string()]);
const LabelsSchema = z.record(z.string(), z.string()).optional();

/** One series of an instant vector, and of a range vector (matrix). */
/**
 * A native histogram's sample: [unix seconds, {count, sum, buckets}] (the API's `histogram` field,
 * in place of `value`: Mimir and Cortex with native histograms on, Prometheus 2.40+).
 */
const HistogramPairSchema = z.tuple([
  z.number(),
  z.object({ count: z.string(), sum: z.string(), buckets: z.array(z.unknown()).optional() }),
]);
const VectorItemSchema = z
  .object({ metric: LabelsSchema, value: PairSchema.optional(), histogram: HistogramPairSchema.optional() })
  .refine((r) => r.value !== undefined || r.histogram !== undefined, {
    message: 'a sample has neither "value" nor "histogram"',
    path: ['value'],
  });
const MatrixItemSchema = z.object({ metric: LabelsSchema, values: z.array(PairSchema) });
type ItemSchema = typeof VectorItemSchema | typeof MatrixItemSchema;

/**
 * How an answer's `data.result` is read: its resultType, and each series parsed with `item` and
 * turned into what the caller keeps (`toValue`) one by one. At 1,000 tenants an answer holds
 * ~54,000 series (27 MB of JSON): parsing the whole array with zod first, then mapping it, held
 * three copies of it at once (the parsed JSON, zod's copy, the samples).
 */
interface ResultReader<S extends ItemSchema, T> {
  resultType: 'vector' | 'matrix';
  item: S;
  toValue: (item: z.infer<S>, intern: (s: string) => string) => T;
}

const VECTOR: ResultReader<typeof VectorItemSchema, Sample> = {
  resultType: 'vector',
  item: VectorItemSchema,
  toValue: (r, intern) => {
    const name = intern(r.metric?.__name__ ?? '');
    const labels = labelsOf(r.metric, intern);
    if (r.histogram) {
      // A native histogram: its value is its count; count, sum and bucket count kept for the checks.
      const [, h] = r.histogram;
      const histogram = { count: Number(h.count), sum: Number(h.sum), buckets: h.buckets?.length ?? 0 };
      return { name, labels, value: histogram.count, histogram };
    }
    return { name, labels, value: Number(r.value![1]) };
  },
};

const MATRIX: ResultReader<typeof MatrixItemSchema, SeriesPoints> = {
  resultType: 'matrix',
  item: MatrixItemSchema,
  toValue: (r, intern) => ({
    name: intern(r.metric?.__name__ ?? ''),
    labels: labelsOf(r.metric, intern),
    points: r.values.map(([t, v]) => ({ atMs: Math.round(t * 1000), value: Number(v) })),
  }),
};

/**
 * A series' labels without __name__, each name and value interned: the series of one answer repeat
 * the same few values (run id, service, instance, status, le), so one string each instead of one
 * per series keeps the samples of a 1,000-tenant answer small.
 */
function labelsOf(
  metric: Record<string, string> | undefined,
  intern: (s: string) => string,
): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!metric) return labels;
  for (const k in metric) if (k !== '__name__') labels[intern(k)] = intern(metric[k]!);
  return labels;
}

/** Mimir's /distributor/all_user_stats: an array of UserIDStats, of which only userID is read. */
const UserStatsSchema = z.array(z.object({ userID: z.string() }));

/** Where a parse failed, for the error message: the first issue's path (under `under`) and message. */
function firstIssue(error: z.ZodError, under: (string | number)[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'unexpected shape';
  const at = [...under, ...issue.path.map(String)];
  const path = at.length ? at.join('.') : '(root)';
  return `${path}: ${issue.message}`;
}

export class PromClient {
  readonly #opts: PromClientOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(opts: PromClientOptions) {
    this.#opts = { ...opts, baseUrl: opts.baseUrl.replace(/\/+$/, '') };
    this.#ownsDispatcher = !opts.dispatcher;
    this.#dispatcher = opts.dispatcher ?? new Agent({ connections: 8, keepAliveTimeout: 10_000 });
  }

  get #urlFlag(): string {
    return this.#opts.urlFlag ?? '--url';
  }

  get baseUrl(): string {
    return this.#opts.baseUrl;
  }

  /** Instant query (at `atMs`, epoch ms, or now); `tenant` goes into the tenant header (ignored without one). */
  async query(
    promql: string,
    tenant: string | undefined,
    opts: { signal?: AbortSignal | undefined; atMs?: number | undefined } = {},
  ): Promise<Sample[]> {
    return this.#post(promql, tenant, opts, VECTOR);
  }

  /**
   * An instant query of a range-vector selector (`{…}[5m]`): the raw samples of every series in the
   * range, with their own timestamps (what the canary compares with what it exported).
   */
  async queryMatrix(
    promql: string,
    tenant: string | undefined,
    opts: { signal?: AbortSignal | undefined; atMs?: number | undefined } = {},
  ): Promise<SeriesPoints[]> {
    return this.#post(promql, tenant, opts, MATRIX);
  }

  async #post<S extends ItemSchema, T>(
    promql: string,
    tenant: string | undefined,
    opts: { signal?: AbortSignal | undefined; atMs?: number | undefined },
    reader: ResultReader<S, T>,
  ): Promise<T[]> {
    const { signal } = opts;
    const url = `${this.#opts.baseUrl}/api/v1/query`;
    const headers: Record<string, string> = {
      ...this.#opts.headers,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.#opts.tenantHeader && tenant !== undefined) headers[this.#opts.tenantHeader] = tenant;
    const who = tenant !== undefined && this.#opts.tenantHeader ? ` for tenant "${tenant}"` : '';
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'POST',
        headers,
        body: new URLSearchParams({
          query: promql,
          ...(opts.atMs !== undefined ? { time: (opts.atMs / 1000).toFixed(3) } : {}),
        }).toString(),
        dispatcher: this.#dispatcher,
        headersTimeout: this.#opts.timeoutMs,
        bodyTimeout: this.#opts.timeoutMs,
        signal: signal ?? null,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const why = describeNetError(err, { timeoutMs: this.#opts.timeoutMs, check: this.#urlFlag });
      throw tagged(
        new TransientBackendError(`cannot reach the Prometheus API at ${url}: ${why}`, { cause: err }),
        { timedOut: classifyNetError(err).category === 'timeout' },
      );
    }
    const status = res.statusCode;
    try {
      return await this.#answer(url, promql, who, status, res, reader);
    } catch (err) {
      throw err instanceof Error && !queryFailureOf(err) ? tagged(err, { status }) : err;
    }
  }

  async #answer<S extends ItemSchema, T>(
    url: string,
    promql: string,
    who: string,
    status: number,
    res: Dispatcher.ResponseData,
    reader: ResultReader<S, T>,
  ): Promise<T[]> {
    const text = await res.body.text().catch((err) => {
      throw tagged(new TransientBackendError(`reading the answer of ${url} failed: ${errorMessage(err)}`), {
        status,
        timedOut: classifyNetError(err).category === 'timeout',
      });
    });
    // Only a refusal is searched for its reason: a 200 answer can be tens of MB, read once below.
    const detail = status >= 200 && status < 300 ? '' : errorDetail(text);
    if (status === 429 || status >= 500) {
      throw new TransientBackendError(`${url} answered ${status}${who}${detail ? `: ${detail}` : ''}`);
    }
    if (status === 401 || status === 403) {
      throw new BackendError(
        `${url} answered ${status}${detail ? ` ${detail}` : ''}${who}: ${this.#authHint(status, detail)}`,
      );
    }
    if (status === 404) {
      throw new BackendError(
        `${url} answered 404: no Prometheus API there; check ${this.#urlFlag} (Mimir's is http://HOST:9009/prometheus, VictoriaMetrics' http://HOST:8428)`,
      );
    }
    if (status === 400 && /missing route|unknown tenant|no org id|tenant/i.test(detail)) {
      if (this.#opts.tenantHeader) throw new TenantRejectedError(`${status} ${detail}`);
      // A gateway that routes by tenant header (vmauth, a Mimir proxy) got none.
      throw new BackendError(`${url} answered 400 ${detail}: ${this.#authHint(status, detail)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      // JSON that breaks off (a proxy such as vmauth or a gateway cut or re-sent the body) is a
      // passing fault: poll again. Anything else (an HTML login page, say) is the wrong URL.
      if (text.trimStart().startsWith('{')) {
        throw new TransientBackendError(
          `${url} answered ${status} with malformed or truncated JSON (${text.length} bytes)`,
        );
      }
      throw new BackendError(
        `${url} answered ${status} with something that is not Prometheus API JSON: ${truncate(text)}; check ${this.#urlFlag}`,
      );
    }
    const envelope = PromEnvelopeSchema.safeParse(json);
    if (!envelope.success) {
      // Valid JSON but not the API's object (a bare array, a string, null): not a Prometheus API.
      throw new BackendError(
        `${url} answered ${status} with something that is not Prometheus API JSON: ${truncate(text)}; check ${this.#urlFlag}`,
      );
    }
    const body = envelope.data;
    if (status !== 200 || body.status !== 'success') {
      throw new BackendError(
        `${url} answered ${status}${who}: ${body.errorType ?? 'error'}: ${body.error ?? truncate(text)}`,
      );
    }
    const resultType = reader.resultType;
    const head = z.object({ resultType: z.string().optional(), result: z.unknown() }).safeParse(body.data);
    if (!head.success || head.data.resultType !== resultType || !Array.isArray(head.data.result)) {
      const got = head.success ? head.data.resultType : undefined;
      throw new BackendError(
        `${url}: expected ${resultType === 'vector' ? 'an instant vector' : 'a range vector (matrix)'} for ${promql}, got ${got ?? 'nothing'}`,
      );
    }
    const raw: unknown[] = head.data.result;
    const interned = new Map<string, string>();
    const intern = (v: string): string => {
      const known = interned.get(v);
      if (known !== undefined) return known;
      interned.set(v, v);
      return v;
    };
    const out: T[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const item = reader.item.safeParse(raw[i]);
      if (!item.success) {
        throw new BackendError(
          `${url}: the ${resultType} answered for ${promql} is not made of Prometheus API samples (data.${firstIssue(item.error, ['result', i])}): ${truncate(text)}`,
        );
      }
      out[i] = reader.toValue(item.data as z.infer<S>, intern);
      // Done with the raw series: the parsed answer shrinks while the samples grow.
      raw[i] = undefined;
    }
    return out;
  }

  /**
   * The tenants a Mimir or Cortex distributor ingests for: GET /distributor/all_user_stats with
   * `Accept: application/json` answers a JSON array of `{"userID": "…", "numSeries": …, …}` (without
   * that header, an HTML page). The route needs no tenant header. See docs/stack-facts.md.
   */
  async listTenants(url: string, opts: { signal?: AbortSignal | undefined } = {}): Promise<string[]> {
    const where = `${url} (--tenants-url)`;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'GET',
        headers: { ...this.#opts.headers, accept: 'application/json' },
        dispatcher: this.#dispatcher,
        headersTimeout: this.#opts.timeoutMs,
        bodyTimeout: this.#opts.timeoutMs,
        signal: opts.signal ?? null,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new TransientBackendError(
        `cannot reach the tenant list at ${where}: ${describeNetError(err, { timeoutMs: this.#opts.timeoutMs, check: '--tenants-url' })}`,
        { cause: err },
      );
    }
    const text = await res.body.text().catch((err) => {
      throw new TransientBackendError(`reading the answer of ${where} failed: ${errorMessage(err)}`);
    });
    const status = res.statusCode;
    if (status === 429 || status >= 500) {
      throw new TransientBackendError(`${where} answered ${status}: ${errorDetail(text)}`);
    }
    const cannotList = `this backend cannot list its tenants there (Mimir and Cortex serve /distributor/all_user_stats); name them with --also-tenants a,b instead`;
    if (status !== 200)
      throw new BackendError(`${where} answered ${status} ${errorDetail(text)}: ${cannotList}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new BackendError(
        `${where} answered with something that is not JSON (${truncate(text, 80)}): ${cannotList}`,
      );
    }
    const users = UserStatsSchema.safeParse(body);
    if (!users.success) {
      throw new BackendError(
        `${where} did not answer a list of {"userID": …} as Mimir's all_user_stats does: ${truncate(text, 80)}`,
      );
    }
    const ids = users.data.map((u) => u.userID);
    // A tenant id that could not travel in a header (control characters) cannot be queried either.
    return [...new Set(ids)].filter((id) => /^[\x21-\x7e]+$/.test(id)).sort();
  }

  #authHint(status: number, detail: string): string {
    if (!this.#opts.tenantHeader) {
      return `is --no-tenant-header set? Mimir needs the ${'X-Scope-OrgID'} header to know the tenant`;
    }
    if (/org ?id/i.test(detail)) {
      return `the ${this.#opts.tenantHeader} header did not arrive: is --tenant-header the name your gateway expects?`;
    }
    const auth = Object.keys(this.#opts.headers).some((h) => h.toLowerCase() === 'authorization');
    return auth
      ? `the credentials were refused; check --basic-auth / --bearer-token (or OTELPOC_VERIFY_BASIC_AUTH / OTELPOC_VERIFY_BEARER_TOKEN)${status === 403 ? ' and that they may read this tenant' : ''}`
      : 'the backend wants credentials: pass --basic-auth user:pass or --bearer-token (or OTELPOC_VERIFY_BASIC_AUTH / OTELPOC_VERIFY_BEARER_TOKEN)';
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}

function errorDetail(text: string): string {
  try {
    const body = PromEnvelopeSchema.safeParse(JSON.parse(text));
    if (body.success && body.data.error) return body.data.error;
  } catch {
    // not JSON: use the text
  }
  // vmauth prefixes its reasons with the client address and the request URI: keep the reason.
  const route = /missing route for "[^"]*"/.exec(text);
  return route ? route[0] : truncate(text.trim());
}

function truncate(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
