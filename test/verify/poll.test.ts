import { describe, expect, it } from 'vitest';
import { BackendError } from '../../src/util/errors.js';
import type { PollClock } from '../../src/verify/poll.js';
import { type PollEvent, pollChecks } from '../../src/verify/poll.js';
import { TransientBackendError } from '../../src/verify/prom-client.js';
import type { CheckResult } from '../../src/verify/types.js';

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

describe('pollChecks: the settle window', () => {
  /** Answers per poll from a function of the elapsed time since the first poll. */
  const byTime = (clock: PollClock, answer: (elapsedMs: number) => CheckResult[]) => {
    const start = clock.now();
    return async () => answer(clock.now() - start);
  };

  it('passes once every check stayed green for the whole window, polling at its end', async () => {
    const { clock, sleeps } = fakeClock();
    const events: PollEvent[] = [];
    // Green from 2 s on (the data became visible then), and it stays green.
    const out = await pollChecks(
      byTime(clock, (t) => [result('a', t >= 2000)]),
      { clock, timeoutMs: 90_000, settleMs: 6_000, onEvent: (e) => events.push(e) },
    );
    expect(out).toMatchObject({ ok: true, timedOut: false, settleMs: 6_000, flaps: [] });
    // First green poll: 500 + 750 + 1125 = 2375 ms.
    expect(out.firstGreenMs).toBe(2375);
    expect(out.greenForMs).toBeGreaterThanOrEqual(6_000);
    expect(out.elapsedMs).toBe(2375 + 6_000);
    // The last sleep is cut to end exactly at the window's end.
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(2375 + 6_000);
    const settling = events.flatMap((e) => (e.type === 'poll' && e.settling ? [e.settling.greenForMs] : []));
    expect(settling[0]).toBe(0);
    expect(settling.at(-1)).toBeGreaterThanOrEqual(6_000);
  });

  it('a check that goes red in the window (one more request arrived) is never a pass: red at the timeout, naming it', async () => {
    const { clock } = fakeClock();
    const counts = (tenant: string, n: number): CheckResult => ({
      tenant,
      check: 'counts',
      ok: n === 10,
      expected: '200:10',
      found: n === 0 ? 'none' : `200:${n}`,
      problems:
        n === 10
          ? []
          : [`status 200: ${n} request(s) recorded, expected 10${n > 10 ? ' (more than were sent)' : ''}`],
    });
    // Visible at 2 s; an extra request of the run shows at 4 s and stays (counters do not go back).
    const out = await pollChecks(
      byTime(clock, (t) => [
        counts('a', t >= 2000 ? 10 : 0),
        counts('b', t >= 4000 ? 11 : t >= 2000 ? 10 : 0),
      ]),
      { clock, timeoutMs: 30_000, settleMs: 6_000 },
    );
    expect(out).toMatchObject({ ok: false, timedOut: true, greenForMs: 0, firstGreenMs: 2375 });
    expect(out.elapsedMs).toBe(30_000);
    expect(out.flaps).toEqual([
      {
        tenant: 'b',
        check: 'counts',
        atMs: 2375 + 1687.5,
        greenSinceMs: 2375,
        problem: 'status 200: 11 request(s) recorded, expected 10 (more than were sent)',
      },
    ]);
    expect(out.results.find((r) => r.tenant === 'b')?.ok).toBe(false);
  });

  it('after a flap, a new green streak must last the whole window again', async () => {
    const { clock } = fakeClock();
    // Green at 2 s, red 3–5 s, green again from 5 s on.
    const out = await pollChecks(
      byTime(clock, (t) => [result('a', t >= 2000 && !(t >= 3000 && t < 5000))]),
      { clock, timeoutMs: 90_000, settleMs: 6_000 },
    );
    expect(out.ok).toBe(true);
    expect(out.flaps).toHaveLength(1);
    const greenAgain = out.flaps[0]!.atMs;
    expect(out.elapsedMs - out.greenForMs).toBeGreaterThan(greenAgain);
    expect(out.greenForMs).toBeGreaterThanOrEqual(6_000);
  });

  it('a green streak begun before the deadline is watched to its end (the window adds to --timeout)', async () => {
    const { clock } = fakeClock();
    const out = await pollChecks(
      byTime(clock, (t) => [result('a', t >= 9_000)]),
      { clock, timeoutMs: 10_000, settleMs: 6_000 },
    );
    expect(out.ok).toBe(true);
    expect(out.elapsedMs).toBeGreaterThan(10_000);
    expect(out.elapsedMs).toBeLessThanOrEqual(16_000);
  });

  it('--settle 0 passes at the first all-green poll, as before', async () => {
    const { clock } = fakeClock();
    let polls = 0;
    const out = await pollChecks(
      async () => {
        polls++;
        return [result('a', polls >= 2), result('b', true)];
      },
      { clock, timeoutMs: 90_000, settleMs: 0 },
    );
    expect(out).toMatchObject({ ok: true, polls: 2, elapsedMs: 500, greenForMs: 0, firstGreenMs: 500 });
  });

  it('an interrupt during the window is an interrupt, with how long all was green', async () => {
    const { clock } = fakeClock();
    const ac = new AbortController();
    let polls = 0;
    const out = await pollChecks(
      async () => {
        if (++polls === 3) ac.abort('SIGINT');
        return [result('a', true)];
      },
      { clock, timeoutMs: 90_000, settleMs: 6_000, signal: ac.signal },
    );
    expect(out).toMatchObject({ ok: false, interrupted: true, polls: 3, firstGreenMs: 0, greenForMs: 1250 });
  });
});
