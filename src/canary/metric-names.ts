/**
 * The names, types and label keys of the metrics `otelpoc canary` exposes on `/metrics`.
 *
 * Why a data file before the canary exists: these names are a contract shared by three parties that
 * change at different times — the canary (which registers them with prom-client), the alerting rules
 * in stack/alerts/otelpoc-canary.rules.yml, and the Grafana dashboard. A renamed metric would not
 * break the canary; it would silently turn an alert into one that never fires. So the names live in
 * one place: the canary imports them, and test/stack/alert-rules.test.ts fails when a rule uses a
 * name that is not here. The prose contract (meaning, units, when each series appears) is
 * docs/canary-metrics.md; the two are checked against each other by the same test.
 *
 * Names are the full names prom-client is given (counters already end in `_total`; prom-client does
 * not add it). A histogram's name is its base: the exposition adds `_bucket`, `_sum` and `_count`.
 * `job` and `instance` are not here: the scraper adds them.
 */

export const CANARY_METRIC_PREFIX = 'otelpoc_canary_';

/** The checks the canary runs for every tenant, each interval: the values of the `check` label. */
export const CANARY_CHECKS = ['correctness', 'freshness', 'completeness', 'isolation', 'names'] as const;
export type CanaryCheck = (typeof CANARY_CHECKS)[number];

/** Values of the `result` label of `checks_total`. */
export const CANARY_RESULTS = ['pass', 'fail'] as const;

/** Values of the `reason` label of `query_errors_total`: a closed set, so the series stay bounded. */
export const CANARY_QUERY_ERROR_REASONS = [
  'unreachable', // connection refused, reset, DNS
  'timeout',
  'unauthorized', // 401
  'forbidden', // 403
  'rate_limited', // 429
  'server_error', // 5xx
  'bad_response', // any other status, or a body that is not a Prometheus API answer
] as const;

/** Upper bounds (seconds) of the delivery-lag histogram's buckets. */
export const CANARY_LAG_BUCKETS_SECONDS = [1, 2, 5, 10, 15, 30, 60, 90, 120, 180, 300, 600, 1800] as const;

export const CANARY_METRICS = {
  checks: { name: 'otelpoc_canary_checks_total', type: 'counter', labels: ['tenant', 'check', 'result'] },
  checkOk: { name: 'otelpoc_canary_check_ok', type: 'gauge', labels: ['tenant', 'check'] },
  deliveryLag: { name: 'otelpoc_canary_delivery_lag_seconds', type: 'gauge', labels: ['tenant'] },
  observedDeliveryLag: {
    name: 'otelpoc_canary_observed_delivery_lag_seconds',
    type: 'histogram',
    labels: ['tenant'],
  },
  lastSuccess: { name: 'otelpoc_canary_last_success_timestamp_seconds', type: 'gauge', labels: ['tenant'] },
  requests: { name: 'otelpoc_canary_requests_total', type: 'counter', labels: ['tenant'] },
  exports: { name: 'otelpoc_canary_exports_total', type: 'counter', labels: [] },
  exportFailures: { name: 'otelpoc_canary_export_failures_total', type: 'counter', labels: [] },
  queries: { name: 'otelpoc_canary_queries_total', type: 'counter', labels: ['tenant'] },
  queryErrors: { name: 'otelpoc_canary_query_errors_total', type: 'counter', labels: ['tenant', 'reason'] },
  buildInfo: { name: 'otelpoc_canary_build_info', type: 'gauge', labels: ['version', 'node_version'] },
} as const;

/**
 * The scrape job name the canary's scraper must use (Alloy's `prometheus.scrape` `job_name`): the
 * rules select `up` and the canary's own series by it, so that another target's `up` never counts.
 */
export const CANARY_SCRAPE_JOB = 'otelpoc-canary';

/** Series the scraper writes about the canary (not exposed by the canary itself). */
export const CANARY_SCRAPER_METRICS = {
  up: { name: 'up', type: 'gauge', labels: ['job', 'instance'] },
} as const;

/**
 * The tenant the stack writes the canary's own metrics into (Alloy scrapes /metrics and remote-writes
 * them with this X-Scope-OrgID): an operations tenant, not one of the tenants the canary checks, so
 * that a leak or an outage in a checked tenant cannot hide the canary's verdict on it.
 */
export const CANARY_OPS_TENANT = 'ops';

/** The canary's default /metrics port (`--metrics-port`), also the stack's scrape target port. */
export const CANARY_METRICS_PORT = 9465;
