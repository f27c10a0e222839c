/**
 * Polls until every check passes or the deadline ends: data reaches a backend late (export interval,
 * batching, remote-write queues, indexing). Backs off between polls; retries transient backend
 * errors; gives up at once on fatal ones. Timing comes from an injectable Clock.
 *
 * A first all-green poll is not a verdict: a sample still in flight (a retried batch, another process
 * reusing the run id, a slower tenant route) can make a check false a moment later. Polling goes on
 * for a settle window, and passes only once every check stayed green for all of it.
 *
 * A red poll is shown to `diagnose` (src/verify/diagnosis.ts) with the polls so far: a failure that
 * cannot turn green by waiting ends the polling at once, with why and the fix (`endedEarly`).
 */

import { type Clock, waitForNextAttempt } from '../util/clock.js';
import { BackendError } from '../util/errors.js';

/** The part of the clock the poller uses. */
export type PollClock = Pick<Clock, 'now' | 'sleep'>;

import type { EarlyVerdict, PollRecord } from './diagnosis.js';
import { TransientBackendError } from './prom-client.js';
import { verdictPasses } from './status.js';
import { type CheckResult, type Flap, statusOf } from './types.js';

export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, factor: 1.5, maxMs: 5_000 };

export type PollEvent =
  | {
      type: 'poll';
      attempt: number;
      elapsedMs: number;
      results: CheckResult[];
      greenTenants: string[];
      tenants: string[];
      /** Set while every check is green and the settle window runs: for how long they have been. */
      settling?: { greenForMs: number; settleMs: number };
    }
  | { type: 'transient-error'; attempt: number; elapsedMs: number; message: string };

export interface PollOptions {
  clock: PollClock;
  timeoutMs: number;
  backoff?: Backoff;
  signal?: AbortSignal;
  onEvent?: (event: PollEvent) => void;
  /**
   * How long every check must stay green, from the first all-green poll on, before the polling passes
   * (0: pass at the first all-green poll). Added to `timeoutMs`, not taken from it: a green streak begun
   * by the deadline is watched to its end; after a check went red, the deadline bounds the wait again.
   */
  settleMs?: number;
  /**
   * Called after every red poll with the answered polls so far (the last MAX_HISTORY): a verdict
   * ends the polling at once, red, with `endedEarly`. Undefined: the red may still turn green.
   */
  diagnose?: (history: readonly PollRecord[]) => EarlyVerdict | undefined;
}

/** Answered polls kept for `diagnose`: at the 5 s backoff, over 8 minutes of them. */
export const MAX_HISTORY = 100;

/** At most this many flaps are kept (the first ones): enough to say which check flapped and when. */
export const MAX_FLAPS = 20;

export interface PollOutcome {
  results: CheckResult[];
  ok: boolean;
  timedOut: boolean;
  /** The signal aborted the polling before every check passed; `results` are the last poll's (maybe none). */
  interrupted: boolean;
  polls: number;
  elapsedMs: number;
  /** The last transient error, when the last poll(s) failed with one. */
  lastError?: string;
  /** The settle window asked for, ms. */
  settleMs: number;
  /** How long every check had been green at the end (0 when the last poll was red or none was green). */
  greenForMs: number;
  /** Elapsed time of the first poll where every check passed: how long the data took to be visible. */
  firstGreenMs?: number;
  /** Checks that went red after a poll where every check was green (the first MAX_FLAPS). */
  flaps: Flap[];
  /** Set when `diagnose` ended the polling before the deadline: why, and the fix. */
  endedEarly?: EarlyVerdict & { atMs: number };
}

/** Tenants whose every check passes. */
export function greenTenants(results: CheckResult[]): string[] {
  // One pass (not one per tenant): in first-seen order, those without a failed result.
  const green = new Map<string, boolean>();
  for (const r of results) green.set(r.tenant, (green.get(r.tenant) ?? true) && r.ok);
  return [...green].filter(([, ok]) => ok).map(([t]) => t);
}

/**
 * Calls `attempt` until all its results pass, or `timeoutMs` is over (then one last attempt is made at
 * the deadline). A TransientBackendError is retried; if no attempt ever succeeded by the deadline it
 * becomes a BackendError (exit 2: unreachable backend). Any other error ends the polling at once.
 * When `signal` aborts, polling ends with `interrupted` and the last poll's results, so that the caller
 * can still report what was decided.
 */
export async function pollChecks(
  attempt: () => Promise<CheckResult[]>,
  opts: PollOptions,
): Promise<PollOutcome> {
  const { clock, timeoutMs } = opts;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const settleMs = Math.max(0, opts.settleMs ?? 0);
  const start = clock.now();
  const deadline = start + timeoutMs;
  let delayMs = backoff.initialMs;
  let polls = 0;
  let results: CheckResult[] | undefined;
  let lastError: string | undefined;
  /** Elapsed time of the first poll of the current all-green streak; undefined while not all green. */
  let greenSince: number | undefined;
  let firstGreenMs: number | undefined;
  const flaps: Flap[] = [];
  const history: PollRecord[] = [];
  const settle = (elapsedMs: number) => ({
    settleMs,
    greenForMs: greenSince === undefined ? 0 : elapsedMs - greenSince,
    ...(firstGreenMs !== undefined ? { firstGreenMs } : {}),
    flaps,
  });
  const interrupted = (): PollOutcome => {
    const elapsedMs = clock.now() - start;
    return {
      results: results ?? [],
      ok: false,
      timedOut: false,
      interrupted: true,
      polls,
      elapsedMs,
      ...(lastError ? { lastError } : {}),
      ...settle(elapsedMs),
    };
  };
  for (;;) {
    if (opts.signal?.aborted) return interrupted();
    polls++;
    try {
      results = await attempt();
      lastError = undefined;
      const elapsedMs = clock.now() - start;
      // Every check pass or not-testable, and one passed on evidence (no data is not green).
      const allGreen = verdictPasses(results.map(statusOf));
      if (allGreen) {
        firstGreenMs ??= elapsedMs;
        greenSince ??= elapsedMs;
      } else if (greenSince !== undefined) {
        for (const r of results.filter((x) => !x.ok)) {
          if (flaps.length >= MAX_FLAPS) break;
          flaps.push({
            tenant: r.tenant,
            check: r.check,
            atMs: elapsedMs,
            greenSinceMs: greenSince,
            problem: r.problems[0] ?? `found ${r.found}, expected ${r.expected}`,
          });
        }
        greenSince = undefined;
      }
      opts.onEvent?.({
        type: 'poll',
        attempt: polls,
        elapsedMs,
        results,
        greenTenants: greenTenants(results),
        tenants: [...new Set(results.map((r) => r.tenant))],
        ...(greenSince !== undefined && settleMs > 0
          ? { settling: { greenForMs: elapsedMs - greenSince, settleMs } }
          : {}),
      });
      history.push({ elapsedMs, results });
      if (history.length > MAX_HISTORY) history.shift();
      const verdict = allGreen ? undefined : opts.diagnose?.(history);
      if (verdict) {
        return {
          results,
          ok: false,
          timedOut: false,
          interrupted: false,
          polls,
          elapsedMs,
          ...settle(elapsedMs),
          endedEarly: { ...verdict, atMs: elapsedMs },
        };
      }
      if (greenSince !== undefined && elapsedMs - greenSince >= settleMs) {
        return {
          results,
          ok: true,
          timedOut: false,
          interrupted: false,
          polls,
          elapsedMs,
          ...settle(elapsedMs),
        };
      }
    } catch (err) {
      // A query cut by the signal fails in whatever way the client reports an abort.
      if (opts.signal?.aborted) return interrupted();
      if (!(err instanceof TransientBackendError)) throw err;
      // No answer is no evidence either way: a green streak goes on, but only a green poll ends it.
      lastError = err.message;
      opts.onEvent?.({
        type: 'transient-error',
        attempt: polls,
        elapsedMs: clock.now() - start,
        message: err.message,
      });
    }
    const now = clock.now();
    const settleEnd = greenSince === undefined ? undefined : start + greenSince + settleMs;
    // Settling: the next poll no later than the window's end. Otherwise (or when the poll at the
    // window's end went unanswered) the deadline bounds the polling.
    const until = settleEnd !== undefined && now < settleEnd ? settleEnd : deadline;
    const waited = await waitForNextAttempt(clock, until, delayMs, opts.signal);
    if (waited === 'deadline') break;
    if (waited === 'aborted') return interrupted();
    delayMs = Math.min(delayMs * backoff.factor, backoff.maxMs);
  }
  const elapsedMs = clock.now() - start;
  if (!results) {
    throw new BackendError(
      `gave up after ${Math.round(elapsedMs / 1000)} s and ${polls} attempt(s): ${lastError ?? 'no answer'}`,
    );
  }
  return {
    results,
    ok: false,
    timedOut: true,
    interrupted: false,
    polls,
    elapsedMs,
    ...(lastError ? { lastError } : {}),
    ...settle(elapsedMs),
  };
}
