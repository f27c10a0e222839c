/**
 * The verify part as `run` configures it from its resolved settings (VERIFY_BACKEND_OPTIONS,
 * VERIFY_POLL_OPTIONS): the backend to query, every value checked, and how long and how settled to
 * poll. `verify`'s own core (src/pipeline/verify.ts) is to share it.
 */
import type { VERIFY_BACKEND_OPTIONS, VERIFY_POLL_OPTIONS } from '../options/settings.js';
import type { Resolved } from '../options/table.js';
import type { PrometheusBackend, VerifyPart } from './types.js';

type VerifyTable = typeof VERIFY_BACKEND_OPTIONS & typeof VERIFY_POLL_OPTIONS;

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

/** The backend to verify at; its problems go to `problems` (each value is already checked by the table). */
export function prometheusBackendOf(r: Resolved<VerifyTable>, problems: string[]): PrometheusBackend {
  const v = r.values;
  const headers: Record<string, string> = Object.fromEntries(v.header);
  if (v.basicAuth !== undefined && v.bearerToken !== undefined) {
    problems.push(`${r.from.basicAuth} and ${r.from.bearerToken}: give one of them, not both`);
  }
  if (v.basicAuth !== undefined)
    headers.Authorization = `Basic ${Buffer.from(v.basicAuth).toString('base64')}`;
  if (v.bearerToken !== undefined) headers.Authorization = `Bearer ${v.bearerToken}`;
  const tenantHeader = v.tenantHeader === false ? null : v.tenantHeader;
  if (tenantHeader === null && (v.allTenants || v.alsoTenants.length > 0)) {
    problems.push(
      `--${v.allTenants ? 'all-tenants' : 'also-tenants'}: there are no tenants to look in with --no-tenant-header (one store shows every client_id already)`,
    );
  }
  if (v.tenantsUrl !== undefined && !v.allTenants) {
    problems.push('--tenants-url: only used with --all-tenants; add it, or drop --tenants-url');
  }
  return {
    url: v.url,
    given: r.from.url !== undefined,
    urlFlag: r.from.url ?? '--url',
    headers,
    tenantHeader,
    tenantsUrl: v.allTenants ? (v.tenantsUrl ?? defaultTenantsUrl(v.url)) : undefined,
    queryTimeoutMs: v.queryTimeout,
  };
}

/**
 * The verify step: at `backend`, polling for `timeoutMs` (each command names its deadline flag),
 * with the settle window of --settle or, without it, the manifest's.
 */
export function verifyPartOf(
  r: Resolved<VerifyTable>,
  backend: PrometheusBackend,
  timeoutMs: number,
): Omit<VerifyPart, 'manifests' | 'ownShardOnly'> {
  const { defaultTenant, alsoTenants, explain, settle } = r.values;
  return {
    backend,
    timeoutMs,
    defaultTenant,
    alsoTenants,
    explain,
    settle: settle !== undefined ? { ms: settle, why: '--settle' } : undefined,
  };
}
