import pLimit from 'p-limit';
import { PROM } from '../telemetry/names.js';
import { type PromClient, TenantRejectedError } from './prom-client.js';
import type { Observation, ObserveOptions, SeriesSource, TenantView } from './types.js';

/** Every series of one run, whatever its name: renamed series show up too, for the names check. */
export function runSelector(runId: string): string {
  return `{${PROM.labels.runId}="${runId}"}`;
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
  /** Set when the backend can list its tenants and --all-tenants asked for it. */
  readonly listTenants?: (opts?: { signal?: AbortSignal }) => Promise<string[]>;

  constructor(client: PromClient, opts: { tenantHeader: string | null; tenantsUrl?: string }) {
    this.#client = client;
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
    const q = runSelector(runId);
    const { also = [], ...queryOpts } = opts;
    if (!this.isolated) return { isolated: false, all: await this.#client.query(q, undefined, queryOpts) };
    const viewsOf = (list: readonly string[]) =>
      Promise.all(
        list.map((tenant) =>
          this.#limit(async (): Promise<TenantView> => {
            try {
              return { tenant, samples: await this.#client.query(q, tenant, queryOpts) };
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

  explain(tenants: readonly string[], runId: string): string[] {
    const q = runSelector(runId);
    const url = `${this.#client.baseUrl}/api/v1/query`;
    const lines = this.isolated
      ? tenants.map((t) => `POST ${url}  ${this.#tenantHeader}: ${t}  query=${q}`)
      : [`POST ${url}  query=${q}`];
    if (this.isolated && this.#tenantsUrl) lines.push(`GET ${this.#tenantsUrl}  Accept: application/json`);
    return [
      ...lines,
      `# in Grafana (the tenant's data source): sum by (client_id, http_response_status_code) (${PROM.requestTotal}${q})`,
    ];
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}
