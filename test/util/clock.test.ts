import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
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
