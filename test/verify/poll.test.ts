import { describe, expect, it } from 'vitest';
import { BackendError } from '../../src/util/errors.js';
import type { PollClock } from '../../src/verify/poll.js';
import { type PollEvent, pollChecks } from '../../src/verify/poll.js';
import { TransientBackendError } from '../../src/verify/prom-client.js';
import type { CheckResult } from '../../src/verify/types.js';
import { evaluationTime } from '../../src/verify/verify.js';

/** A clock whose sleep advances time at once and records each sleep. */
function fakeClock() {
  let t = 1000;
  const sleeps: number[] = [];
  const clock: PollClock = {
    now: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
      t += ms;
    },
  };
  return { clock, sleeps, advance: (ms: number) => (t += ms) };
}

const result = (tenant: string, ok: boolean): CheckResult => ({
  tenant,
  check: 'counts',
  ok,
  expected: '200:1',
  found: ok ? '200:1' : 'none',
  problems: ok ? [] : ['status 200: 0 request(s) recorded, expected 1'],
});

describe('pollChecks', () => {
  it('stops at the first poll where every check passes, reporting green tenants on the way', async () => {
    const { clock, sleeps } = fakeClock();
    const answers = [
      [result('a', false), result('b', false)],
      [result('a', true), result('b', false)],
      [result('a', true), result('b', true)],
    ];
    const events: PollEvent[] = [];
    const out = await pollChecks(async () => answers.shift()!, {
      clock,
      timeoutMs: 90_000,
      onEvent: (e) => events.push(e),
    });
    expect(out).toMatchObject({ ok: true, timedOut: false, polls: 3 });
    expect(sleeps).toEqual([500, 750]);
    expect(events.map((e) => (e.type === 'poll' ? e.greenTenants : e.type))).toEqual([[], ['a'], ['a', 'b']]);
  });

  it('backs off by 1.5× up to 5 s, and makes a last poll exactly at the deadline', async () => {
    const { clock, sleeps } = fakeClock();
    const out = await pollChecks(async () => [result('a', false)], { clock, timeoutMs: 20_000 });
    expect(out.ok).toBe(false);
    expect(out.timedOut).toBe(true);
    expect(out.elapsedMs).toBe(20_000);
    // 500, 750, 1125, 1687.5, 2531.25, 3796.875, 5000, then what is left of 20 s.
    expect(sleeps.slice(0, 7)).toEqual([500, 750, 1125, 1687.5, 2531.25, 3796.875, 5000]);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(20_000);
    expect(out.polls).toBe(sleeps.length + 1);
  });

  it('retries transient backend errors (a backend that comes up late ends green)', async () => {
    const { clock } = fakeClock();
    let calls = 0;
    const events: PollEvent[] = [];
    const out = await pollChecks(
      async () => {
        calls++;
        if (calls < 4) throw new TransientBackendError('cannot reach the Prometheus API: connection refused');
        return [result('a', true)];
      },
      { clock, timeoutMs: 90_000, onEvent: (e) => events.push(e) },
    );
    expect(out).toMatchObject({ ok: true, polls: 4 });
    expect(events.filter((e) => e.type === 'transient-error')).toHaveLength(3);
  });

  it('a backend never reachable before the deadline is a BackendError (exit 2), with the last reason', async () => {
    const { clock } = fakeClock();
    const err = await pollChecks(
      async () => {
        throw new TransientBackendError('cannot reach http://127.0.0.1:1: connection refused');
      },
      { clock, timeoutMs: 3000 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).not.toBeInstanceOf(TransientBackendError);
    expect((err as BackendError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(
      /gave up after 3 s and \d+ attempt\(s\): cannot reach .*connection refused/,
    );
  });

  it('a fatal backend error (401) ends polling at once', async () => {
    const { clock, sleeps } = fakeClock();
    let calls = 0;
    const err = await pollChecks(
      async () => {
        calls++;
        throw new BackendError('answered 401 no org id: is --no-tenant-header set?');
      },
      { clock, timeoutMs: 90_000 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('keeps the results of the last successful poll when later polls fail transiently', async () => {
    const { clock } = fakeClock();
    let calls = 0;
    const out = await pollChecks(
      async () => {
        calls++;
        if (calls === 1) return [result('a', false)];
        throw new TransientBackendError('answered 503');
      },
      { clock, timeoutMs: 2000 },
    );
    expect(out).toMatchObject({ ok: false, timedOut: true, lastError: 'answered 503' });
    expect(out.results).toEqual([result('a', false)]);
  });

  it('stops when the signal aborts, returning the last poll as interrupted', async () => {
    const { clock } = fakeClock();
    const ac = new AbortController();
    const out = await pollChecks(
      async () => {
        ac.abort('SIGINT');
        return [result('a', true), result('b', false)];
      },
      { clock, timeoutMs: 90_000, signal: ac.signal },
    );
    expect(out).toMatchObject({ ok: false, timedOut: false, interrupted: true, polls: 1 });
    expect(out.results).toEqual([result('a', true), result('b', false)]);
  });

  it('a query cut by the signal (any error) is an interrupt, not an error; no answer yet → no results', async () => {
    const { clock } = fakeClock();
    const ac = new AbortController();
    const out = await pollChecks(
      async () => {
        ac.abort('SIGTERM');
        throw new DOMException('This operation was aborted', 'AbortError');
      },
      { clock, timeoutMs: 90_000, signal: ac.signal },
    );
    expect(out).toMatchObject({ ok: false, interrupted: true, results: [], polls: 1 });
  });
});

describe('evaluationTime', () => {
  it('is now for a fresh run, and 4 min after the end for an older one (inside the 5 min lookback)', () => {
    const ended = 1_000_000_000;
    expect(evaluationTime(ended + 60_000, ended)).toBeUndefined();
    expect(evaluationTime(ended + 4 * 60_000, ended)).toBeUndefined();
    expect(evaluationTime(ended + 60 * 60_000, ended)).toBe(ended + 4 * 60_000);
  });
});
