/**
 * The real clock's waiting strategy (src/util/clock.ts sleepUntilOn) on a simulated event loop:
 * waits use timers, only the last SPIN_MS is spun, and sends that fall due while a timer runs go
 * out together in its one wake-up (issue 21: spinning on every sub-millisecond wait cost a core).
 */
import { describe, expect, it } from 'vitest';
import type { LoadClient } from '../../src/load/client.js';
import type { LoadClock } from '../../src/load/runner.js';
import { runLoad } from '../../src/load/runner.js';
import { SPIN_MS, sleepUntilOn, type TimerSource } from '../../src/util/clock.js';
import { testPlan } from './plan-fixture.js';

/**
 * A simulated event loop: time moves only from task to task. A turn of the loop (an immediate)
 * costs TURN_MS; a timer fires `overshootMs` after its delay, as Node's do. It counts both, so a
 * test can tell spinning (many immediates) from sleeping (a few timers).
 */
class SimLoop implements TimerSource {
  static readonly TURN_MS = 0.002;
  t = 0;
  timers = 0;
  immediates = 0;
  private seq = 0;
  private tasks: { at: number; seq: number; fn: () => void; cancelled: boolean }[] = [];

  constructor(private readonly overshootMs: number) {}

  now = (): number => this.t;

  timeout = (fn: () => void, ms: number): (() => void) => {
    this.timers++;
    const task = this.push(fn, Math.max(1, ms) + this.overshootMs);
    return () => {
      task.cancelled = true;
    };
  };

  immediate = (fn: () => void): void => {
    this.immediates++;
    this.push(fn, SimLoop.TURN_MS);
  };

  /** Not counted: the fake target's answers. */
  later(fn: () => void, ms: number): void {
    this.push(fn, ms);
  }

  clock(): LoadClock {
    return {
      now: this.now,
      wallNow: () => Date.UTC(2026, 0, 1) + this.t,
      sleepUntil: sleepUntilOn(this),
      yield: () => new Promise<void>((r) => this.immediate(r)),
    };
  }

  /** Runs tasks in time order until `done` settles (bounded: throws after `maxTasks`). */
  async run<T>(done: Promise<T>, maxTasks: number): Promise<T> {
    let finished = false;
    done.then(
      () => (finished = true),
      () => (finished = true),
    );
    for (let n = 0; ; n++) {
      await new Promise((r) => setImmediate(r)); // the promise chains of the last task settle
      if (finished) return done;
      if (n > maxTasks) throw new Error(`SimLoop: not done after ${maxTasks} tasks`);
      this.tasks.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const task = this.tasks.shift();
      if (!task) throw new Error('SimLoop: nothing scheduled and not done');
      if (task.cancelled) continue;
      this.t = Math.max(this.t, task.at);
      task.fn();
    }
  }

  private push(fn: () => void, ms: number) {
    const task = { at: this.t + ms, seq: this.seq++, fn, cancelled: false };
    this.tasks.push(task);
    return task;
  }
}

/** A target answering 200 after 0.2 ms, recording the send times. */
function simClient(sim: SimLoop): LoadClient & { sentAt: number[] } {
  const sentAt: number[] = [];
  return {
    sentAt,
    send(req, done) {
      sentAt.push(sim.t);
      sim.later(() => done({ status: req.status }), 0.2);
    },
    async close() {},
  };
}

describe('sleepUntil: timers, a short spin only at the very end', () => {
  it('a 10 ms wait sleeps on timers and spins at most SPIN_MS', async () => {
    const sim = new SimLoop(0.3);
    const clock = sim.clock();
    const due = 10;
    const wait = (async () => {
      while (clock.now() < due) await clock.sleepUntil(due);
    })();
    await sim.run(wait, 10_000);
    expect(sim.t).toBeGreaterThanOrEqual(due);
    expect(sim.t - due).toBeLessThan(1.3 + SimLoop.TURN_MS);
    expect(sim.timers).toBeLessThanOrEqual(2);
    // The old clock spun the whole last millisecond: 500 turns of the loop.
    expect(sim.immediates).toBeLessThanOrEqual(Math.ceil(SPIN_MS / SimLoop.TURN_MS) + 1);
  });

  it('a wait under SPIN_MS is spun, not slept (a timer would overshoot by a millisecond)', async () => {
    const sim = new SimLoop(0.3);
    const clock = sim.clock();
    const due = SPIN_MS / 2;
    const wait = (async () => {
      while (clock.now() < due) await clock.sleepUntil(due);
    })();
    await sim.run(wait, 10_000);
    expect(sim.timers).toBe(0);
    expect(sim.t - due).toBeLessThan(SimLoop.TURN_MS + 1e-9);
  });

  it('an abort ends a timer wait at once', async () => {
    const sim = new SimLoop(0);
    const ac = new AbortController();
    const woke = sim.clock().sleepUntil(1000, ac.signal);
    sim.later(() => ac.abort(), 5);
    await sim.run(woke, 100);
    expect(sim.t).toBe(5);
  });
});

describe('the open model at 2k req/s on the real clock strategy', () => {
  it('sends every request, the ones due in the same timer wake-up together, without spinning between them', async () => {
    const sim = new SimLoop(0.3);
    const client = simClient(sim);
    const config = testPlan({
      stages: [{ durationMs: 500, fromPerSec: 2000, toPerSec: 2000 }],
      durationMs: 500,
    });
    const result = await sim.run(
      runLoad(config, { clock: sim.clock(), client, progressIntervalMs: 1000 }),
      100_000,
    );
    expect(client.sentAt).toHaveLength(1000);
    expect(result.totals.dropped).toBe(0);
    // 0.5 ms apart, timers of ≥ 1 ms (+ 0.3 overshoot): about 2.6 sends per timer wake-up, sent at
    // the same instant; a send is alone only when its due time came within the spin window.
    expect(sim.timers).toBeLessThan(400);
    expect(new Set(client.sentAt).size).toBeLessThan(600);
    // The old clock spun every sub-millisecond wait: about 250 turns of the loop per request.
    expect(sim.immediates / 1000).toBeLessThan(10);
    // Never early (lateness is ≥ 0), and late by at most a timer's millisecond and its overshoot.
    const late = client.sentAt.map((t, i) => t - i * 0.5);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...late)).toBeLessThan(1.3 + 0.1);
  });
});

describe('the open model at 25k req/s on the real clock strategy', () => {
  /** 200 ms at 25k req/s (requests 0.04 ms apart) on the simulated loop, with a send batch of `w` ms. */
  async function at25k(sendBatchMs: number) {
    const sim = new SimLoop(0.3);
    const client = simClient(sim);
    const config = testPlan({
      stages: [{ durationMs: 200, fromPerSec: 25_000, toPerSec: 25_000 }],
      durationMs: 200,
    });
    const result = await sim.run(
      runLoad(config, { clock: sim.clock(), client, progressIntervalMs: 1000, sendBatchMs }),
      200_000,
    );
    expect(client.sentAt).toHaveLength(5000);
    expect(result.totals.dropped).toBe(0);
    const late = client.sentAt.map((t, i) => t - i * 0.04);
    expect(Math.min(...late)).toBeGreaterThanOrEqual(-1e-9);
    return { sim, late };
  }

  it('by default, requests closer together than SPIN_MS are spun to, each at its own due time', async () => {
    const { late } = await at25k(0);
    // Precise: a request is late by at most a few turns of the loop (bench/RESULTS.md: p99 ≤ 2 ms
    // at 25k req/s for 47 µs of CPU per request, the price of spinning).
    expect(Math.max(...late)).toBeLessThan(10 * SimLoop.TURN_MS);
  });

  it('with --send-batch 1, the same requests go out ~25 a wake-up, without spinning from one to the next', async () => {
    const { sim, late } = await at25k(1);
    // Batched: one timer wake-up per window, few turns of the loop per request (22 µs of CPU per
    // request instead of 47, for a p99 lateness of 2.4–2.7 ms: bench/RESULTS.md).
    expect(sim.immediates / 5000).toBeLessThan(0.5);
    expect(sim.timers).toBeLessThan(400);
    expect(Math.max(...late)).toBeLessThan(1 + 1.3 + 0.1);
  });
});
