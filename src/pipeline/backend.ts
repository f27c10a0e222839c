/**
 * The backend a command queries (verify, run, canary): VERIFY_BACKEND_OPTIONS resolved → the one
 * PrometheusBackend type (problems go to `problems`, named by the flag or variable that set them),
 * and the one construction of its PromClient (verify, the canary, doctor's Mimir queries).
 */
import type { VERIFY_BACKEND_OPTIONS } from '../options/settings.js';
import type { Resolved } from '../options/table.js';
import { PromClient } from '../verify/prom-client.js';
import type { PrometheusBackend } from './types.js';

export function prometheusBackendOf(
  r: Resolved<typeof VERIFY_BACKEND_OPTIONS>,
  problems: string[],
): PrometheusBackend {
  const { url, header, basicAuth, bearerToken, tenantHeader, queryTimeout } = r.values;
  const headers: Record<string, string> = Object.fromEntries(header);
  if (basicAuth !== undefined && bearerToken !== undefined) {
    problems.push(
      `${r.from.basicAuth ?? '--basic-auth'} and ${r.from.bearerToken ?? '--bearer-token'}: give one of them, not both`,
    );
  }
  if (basicAuth !== undefined) headers.Authorization = `Basic ${Buffer.from(basicAuth).toString('base64')}`;
  if (bearerToken !== undefined) headers.Authorization = `Bearer ${bearerToken}`;
  return {
    url,
    given: r.from.url !== undefined,
    urlFlag: r.from.url ?? '--url',
    headers,
    tenantHeader: tenantHeader === false ? null : tenantHeader,
    queryTimeoutMs: queryTimeout,
  };
}

/** The client of `backend`; `dispatcher`: the tests' (default: a keep-alive Agent the client owns). */
export function promClientOf(
  backend: Omit<PrometheusBackend, 'given'>,
  dispatcher?: ConstructorParameters<typeof PromClient>[0]['dispatcher'],
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
