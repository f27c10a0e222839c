/**
 * `otelpoc verify` as a library call: expectation + source → polled checks → VerifyReport (plain
 * data; rendered by cli/render/verify-report.ts).
 */
import type { RunManifest } from '../manifest/schema.js';
import { formatDurationMs } from '../util/duration.js';
import { runChecks } from './checks/index.js';
import type { RunExpectation } from './expectations.js';
import { SeriesHistory } from './history.js';
import type { PollClock } from './poll.js';
import { type Backoff, type PollEvent, pollChecks } from './poll.js';
import { CHECK_IDS, type CheckResult, type SeriesSource, type VerifyReport } from './types.js';

export interface VerifyOptions {
  expectation: RunExpectation;
  source: SeriesSource;
  clock: PollClock;
  timeoutMs: number;
  backoff?: Backoff;
  signal?: AbortSignal;
  onEvent?: (event: PollEvent) => void;
  /** Put the queries made into the report. */
  explain?: boolean;
  /**
   * Tenants to look in besides the manifest's, for data of the run that went astray: the default
   * tenant always (requests without Client-ID land there), plus --also-tenants. With a source that
   * can list its tenants (--all-tenants), every listed tenant too.
   */
  alsoTenants?: readonly string[];
  /** The header naming the tenant, for the report (null: none). */
  tenantHeader: string | null;
  /** Wall-clock time, epoch ms (default Date.now). */
  wallClockMs?: () => number;
  /** The settle window (see pollChecks) and where it came from, for the report. Default: none. */
  settle?: Settle;
}

export interface Settle {
  ms: number;
  why: string;
}

/** Added to a known export interval: the pipeline's own batching and queues (collector, remote write). */
export const SETTLE_MARGIN_MS = 5_000;
/**
 * When no manifest knows its server's export interval (load --target: the user's server): one export
 * interval of `otelpoc serve` (10 s) plus the margin. Long enough for a pipeline's batches and retries,
 * short enough for CI; an application exporting every 60 s (the OpenTelemetry SDK default) needs
 * --settle 65s to cover a sample recorded just after an export.
 */
export const DEFAULT_SETTLE_MS = 15_000;

/**
 * The settle window verify uses unless --settle says: one export interval of the run's server plus
 * a margin, when every manifest recorded it (load --serve, run); otherwise DEFAULT_SETTLE_MS. A sample
 * recorded just after an export waits one interval in the server before it even leaves it.
 */
export function defaultSettle(manifests: readonly RunManifest[]): Settle {
  const intervals = manifests.map(exportIntervalOf);
  const known = intervals.filter((i): i is number => i !== undefined);
  if (known.length > 0 && known.length === intervals.length) {
    const interval = Math.max(...known);
    return {
      ms: interval + SETTLE_MARGIN_MS,
      why: `the run's export interval (${formatDurationMs(interval)}) + ${formatDurationMs(SETTLE_MARGIN_MS)}`,
    };
  }
  return {
    ms: DEFAULT_SETTLE_MS,
    why: `default: the run's export interval is unknown (not recorded by load --target); --settle sets it`,
  };
}

/** The export interval the manifest recorded for its in-process server (load --serve, run). */
function exportIntervalOf(m: RunManifest): number | undefined {
  return m.server?.exportIntervalMs;
}

/**
 * Prometheus-style backends answer an instant query with samples of the last 5 minutes (the lookback).
 * A run verified later is evaluated at most this long after it ended, so its final samples still count.
 */
export const MAX_QUERY_DELAY_AFTER_RUN_MS = 4 * 60_000;

/** When to evaluate: now, or for an older run, shortly after it ended (still inside the lookback). */
export function evaluationTime(nowMs: number, endedAtMs: number): number | undefined {
  const latest = endedAtMs + MAX_QUERY_DELAY_AFTER_RUN_MS;
  return nowMs > latest ? latest : undefined;
}

export async function runVerify(opts: VerifyOptions): Promise<VerifyReport> {
  const { expectation, source } = opts;
  const tenants = expectation.tenants.map((t) => t.tenant);
  const history = new SeriesHistory();
  let alsoSearched: string[] = [];
  const poll = pollChecks(
    async () => {
      const atMs = evaluationTime((opts.wallClockMs ?? Date.now)(), expectation.endedAtMs);
      const signal = opts.signal ? { signal: opts.signal } : {};
      // Listed on every poll: a tenant created by data arriving late shows up on a later poll.
      const listed = source.listTenants ? await source.listTenants(signal) : [];
      alsoSearched = source.isolated
        ? [...new Set([...(opts.alsoTenants ?? []), ...listed])].filter((t) => !tenants.includes(t)).sort()
        : [];
      const observation = await source.observe(tenants, expectation.runId, {
        ...signal,
        ...(atMs !== undefined ? { atMs } : {}),
        ...(alsoSearched.length > 0 ? { also: alsoSearched } : {}),
      });
      const all = history.record(observation);
      const decreases = new Map(tenants.map((t) => [t, SeriesHistory.forTenant(all, t)]));
      return runChecks({ expectation, observation, decreases });
    },
    {
      clock: opts.clock,
      timeoutMs: opts.timeoutMs,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      settleMs: opts.settle?.ms ?? 0,
    },
  );
  const outcome = await poll;
  return {
    runId: expectation.runId,
    ok: outcome.ok,
    timedOut: outcome.timedOut,
    interrupted: outcome.interrupted,
    source: source.description,
    isolated: source.isolated,
    tenantHeader: opts.tenantHeader,
    tenants,
    ...(alsoSearched.length > 0 ? { alsoSearched } : {}),
    polls: outcome.polls,
    elapsedMs: Math.round(outcome.elapsedMs),
    results: outcome.interrupted ? undecidedResults(outcome.results, tenants) : outcome.results,
    ...(opts.explain ? { queries: source.explain(tenants, expectation.runId) } : {}),
    ...(outcome.lastError ? { lastError: outcome.lastError } : {}),
    settleMs: outcome.settleMs,
    settleWhy: opts.settle?.why ?? 'none asked',
    greenForMs: Math.round(outcome.greenForMs),
    ...(outcome.firstGreenMs !== undefined ? { visibleAfterMs: Math.round(outcome.firstGreenMs) } : {}),
    ...(outcome.flaps.length > 0
      ? {
          flaps: outcome.flaps.map((f) => ({
            ...f,
            atMs: Math.round(f.atMs),
            greenSinceMs: Math.round(f.greenSinceMs),
          })),
        }
      : {}),
  };
}

/**
 * The results of an interrupted verify: what passed stays passed; every other check is undecided
 * (it had not passed yet, and might have later). Before any answer, every tenant × check is undecided.
 */
export function undecidedResults(last: CheckResult[], tenants: string[]): CheckResult[] {
  if (last.length > 0)
    return last.map((r) => (r.ok ? r : { ...r, status: 'undecided' as const, undecided: true }));
  return tenants.flatMap((tenant) =>
    CHECK_IDS.map((check) => ({
      tenant,
      check,
      status: 'undecided' as const,
      ok: false,
      undecided: true,
      expected: '',
      found: 'not checked: interrupted before the backend answered',
      problems: [],
    })),
  );
}
