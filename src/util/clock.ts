import { setTimeout as sleepFor, setImmediate as yieldImmediate } from 'node:timers/promises';
import { MAX_TIMER_MS } from './duration.js';

/**
 * Time, injectable: the load scheduler and the verify poller take a Clock so that their timing logic
 * is tested on a fake one (test/load/fake-clock.ts, test/verify/poll.test.ts) without real sleeps.
 * Each takes only the part it uses (`Pick<Clock, ...>`), so a fake implements only that.
 */
export interface Clock {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for timestamps. */
  wallNow(): number;
  /**
   * Resolves at or a little before `monotonicMs` (callers loop until due), or as soon as `signal`
   * aborts. Never rejects.
   */
  sleepUntil(monotonicMs: number, signal?: AbortSignal): Promise<void>;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Lets pending I/O run (a macrotask turn) without waiting for time to pass. */
  yield(): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  sleepUntil(monotonicMs, signal) {
    const delayMs = monotonicMs - performance.now();
    if (signal?.aborted) return Promise.resolve();
    // Under a millisecond (timers cannot do better than 1 ms): let I/O run and come back at once;
    // the caller loops until its due time, so the last fraction of a millisecond is spun, not slept.
    if (delayMs < 1) return yieldImmediate().then(() => undefined);
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        cancel();
        resolve();
      };
      // Node timers have 1 ms granularity and fire at or after the delay: wake a little early.
      const cancel = longTimeout(done, Math.floor(delayMs) - 1);
      signal?.addEventListener('abort', done, { once: true });
    });
  },
  // The one abortable sleep of the code base (the doctor's and the canary's call it).
  async sleep(ms, signal) {
    try {
      // A chain of waits of at most MAX_TIMER_MS: a longer one would fire after 1 ms (and warn).
      for (let left = Math.max(0, ms); ; left -= MAX_TIMER_MS) {
        await sleepFor(Math.min(left, MAX_TIMER_MS), undefined, { signal });
        if (left <= MAX_TIMER_MS) return;
      }
    } catch (err) {
      // node:timers/promises rejects an abort with its own AbortError; callers (the poller, the
      // load loop) rely on the signal's reason, as the Clock contract says.
      if (signal?.aborted) throw signal.reason;
      throw err;
    }
  },
  yield: () => yieldImmediate().then(() => undefined),
};

/**
 * setTimeout for any delay: one past MAX_TIMER_MS would fire after 1 ms (and warn), so a long wait
 * is a chain of timers of at most MAX_TIMER_MS. The parsers keep every duration below that limit;
 * this keeps a computed wait (a slow rate's next due time) from ever spinning. Returns a cancel.
 */
export function longTimeout(fn: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout;
  const arm = (left: number) => {
    timer = setTimeout(
      () => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : fn()),
      Math.min(left, MAX_TIMER_MS),
    );
  };
  arm(Math.max(0, ms));
  return () => clearTimeout(timer);
}
