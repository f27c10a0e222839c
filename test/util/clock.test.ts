import { getEventListeners } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleepUnlessAborted } from '../../src/doctor/run.js';
import { longTimeout, realClock } from '../../src/util/clock.js';
import { MAX_TIMER_MS } from '../../src/util/duration.js';

describe('waits past the timer limit', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('longTimeout chains timers instead of firing after 1 ms', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    longTimeout(fn, MAX_TIMER_MS + 5);
    vi.advanceTimersByTime(10);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_MS - 10);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(5);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('longTimeout can be cancelled mid-chain', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const cancel = longTimeout(fn, 2 * MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    cancel();
    vi.advanceTimersByTime(2 * MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
  });

  it('realClock.sleep and sleepUntil of 35 days really wait, without a TimeoutOverflowWarning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    const ac = new AbortController();
    const days35 = 35 * 86_400_000;
    const slept = realClock.sleep(days35, ac.signal).then(
      () => 'slept',
      () => 'aborted',
    );
    const until = realClock.sleepUntil(performance.now() + days35, ac.signal).then(() => 'woke');
    const first = await Promise.race([slept, until, delay(100).then(() => 'still waiting')]);
    ac.abort();
    expect(first).toBe('still waiting');
    expect(await slept).toBe('aborted');
    await until;
    await delay(10); // warnings are emitted on the next tick
    process.off('warning', onWarning);
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });
});

describe('the one abortable sleep (realClock.sleep) and its callers', () => {
  it('rejects with the signal’s own reason, whether aborted before or during the sleep', async () => {
    const before = new AbortController();
    before.abort(new Error('stop before'));
    await expect(realClock.sleep(10_000, before.signal)).rejects.toThrow('stop before');
    const during = new AbortController();
    const slept = realClock.sleep(10_000, during.signal);
    setTimeout(() => during.abort(new Error('stop during')), 5);
    await expect(slept).rejects.toThrow('stop during');
  });

  it('resolves after the delay and leaves no abort listener on the signal', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    await realClock.sleep(20, ac.signal);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(19);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  // The doctor's sleep before it called realClock.sleep added an abort listener per sleep and never
  // removed it: a long retry loop on one signal piled them up (MaxListenersExceededWarning after 10).
  it('the doctor’s sleepUnlessAborted resolves (never rejects) on abort and leaves no listener behind', async () => {
    const ac = new AbortController();
    for (let i = 0; i < 12; i++) await sleepUnlessAborted(1, ac.signal);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    const t0 = performance.now();
    const slept = sleepUnlessAborted(10_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(slept).resolves.toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(1000);
    await expect(sleepUnlessAborted(10_000, ac.signal)).resolves.toBeUndefined();
  });
});
