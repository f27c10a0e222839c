/**
 * The data verify works on. Checks are pure functions of these; where the samples come from (a
 * Prometheus API, or the in-process capture of `otelpoc run`) is hidden behind `SeriesSource`.
 */
import type { Topology } from '../telemetry/topology.js';
import type { SentKind } from './kinds/kind.js';
import type { KindVerdict } from './kinds/verdict.js';
import type { CheckStatus } from './status.js';

/** One series' latest value, Prometheus-style: metric name + labels (without __name__). */
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
  /** Set on a Prometheus native histogram (value = its count): what the backend answered for it. */
  histogram?: NativeHistogram;
  /** Set on the _count and _sum series verify derives from a native histogram (kinds/forms.ts). */
  fromNative?: boolean;
  /**
   * A delta run's float series: the newest sample (last_over_time) beside `value`, their sum over
   * the window, to tell raw deltas from deltas converted to cumulative (kinds/delta-storage.ts).
   */
  newest?: number;
}

export interface NativeHistogram {
  count: number;
  sum: number;
  /** How many populated buckets it has. */
  buckets: number;
}

/** What one tenant's view of the run looks like at one poll. */
export interface TenantView {
  /** The tenant id queried (X-Scope-OrgID), or the default tenant for requests without Client-ID. */
  tenant: string;
  /** Every series of this run visible to the tenant, whatever its name (renamed ones included). */
  samples: Sample[];
  /** Set when the backend would not answer for this tenant (e.g. an unknown tenant): a failure, not retried at once. */
  error?: string;
}

export interface ObserveOptions {
  signal?: AbortSignal;
  /** Evaluate at this time (epoch ms) instead of now. */
  atMs?: number;
  /**
   * Read the newest sample of each series written in this many ms up to the evaluation time, not
   * only those inside the backend's 5-minute lookback: the run's whole life, so a sample that
   * arrived late (minutes or days after the run) is seen, and the newest value wins.
   */
  windowMs?: number;
  /**
   * Tenants the manifest sent nothing to, looked in too (after the manifest's) for data of the run
   * that went astray: the default tenant, --also-tenants, the backend's own list. Ignored by a
   * source without tenant isolation, where one store shows everything anyway.
   */
  also?: readonly string[];
  /**
   * The kind of data the run sent (its manifest's server.kind). With delta temporality a backend
   * that stores raw deltas holds one delta per export, and the run's total is their sum over the
   * window (sum_over_time), not the newest sample. Absent: cumulative.
   */
  kind?: SentKind;
  /**
   * Every client_id value the run sent (the manifest's). A source without tenant isolation may split
   * its query by them (src/verify/query-batches.ts); the observation is the same either way.
   */
  clientIds?: readonly string[];
}

/** What the backend shows: per tenant (it isolates tenants), or one store for all (split by client_id). */
export type Observation = { isolated: true; views: TenantView[] } | { isolated: false; all: Sample[] };

/**
 * Where samples come from: a Prometheus API (Mimir, VictoriaMetrics, vmauth) or the in-process
 * capture of `otelpoc run`. The checks do not know which.
 */
export interface SeriesSource {
  /** For the report: "Prometheus API at http://…", "in-process capture (no pipeline)". */
  readonly description: string;
  /**
   * True when each tenant's view comes from the backend's own tenant isolation (one X-Scope-OrgID per
   * tenant). False when all tenants share one store and views are split by the client_id label (a
   * single-tenant backend or the capture): isolation cannot be tested then, and the report says so.
   */
  readonly isolated: boolean;
  /**
   * Every series of `runId`, as of now or, with `atMs` (epoch ms), as of that time. Throws
   * BackendError (fatal) or TransientBackendError (retried).
   */
  observe(tenants: readonly string[], runId: string, opts?: ObserveOptions): Promise<Observation>;
  /**
   * Every tenant the backend holds data for (Mimir's and Cortex's distributor list them), when the
   * source was asked to (--all-tenants). Throws BackendError / TransientBackendError like observe.
   */
  listTenants?(opts?: { signal?: AbortSignal }): Promise<string[]>;
  /** The queries `observe` makes, for --explain (to paste into Grafana's Explore). */
  explain(
    tenants: readonly string[],
    runId: string,
    windowMs?: number,
    kind?: SentKind,
    clientIds?: readonly string[],
  ): string[];
  close(): Promise<void>;
}

export const CHECK_IDS = [
  'presence',
  'counts',
  'histogram',
  'latency',
  'isolation',
  'names',
  'series',
] as const;
/**
 * The checks every verify makes, and `kind`, made only when the manifest records the kind of data
 * the run sent (schema version 4: checks/kind.ts). Kept out of CHECK_IDS, so the reports of older
 * manifests keep their seven checks.
 */
export type CheckId = (typeof CHECK_IDS)[number] | 'kind';

export const CHECK_TITLES: Record<CheckId, string> = {
  presence: 'series present',
  counts: 'exact counts per status',
  histogram: 'histogram integrity',
  latency: 'latency agreement',
  isolation: 'tenant isolation',
  names: 'metric names',
  series: 'series budget',
  kind: 'kind arrived as sent',
};

export interface CheckResult {
  tenant: string;
  check: CheckId;
  /**
   * pass / fail / not-testable / no-data / undecided (src/verify/status.ts). Optional only so that a
   * report saved before it existed still reads: use `statusOf`, which derives it from the flags then.
   */
  status?: CheckStatus;
  /** okOfStatus(status): pass or not-testable. False for no-data: nothing to check is not a pass. */
  ok: boolean;
  /** True when the check could not apply (e.g. isolation on a single-tenant backend): status not-testable. */
  skipped?: boolean;
  /**
   * True when verify was interrupted before this check passed: neither passed nor failed. `expected`,
   * `found` and `problems` are those of the last poll (none when no poll was answered).
   */
  undecided?: boolean;
  /** Short human text of what was expected and what was found, e.g. "200:85 404:10" / "200:85 404:9". */
  expected: string;
  found: string;
  /** One line per problem, each naming it: "count of status 404 is 9, expected 10". */
  problems: string[];
}

/** A result's state; for one without `status` (an older saved report), from its flags. */
export function statusOf(r: Pick<CheckResult, 'status' | 'ok' | 'skipped' | 'undecided'>): CheckStatus {
  if (r.undecided) return 'undecided';
  if (r.status) return r.status;
  if (r.skipped) return 'not-testable';
  return r.ok ? 'pass' : 'fail';
}

/** A check that was green (every check was) and went red on a later poll. */
export interface Flap {
  tenant: string;
  check: CheckId;
  /** Elapsed time (ms since verify began) of the poll that found it red. */
  atMs: number;
  /** Since when every check had been green, elapsed ms. */
  greenSinceMs: number;
  /** Its first problem on that poll. */
  problem: string;
}

export interface VerifyReport {
  runId: string;
  ok: boolean;
  /** True when the deadline ended the polling with checks still failing. */
  timedOut: boolean;
  /**
   * True when SIGINT/SIGTERM ended the polling before every check passed: the checks not passed yet
   * are `undecided`, and `ok` is false.
   */
  interrupted: boolean;
  source: string;
  /** The topology the run went through (src/telemetry/topology.ts), when its manifest records it. */
  topology?: Topology;
  isolated: boolean;
  /** Header carrying the tenant, or null (--no-tenant-header / capture). */
  tenantHeader: string | null;
  tenants: string[];
  /** Tenants the manifest sent nothing to, also looked in for data of the run (last poll). */
  alsoSearched?: string[];
  polls: number;
  elapsedMs: number;
  results: CheckResult[];
  /** The queries made, when --explain was asked for. */
  queries?: string[];
  /** A transient backend error seen on the last poll, if any. */
  lastError?: string;
  /**
   * The settle window: how long every check had to stay green, from the first all-green poll on,
   * before verify passed (0: it passed at the first all-green poll).
   */
  settleMs: number;
  /** Where the settle window came from, for the report: "--settle", "export interval 1 s + 5 s", … */
  settleWhy: string;
  /** How long every check had been green when verify ended (0 when the last poll was red). */
  greenForMs: number;
  /**
   * Elapsed ms of the first poll where every check passed: how long the data took to become visible.
   * Absent when no poll was ever all green.
   */
  visibleAfterMs?: number;
  /** Checks that went red after a poll where every check was green (the first few), when any did. */
  flaps?: Flap[];
  /** Manifests (shards) whose server's final export failed: their counts cannot be in the backend. */
  undelivered?: string[];
  /**
   * Why verify cannot pass whatever the backend shows, from the manifests themselves: no request
   * was answered (nothing to verify), or the run's metrics were not delivered (data found under the
   * run id is then someone else's). Each makes `ok` false. Absent when none.
   */
  cannotPass?: string[];
  /**
   * Set when a manifest says its load was interrupted (SIGINT/SIGTERM): a pass covers only what was
   * sent before the interruption, not the run that was planned.
   */
  runInterrupted?: string;
  /**
   * For a run of several shards: how far apart their real starts were, and how late for the planned
   * start (--start-at) the latest was. Absent for one manifest.
   */
  shardStarts?: string;
  /**
   * Set when a failure signature (src/verify/diagnosis.ts) ended verify before its timeout: a red
   * that cannot turn green, why, the fix, and when (elapsed ms; 0: before any poll).
   */
  endedEarly?: { signature: string; why: string; fix: string; atMs: number };
  /**
   * When the manifest records the kind the run sent: per tenant, whether it arrived exact, changed
   * (how, where; accepted or not) or missing, from the last poll (kinds/assess.ts).
   */
  kinds?: { sent: SentKind; acceptChanges: string[]; tenants: KindVerdict[] };
}
