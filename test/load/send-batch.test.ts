/**
 * Send batches (LoadDeps.sendBatchMs, issue 21): the requests due in one window of w ms go out
 * together at its end, in one wake-up — never before their due time, at most w ms after it; 0 keeps
 * each request at its own due time.
 */
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../src/load/runner.js';
import { fakeClient } from './fake-client.js';
import { FakeClock } from './fake-clock.js';
import { testPlan } from './plan-fixture.js';

const plan = testPlan({ stages: [{ durationMs: 100, fromPerSec: 1000, toPerSec: 1000 }], durationMs: 100 });

async function sendTimes(sendBatchMs: number | undefined) {
  const clock = new FakeClock();
  const client = fakeClient(clock, { latencyMs: 1 });
  const result = await clock.runUntil(runLoad(plan, { clock, client, sendBatchMs }), { stepMs: 0.25 });
  return { at: client.sent.map((s) => s.atMs), result };
}

describe('send batches', () => {
  it('4 ms windows: every request at the end of its window, never early, at most 4 ms late', async () => {
    const { at, result } = await sendTimes(4);
    expect(at).toHaveLength(100);
    at.forEach((t, k) => {
      const due = k; // 1000 req/s: request k due at k ms
      expect(t).toBe(Math.ceil(due / 4) * 4);
      expect(t - due).toBeGreaterThanOrEqual(0);
      expect(t - due).toBeLessThan(4);
    });
    // 1 + 25 wake-ups instead of 100: the sends of a window share one.
    expect(new Set(at).size).toBe(26);
    expect(result.latency.sendLateness!.maxMs).toBe(3);
  });

  it('0 (the default): each request at its own due time', async () => {
    for (const w of [0, undefined]) {
      const { at } = await sendTimes(w);
      expect(at).toEqual(at.map((_, k) => k));
    }
  });
});

describe('parseSendBatch', () => {
  it('takes 0 to 100 ms, with or without "ms"; anything else names what is allowed', async () => {
    const { parseSendBatch } = await import('../../src/load/values.js');
    const { ValueProblem } = await import('../../src/util/value-problem.js');
    expect([
      parseSendBatch('2'),
      parseSendBatch('2ms'),
      parseSendBatch(' 0.5ms '),
      parseSendBatch('0'),
    ]).toEqual([2, 2, 0.5, 0]);
    for (const bad of ['-1', '101', '2s', 'fast', ''])
      expect(() => parseSendBatch(bad), bad).toThrow(ValueProblem);
    expect(() => parseSendBatch('2s')).toThrow('expected milliseconds from 0 to 100');
  });
});
