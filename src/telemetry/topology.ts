/**
 * How tenants reach the backend, as far as a run knows it (see docs/stack.md):
 * - `otlp-endpoint`: one OTLP stream for every tenant, to an OTLP endpoint. Whether something behind
 *   it turns the `client_id` label into the tenant header (Alloy + cortex-tenant in the stack) or
 *   the endpoint is one single-tenant store, the sender cannot tell: tenant routing is unknown here,
 *   and verify's per-tenant checks are what show whether the tenants arrived apart.
 * - `per-tenant-export`: one OTLP stream per tenant, each sending the tenant header itself (serve
 *   --tenant-header), straight into a multi-tenant OTLP endpoint such as Mimir's /otlp/v1/metrics.
 * - `embedded`: captured in this process; no pipeline involved.
 * - `tenant-router`: what otelpoc 0.1.0 and earlier wrote for one stream, claiming a router it never saw;
 *   still read from older manifests, never written.
 */
export const TOPOLOGIES = ['otlp-endpoint', 'per-tenant-export', 'embedded', 'tenant-router'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

/** What a topology says, in words, for terminal output next to its name. */
export function describeTopology(topology: Topology): string {
  switch (topology) {
    case 'otlp-endpoint':
      return 'one stream for every tenant; tenant routing unknown';
    case 'per-tenant-export':
      return 'one stream per tenant, each with its tenant header';
    case 'embedded':
      return 'captured in process, no pipeline';
    case 'tenant-router':
      return 'one stream, recorded by an older otelpoc as routed downstream';
  }
}
