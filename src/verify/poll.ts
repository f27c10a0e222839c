/**
 * Polls until every check passes or the deadline ends: data reaches a backend late (export interval,
 * batching, remote-write queues, indexing). Backs off between polls; retries transient backend
 * errors; gives up at once on fatal ones. Timing comes from an injectable Clock.
 */

import type { Clock } from '../util/clock.js';
import { BackendError } from '../util/errors.js';

/** The part of the clock the poller uses. */
export type PollClock = Pick<Clock, 'now' | 'sleep'>;

import { TransientBackendError } from './prom-client.js';
import type { CheckResult } from './types.js';

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
    }
  | { type: 'transient-error'; attempt: number; elapsedMs: number; message: string };

export interface PollOptions {
  clock: PollClock;
  timeoutMs: number;
  backoff?: Backoff;
  signal?: AbortSignal;
  onEvent?: (event: PollEvent) => void;
}

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
}

/** Tenants whose every check passes. */
export function greenTenants(results: CheckResult[]): string[] {
  const tenants = [...new Set(results.map((r) => r.tenant))];
  return tenants.filter((t) => results.every((r) => r.tenant !== t || r.ok));
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
  const start = clock.now();
  const deadline = start + timeoutMs;
  let delayMs = backoff.initialMs;
  let polls = 0;
  let results: CheckResult[] | undefined;
  let lastError: string | undefined;
  const interrupted = (): PollOutcome => ({
    results: results ?? [],
    ok: false,
    timedOut: false,
    interrupted: true,
    polls,
    elapsedMs: clock.now() - start,
    ...(lastError ? { lastError } : {}),
  });
  for (;;) {
    if (opts.signal?.aborted) return interrupted();
    polls++;
    try {
      results = await attempt();
      lastError = undefined;
      const green = greenTenants(results);
      const tenants = [...new Set(results.map((r) => r.tenant))];
      opts.onEvent?.({
        type: 'poll',
        attempt: polls,
        elapsedMs: clock.now() - start,
        results,
        greenTenants: green,
        tenants,
      });
      if (results.every((r) => r.ok)) {
        return {
          results,
          ok: true,
          timedOut: false,
          interrupted: false,
          polls,
          elapsedMs: clock.now() - start,
        };
      }
    } catch (err) {
      // A query cut by the signal fails in whatever way the client reports an abort.
      if (opts.signal?.aborted) return interrupted();
      if (!(err instanceof TransientBackendError)) throw err;
      lastError = err.message;
      opts.onEvent?.({
        type: 'transient-error',
        attempt: polls,
        elapsedMs: clock.now() - start,
        message: err.message,
      });
    }
    const now = clock.now();
    if (now >= deadline) break;
    try {
      await clock.sleep(Math.min(delayMs, deadline - now), opts.signal);
    } catch (err) {
      if (opts.signal?.aborted) return interrupted();
      throw err;
    }
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
  };
}
