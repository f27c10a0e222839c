/**
 * The backend to verify at and the verify step, from the resolved settings (verify, run, canary): one
 * builder of a PrometheusBackend, every problem collected, each named as it was given (flag or env var).
 */
import type { VERIFY_BACKEND_OPTIONS, VERIFY_POLL_OPTIONS } from '../options/settings.js';
import type { Resolved } from '../options/table.js';
import { defaultBackendMetricsUrl } from '../verify/kinds/backend-drops.js';
import type { PrometheusBackend, VerifyPart } from './types.js';

type BackendTable = typeof VERIFY_BACKEND_OPTIONS;
/** Where else to look for the run's series (verify, run): --all-tenants, --tenants-url, --also-tenants. */
type SearchTable = Pick<typeof VERIFY_POLL_OPTIONS, 'allTenants' | 'tenantsUrl' | 'alsoTenants'>;

/**
 * Mimir and Cortex serve the tenant list on the same port as the Prometheus API (monolithic mode):
 * http://mimir:9009/prometheus → http://mimir:9009/distributor/all_user_stats.
 */
export function defaultTenantsUrl(promUrl: string): string {
  const u = new URL(promUrl);
  u.pathname = `${u.pathname.replace(/\/+$/, '').replace(/\/prometheus$/, '')}/distributor/all_user_stats`;
  u.search = '';
  u.hash = '';
  return u.toString();
}

/**
 * The backend of the resolved settings (each value already parsed by its setting); `search`: the
 * tenant-search settings of a command that has them. Problems go to `problems`.
 */
export function backendFrom(
  r: Resolved<BackendTable>,
  problems: string[],
  search?: Resolved<SearchTable>,
): PrometheusBackend {
  const { url, basicAuth, bearerToken, header, queryTimeout } = r.values;
  const headers: Record<string, string> = Object.fromEntries(header);
  if (basicAuth !== undefined && bearerToken !== undefined) {
    problems.push(
      `${r.from.basicAuth ?? '--basic-auth'} and ${r.from.bearerToken ?? '--bearer-token'}: give one of them, not both`,
    );
  }
  if (basicAuth !== undefined) headers.Authorization = `Basic ${Buffer.from(basicAuth).toString('base64')}`;
  if (bearerToken !== undefined) headers.Authorization = `Bearer ${bearerToken}`;
  const tenantHeader = r.values.tenantHeader === false ? null : r.values.tenantHeader;
  return {
    url,
    given: r.from.url !== undefined,
    urlFlag: r.from.url ?? '--url',
    headers,
    tenantHeader,
    tenantsUrl: search ? tenantSearchFrom(search, url, tenantHeader, problems) : undefined,
    queryTimeoutMs: queryTimeout,
  };
}

/** Checks --all-tenants, --tenants-url and --also-tenants together; the tenant list URL when listing. */
function tenantSearchFrom(
  r: Resolved<SearchTable>,
  url: string,
  tenantHeader: string | null,
  problems: string[],
): string | undefined {
  const { allTenants, tenantsUrl, alsoTenants } = r.values;
  if (tenantHeader === null && (allTenants || alsoTenants.length > 0)) {
    problems.push(
      `--${allTenants ? 'all-tenants' : 'also-tenants'}: there are no tenants to look in with --no-tenant-header (one store shows every client_id already)`,
    );
  }
  if (r.from.tenantsUrl !== undefined && !allTenants) {
    problems.push('--tenants-url: only used with --all-tenants; add it, or drop --tenants-url');
  }
  if (!allTenants) return undefined;
  return tenantsUrl ?? defaultTenantsUrl(url);
}

/**
 * The verify step as `verify` and `run` configure it: at `backend`, polling for `timeoutMs` (each
 * command names its deadline flag), with the settle window of --settle or, without it, the manifest's.
 */
export function verifyPartFrom(
  r: Resolved<
    Pick<
      typeof VERIFY_POLL_OPTIONS,
      'settle' | 'alsoTenants' | 'explain' | 'acceptChange' | 'backendMetricsUrl'
    > &
      BackendTable
  >,
  backend: PrometheusBackend,
  timeoutMs: number,
): Omit<VerifyPart, 'manifests' | 'ownShardOnly'> {
  const { defaultTenant, alsoTenants, explain, settle, acceptChange, backendMetricsUrl } = r.values;
  return {
    backend,
    timeoutMs,
    defaultTenant,
    alsoTenants,
    explain,
    acceptChanges: acceptChange,
    backendMetricsUrl: backendMetricsUrl ?? defaultBackendMetricsUrl(backend.url),
    settle: settle !== undefined ? { ms: settle, why: '--settle' } : undefined,
  };
}
