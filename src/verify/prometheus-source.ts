import { randomUUID } from 'node:crypto';
import pLimit from 'p-limit';
import { PROM } from '../telemetry/names.js';
import { deltaQueries } from './kinds/delta-queries.js';
import { isDelta, type SentKind } from './kinds/kind.js';
import { type PromClient, TenantRejectedError } from './prom-client.js';
import { CLIENT_IDS_PER_QUERY, clientIdMatchers } from './query-batches.js';
import type { Observation, ObserveOptions, SeriesSource, TenantView } from './types.js';

/** A label no series carries: `otelpoc_poll!="<n>"` matches every series, and makes each poll's selector new. */
export const POLL_LABEL = 'otelpoc_poll';

/**
 * Every series of one run, whatever its name: renamed series show up too, for the names check.
 * With `poll`, a matcher that selects nothing away but makes the selector one never asked before.
 * VictoriaMetrics caches the series a selector matched, and a selector asked once can keep
 * answering the old series set for seconds after new series arrive (measured on 1.112: a request
 * from a second serve process, flushed, stayed invisible to `{otelpoc_run_id="…"}` and to the
 * name-qualified selectors queried before, and visible at once to a new one). A run that gained a
 * series (a late request, a second process reusing the run id) would then still pass.
 */
export function runSelector(runId: string, poll?: string, matchers = ''): string {
  const fresh = poll === undefined ? '' : `,${POLL_LABEL}!="${poll}"`;
  return `{${PROM.labels.runId}="${runId}"${fresh}${matchers}}`;
}

/**
 * The query verify asks: the newest sample of each series of the selector over `windowMs` up to the
 * evaluation time. `last_over_time` keeps the metric name in Prometheus, Mimir and VictoriaMetrics
 * (the checks need it), and unlike a bare selector is not limited to the 5-minute lookback, so a
 * run verified hours later, and a sample that reached the backend long after the run, are both
 * read. Without a window: the bare selector (the backend's lookback).
 */
export function runQuery(selector: string, windowMs?: number): string {
  if (windowMs === undefined) return selector;
  return `last_over_time(${selector}[${Math.max(1, Math.ceil(windowMs / 1000))}s])`;
}

/** A series' labels without its name, as one key (sum_over_time drops the name, last_over_time may not). */
function labelKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== '__name__')
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

/**
 * Samples from a Prometheus-compatible API. With a tenant header, one query per tenant, each seeing
 * only what the backend shows that tenant (isolation is then testable); without, one query for all.
 */
export class PrometheusSource implements SeriesSource {
  readonly isolated: boolean;
  readonly description: string;
  readonly #client: PromClient;
  readonly #limit = pLimit(4);
  readonly #tenantHeader: string | null;

  readonly #tenantsUrl: string | undefined;
  /** Unique per source (so per verify process) and per poll: see runSelector. */
  readonly #pollPrefix = randomUUID().slice(0, 8);
  #polls = 0;
  /** Set when the backend can list its tenants and --all-tenants asked for it. */
  readonly listTenants?: (opts?: { signal?: AbortSignal }) => Promise<string[]>;

  /** Client_id values per query of a shared store (query-batches.ts); tests use small groups. */
  readonly #clientIdsPerQuery: number;

  constructor(
    client: PromClient,
    opts: { tenantHeader: string | null; tenantsUrl?: string; clientIdsPerQuery?: number },
  ) {
    this.#client = client;
    this.#clientIdsPerQuery = opts.clientIdsPerQuery ?? CLIENT_IDS_PER_QUERY;
    this.isolated = opts.tenantHeader !== null;
    this.#tenantHeader = opts.tenantHeader;
    this.#tenantsUrl = opts.tenantsUrl;
    const tenantsUrl = opts.tenantsUrl;
    if (tenantsUrl !== undefined && this.isolated) {
      this.listTenants = (o = {}) => this.#client.listTenants(tenantsUrl, o);
    }
    this.description = `Prometheus API at ${client.baseUrl}${opts.tenantHeader ? ` (tenant in ${opts.tenantHeader})` : ' (single tenant)'}`;
  }

  async observe(tenants: readonly string[], runId: string, opts: ObserveOptions = {}): Promise<Observation> {
    const { also = [], windowMs, kind, clientIds = [], ...queryOpts } = opts;
    const poll = `${this.#pollPrefix}-${++this.#polls}`;
    // A delta run: each name summed over the window (kinds/delta-queries.ts); else one query for all.
    const read = async (selector: string, tenant: string | undefined) => {
      if (!kind || !isDelta(kind)) return this.#client.query(runQuery(selector, windowMs), tenant, queryOpts);
      const parts = await Promise.all(
        deltaQueries(selector, windowMs).map(async ({ name, query, newest }) => {
          const [summed, last] = await Promise.all([
            this.#client.query(query, tenant, queryOpts),
            newest ? this.#client.query(newest, tenant, queryOpts) : [],
          ]);
          const newestOf = new Map(last.map((s) => [labelKey(s.labels), s.value]));
          return summed.map((s) => {
            const n = newestOf.get(labelKey(s.labels));
            return { ...s, name, ...(n !== undefined ? { newest: n } : {}) };
          });
        }),
      );
      return parts.flat();
    };
    if (!this.isolated) {
      // One store: split by client_id when the run has many (see query-batches.ts), parts in parallel.
      const parts = await Promise.all(
        clientIdMatchers(clientIds, this.#clientIdsPerQuery).map((m) =>
          this.#limit(() => read(runSelector(runId, poll, m), undefined)),
        ),
      );
      return { isolated: false, all: parts.length === 1 ? parts[0]! : parts.flat() };
    }
    const selector = runSelector(runId, poll);
    const viewsOf = (list: readonly string[]) =>
      Promise.all(
        list.map((tenant) =>
          this.#limit(async (): Promise<TenantView> => {
            try {
              return { tenant, samples: await read(selector, tenant) };
            } catch (err) {
              if (err instanceof TenantRejectedError) return { tenant, samples: [], error: err.message };
              throw err;
            }
          }),
        ),
      );
    // The manifest's tenants first: a fatal answer (401, wrong URL) is then about one of them.
    const views = await viewsOf(tenants);
    const extra = also.filter((t) => !tenants.includes(t));
    if (extra.length > 0) views.push(...(await viewsOf(extra)));
    return { isolated: true, views };
  }

  explain(
    tenants: readonly string[],
    runId: string,
    windowMs?: number,
    kind?: SentKind,
    clientIds: readonly string[] = [],
  ): string[] {
    // The same queries observe makes: two per name for a delta run.
    const queries = (selector: string) =>
      kind && isDelta(kind)
        ? deltaQueries(selector, windowMs).flatMap((d) => (d.newest ? [d.query, d.newest] : [d.query]))
        : [runQuery(selector, windowMs)];
    const url = `${this.#client.baseUrl}/api/v1/query`;
    const lines = this.isolated
      ? tenants.flatMap((t) =>
          queries(runSelector(runId, '<poll>')).map(
            (q) => `POST ${url}  ${this.#tenantHeader}: ${t}  query=${q}`,
          ),
        )
      : clientIdMatchers(clientIds, this.#clientIdsPerQuery).flatMap((m) =>
          queries(runSelector(runId, '<poll>', m)).map((q) => `POST ${url}  query=${q}`),
        );
    if (this.isolated && this.#tenantsUrl) lines.push(`GET ${this.#tenantsUrl}  Accept: application/json`);
    return [
      ...lines,
      `# <poll> differs on every poll: ${POLL_LABEL}!="…" matches every series, and keeps the backend from answering from a selector cache`,
      `# in Grafana (the tenant's data source): sum by (client_id, http_response_status_code) (${PROM.requestTotal}${runSelector(runId)})`,
    ];
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
