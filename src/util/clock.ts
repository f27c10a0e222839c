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

/**
 * Waits until `clock.now()` reaches `dueMs` or `signal` aborts: the one due-time wait of the open
 * model's sender, the canary's traffic and its intervals (sleepUntil may wake a little early).
 */
export async function untilDue(
  clock: Pick<Clock, 'now' | 'sleepUntil'>,
  dueMs: number,
  signal?: AbortSignal,
): Promise<void> {
  while (clock.now() < dueMs && !signal?.aborted) await clock.sleepUntil(dueMs, signal);
}

/**
 * The wait between two attempts of a poll loop (verify's polls, the service profile's, doctor's
 * probe wait): `stepMs`, cut at `untilMs`. 'deadline' at once when `untilMs` has come (no attempt
 * is left); 'aborted' when `signal` aborts (a sleep's rejection on abort is that, not an error);
 * 'next' after the wait. A schedule of due times (the load's open model, the canary's traffic and
 * intervals) is another mechanism: untilDue.
 */
export async function waitForNextAttempt(
  clock: Pick<Clock, 'now' | 'sleep'>,
  untilMs: number,
  stepMs: number,
  signal?: AbortSignal,
): Promise<'next' | 'deadline' | 'aborted'> {
  const leftMs = untilMs - clock.now();
  if (leftMs <= 0) return 'deadline';
  try {
    await clock.sleep(Math.min(stepMs, leftMs), signal);
  } catch (err) {
    if (signal?.aborted) return 'aborted';
    throw err;
  }
  return signal?.aborted ? 'aborted' : 'next';
}

/**
 * How close to a due time `sleepUntil` stops sleeping on a timer and spins (lets I/O run and comes
 * back at once). Timers have 1 ms granularity, so anything shorter cannot be slept precisely; but a
 * spin costs a whole core for as long as it lasts (issue 21: spinning on every sub-millisecond wait
 * cost 430 µs of CPU per request at 2k req/s). So only the last 0.05 ms is spun; a longer wait, even
 * under 1 ms, takes a timer, and whatever fell due meanwhile is sent together in that one wake-up.
 * The window only saves a wake-up that lands a few µs early from a timer's millisecond of overshoot.
 * Requests closer together than the window (from 20k req/s) are spun to one after the other: that
 * is what keeps the p99 send lateness within 2 ms at 25k req/s, for 47–59 µs of CPU per request.
 * A narrower window (0.02 ms, measured) or `--send-batch 1` halves that CPU and lets the p99 go
 * to 1.9–2.7 ms (bench/RESULTS.md, "the spin window"): the trade is the user's, with --send-batch.
 */
export const SPIN_MS = 0.05;

/** What `sleepUntil` is built on, injectable so that its waiting strategy is tested (test/util/clock.test.ts). */
export interface TimerSource {
  now(): number;
  /** Calls `fn` after at least `ms` (whole ms); returns a cancel. */
  timeout(fn: () => void, ms: number): () => void;
  /** Calls `fn` on the next turn of the event loop, after pending I/O. */
  immediate(fn: () => void): void;
}

/** The `sleepUntil` of a clock on `timers`: a timer for all but the last SPIN_MS, then a spin. */
export function sleepUntilOn(timers: TimerSource): Clock['sleepUntil'] {
  return (monotonicMs, signal) => {
    const delayMs = monotonicMs - timers.now();
    if (signal?.aborted) return Promise.resolve();
    // The very end of a wait: let I/O run and come back at once; the caller loops until due.
    if (delayMs < SPIN_MS) return new Promise<void>((resolve) => timers.immediate(resolve));
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        cancel();
        resolve();
      };
      // Node timers fire at or after the delay (by up to about a millisecond): aim at the start of
      // the spin window; under 1 ms that is unreachable, so the timer overshoots by < 1 ms instead
      // of spinning (the caller then sends, in one go, everything that fell due).
      const cancel = timers.timeout(done, Math.max(1, Math.floor(delayMs - SPIN_MS)));
      signal?.addEventListener('abort', done, { once: true });
    });
  };
}

const nodeTimers: TimerSource = {
  now: () => performance.now(),
  timeout: (fn, ms) => longTimeout(fn, ms),
  immediate: (fn) => setImmediate(fn),
};

export const realClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  sleepUntil: sleepUntilOn(nodeTimers),
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
