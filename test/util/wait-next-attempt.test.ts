/** The one wait between poll attempts (verify, the service profile, doctor's probe): on a fake clock. */
import { describe, expect, it } from 'vitest';
import { waitForNextAttempt } from '../../src/util/clock.js';

function fakeClock(startMs = 0) {
  let t = startMs;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      slept.push(ms);
      t += ms;
    },
  };
}

describe('waitForNextAttempt', () => {
  it('waits a step, cut at the deadline, and says when no attempt is left', async () => {
    const clock = fakeClock();
    expect(await waitForNextAttempt(clock, 2_500, 1_000)).toBe('next');
    expect(await waitForNextAttempt(clock, 2_500, 1_000)).toBe('next');
    expect(await waitForNextAttempt(clock, 2_500, 1_000)).toBe('next');
    expect(await waitForNextAttempt(clock, 2_500, 1_000)).toBe('deadline');
    expect(clock.slept).toEqual([1_000, 1_000, 500]);
  });

  it('an abort is "aborted", not an error; another rejection is one', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await waitForNextAttempt(fakeClock(), 1_000, 100, controller.signal)).toBe('aborted');
    const failing = { now: () => 0, sleep: () => Promise.reject(new Error('timer broke')) };
    await expect(waitForNextAttempt(failing, 1_000, 100)).rejects.toThrow('timer broke');
  });
});
