import { setImmediate as yieldImmediate } from 'node:timers/promises';

/**
 * Time as the load runner sees it. Tests pass a fake one (test/load/fake-clock.ts) and drive it;
 * the real one uses performance.now() and timers.
 */
export interface Clock {
  /** Monotonic milliseconds (fractional). */
  now(): number;
  /** Wall-clock milliseconds since the epoch, for the manifest's timestamps. */
  wallNow(): number;
  /** Resolves at `monotonicMs` or later, or as soon as `signal` aborts. Never rejects. */
  sleepUntil(monotonicMs: number, signal?: AbortSignal): Promise<void>;
  /** Lets pending I/O run (a macrotask turn) without waiting for time to pass. */
  yield(): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  sleepUntil(monotonicMs, signal) {
    const delayMs = monotonicMs - performance.now();
    if (signal?.aborted) return Promise.resolve();
    if (delayMs <= 0) return yieldImmediate().then(() => undefined);
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      // Node timers have 1 ms granularity and fire at or after the delay: floor it, and let the
      // caller send everything due when it wakes.
      const timer = setTimeout(done, Math.floor(delayMs));
      signal?.addEventListener('abort', done, { once: true });
    });
  },
  yield: () => yieldImmediate().then(() => undefined),
};
