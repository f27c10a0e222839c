/**
 * The single source of the names otelpoc emits and expects. The server records with the OTel names;
 * `verify`, the stack's dashboard and the tenant router rely on the Prometheus names they become
 * (OTLP → Prometheus translation with metric suffixes, as Alloy's `otelcol.exporter.prometheus` and
 * VictoriaMetrics' `-opentelemetry.usePrometheusNaming` both do).
 */

/** OTel instrument names and units. */
export const INSTRUMENTS = {
  requestDuration: {
    name: 'http.server.request.duration',
    unit: 's',
    description: 'Duration of HTTP server requests.',
  },
  requestCount: {
    name: 'http.server.request',
    unit: '{request}',
    description: 'Number of HTTP server requests.',
  },
  activeRequests: {
    name: 'http.server.active_requests',
    unit: '{request}',
    description: 'Number of active HTTP server requests.',
  },
} as const;

/** Semantic-convention bucket boundaries for http.server.request.duration, in seconds. */
export const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Attribute keys recorded on every request. */
export const ATTR = {
  method: 'http.request.method',
  statusCode: 'http.response.status_code',
  route: 'http.route',
  scheme: 'url.scheme',
  errorType: 'error.type',
  /** The tenant, from the Client-ID header. The stack's tenant router (cortex-tenant) reads this label. */
  clientId: 'client_id',
  /** The run, from the X-Run-ID header, so verify can count exactly one run. */
  runId: 'otelpoc_run_id',
} as const;

/** Prometheus names and labels after translation. */
export const PROM = {
  requestTotal: 'http_server_request_total',
  durationBucket: 'http_server_request_duration_seconds_bucket',
  durationSum: 'http_server_request_duration_seconds_sum',
  durationCount: 'http_server_request_duration_seconds_count',
  /** The duration histogram stored as a Prometheus native histogram (no suffix): from an exponential histogram. */
  durationNative: 'http_server_request_duration_seconds',
  activeRequests: 'http_server_active_requests',
  labels: {
    statusCode: 'http_response_status_code',
    method: 'http_request_method',
    route: 'http_route',
    clientId: 'client_id',
    runId: 'otelpoc_run_id',
    le: 'le',
  },
} as const;

/** Request headers the server reads. */
export const HEADERS = {
  clientId: 'client-id',
  runId: 'x-run-id',
} as const;

/** The value recorded in place of a tenant or run id once the cardinality cap is reached. */
export const OVERFLOW_VALUE = '__overflow__';

/** Tenant that the stack routes series without client_id to (cortex-tenant `tenant.default`). */
export const DEFAULT_TENANT = 'anonymous';
export const TENANT_HEADER = 'X-Scope-OrgID';
export const API_ROUTE = '/api';
