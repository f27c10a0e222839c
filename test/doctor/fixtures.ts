import { PROBE_CLIENT_ID, STACK_URLS } from '../../src/doctor/defaults.js';
import type { DoctorConfig } from '../../src/doctor/types.js';

/** A doctor configuration with the stack's defaults (as the CLI builds it), overridable per test. */
export function doctorConfig(over: Partial<DoctorConfig> = {}): DoctorConfig {
  return {
    otlpMetricsUrl: `${STACK_URLS.otlpEndpoint}/v1/metrics`,
    otlpHeaders: {},
    alloyUrl: STACK_URLS.alloy,
    cortexTenantUrl: STACK_URLS.cortexTenant,
    mimirUrl: STACK_URLS.mimir,
    grafanaUrl: STACK_URLS.grafana,
    tenantHeader: 'X-Scope-OrgID',
    tenants: ['anonymous'],
    probeClientId: PROBE_CLIENT_ID,
    skip: [],
    timeoutMs: 5000,
    probeTimeoutMs: 30_000,
    probeExportIntervalMs: 1000,
    ...over,
  };
}
