/**
 * The canary's own metrics (docs/canary-metrics.md is the contract; names from ./metric-names.ts),
 * in a prom-client Registry of their own, and the /metrics + /healthz HTTP server.
 *
 * Every labelled series is created at start with its zero value: a counter that appears only at its
 * first increment is invisible to rate()/increase() for that increment, so the first failure after a
 * start would be missed. The label values are all known at start (tenants, checks, results, reasons),
 * so the series set never grows while the canary runs.
 *
 * A pending check (nothing to judge yet: window.ts) is neither a pass nor a fail: it counts in neither
 * counter and leaves the latest-result gauge where it was, which is 0 from the start until the
 * check's first real pass. So a canary that has proven nothing never shows green. A not-testable one
 * (isolation without a tenant header) is no pass either: its gauge stays 0 and it counts in neither.
 */
import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { VERSION } from '../version.js';
import {
  CANARY_CHECKS,
  CANARY_LAG_BUCKETS_SECONDS,
  CANARY_QUERY_ERROR_REASONS,
  CANARY_RESULTS,
  CANARY_METRICS as M,
} from './metric-names.js';
import type { TenantResult } from './window.js';

export type QueryErrorReason = (typeof CANARY_QUERY_ERROR_REASONS)[number];

export class CanaryMetrics {
  readonly registry = new Registry();
  readonly #checks: Counter<'tenant' | 'check' | 'result'>;
  readonly #checkOk: Gauge<'tenant' | 'check'>;
  readonly #lag: Gauge<'tenant'>;
  readonly #observedLag: Histogram<'tenant'>;
  readonly #lastSuccess: Gauge<'tenant'>;
  readonly #requests: Counter<'tenant'>;
  readonly #exports: Counter;
  readonly #exportFailures: Counter;
  readonly #queries: Counter<'tenant'>;
  readonly #queryErrors: Counter<'tenant' | 'reason'>;

  constructor(tenants: readonly string[]) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#checks = new Counter({
      name: M.checks.name,
      help: 'Checks completed per tenant and check, by result.',
      labelNames: M.checks.labels,
      registers,
    });
    this.#checkOk = new Gauge({
      name: M.checkOk.name,
      help: 'Result of the latest check: 1 pass, 0 fail; 0 from the start until the first pass.',
      labelNames: M.checkOk.labels,
      registers,
    });
    this.#lag = new Gauge({
      name: M.deliveryLag.name,
      help: "Now minus the timestamp of the newest canary sample seen in the tenant's backend.",
      labelNames: M.deliveryLag.labels,
      registers,
    });
    this.#observedLag = new Histogram({
      name: M.observedDeliveryLag.name,
      help: 'Every delivery lag measured, one per tenant and interval.',
      labelNames: M.observedDeliveryLag.labels,
      buckets: [...CANARY_LAG_BUCKETS_SECONDS],
      registers,
    });
    this.#lastSuccess = new Gauge({
      name: M.lastSuccess.name,
      help: 'Unix time of the latest interval in which every check passed for the tenant.',
      labelNames: M.lastSuccess.labels,
      registers,
    });
    this.#requests = new Counter({
      name: M.requests.name,
      help: "Requests the canary's traffic sent to its in-process server.",
      labelNames: M.requests.labels,
      registers,
    });
    this.#exports = new Counter({
      name: M.exports.name,
      help: "OTLP exports the canary's exporter attempted.",
      registers,
    });
    this.#exportFailures = new Counter({
      name: M.exportFailures.name,
      help: 'OTLP exports that failed.',
      registers,
    });
    this.#queries = new Counter({
      name: M.queries.name,
      help: "Queries sent to the tenant's Prometheus API.",
      labelNames: M.queries.labels,
      registers,
    });
    this.#queryErrors = new Counter({
      name: M.queryErrors.name,
      help: 'Queries that failed, by reason.',
      labelNames: M.queryErrors.labels,
      registers,
    });
    const buildInfo = new Gauge({
      name: M.buildInfo.name,
      help: 'Always 1: the otelpoc version and the Node version.',
      labelNames: M.buildInfo.labels,
      registers,
    });
    buildInfo.set({ version: VERSION, node_version: process.version }, 1);
    this.#exports.inc(0);
    this.#exportFailures.inc(0);
    for (const tenant of tenants) {
      for (const check of CANARY_CHECKS) {
        for (const result of CANARY_RESULTS) this.#checks.inc({ tenant, check, result }, 0);
        // Not proven yet: green (1) only after a pass.
        this.#checkOk.set({ tenant, check }, 0);
      }
      for (const reason of CANARY_QUERY_ERROR_REASONS) this.#queryErrors.inc({ tenant, reason }, 0);
      this.#requests.inc({ tenant }, 0);
      this.#queries.inc({ tenant }, 0);
      this.#lastSuccess.set({ tenant }, 0);
      this.#lag.set({ tenant }, 0);
      this.#observedLag.zero({ tenant });
    }
  }

  request(tenant: string): void {
    this.#requests.inc({ tenant });
  }

  exported(ok: boolean): void {
    this.#exports.inc();
    if (!ok) this.#exportFailures.inc();
  }

  queried(tenant: string, error?: QueryErrorReason): void {
    this.#queries.inc({ tenant });
    if (error) this.#queryErrors.inc({ tenant, reason: error });
  }

  /** One interval's result for a tenant. */
  checked(result: TenantResult, nowMs: number): void {
    const tenant = result.tenant;
    for (const c of result.checks) {
      // Only a judgement counts: pending (no data yet) and not-testable are neither pass nor fail.
      if (c.status !== 'pass' && c.status !== 'fail') continue;
      this.#checks.inc({ tenant, check: c.check, result: c.status });
      this.#checkOk.set({ tenant, check: c.check }, c.status === 'pass' ? 1 : 0);
    }
    this.#lag.set({ tenant }, result.lagMs / 1000);
    this.#observedLag.observe({ tenant }, result.lagMs / 1000);
    if (result.status === 'green') this.#lastSuccess.set({ tenant }, Math.floor(nowMs / 1000));
  }
}

/** /metrics (the registry, Prometheus text format) and /healthz on host:port. */
export async function startMetricsServer(
  registry: Registry,
  host: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as { port: number };
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
