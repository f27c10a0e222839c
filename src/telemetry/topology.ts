/**
 * How tenants reach the backend, as proved by a run (see docs/stack.md):
 * - `tenant-router`: one OTLP stream for every tenant; something downstream (Alloy + cortex-tenant in
 *   the stack) turns the `client_id` label into the tenant header.
 * - `per-tenant-export`: one OTLP stream per tenant, each sending the tenant header itself (serve
 *   --tenant-header), straight into a multi-tenant OTLP endpoint such as Mimir's /otlp/v1/metrics.
 * - `embedded`: captured in this process; no pipeline involved.
 */
export const TOPOLOGIES = ['tenant-router', 'per-tenant-export', 'embedded'] as const;
export type Topology = (typeof TOPOLOGIES)[number];
