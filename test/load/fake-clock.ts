import type { LoadClock } from '../../src/load/runner.js';

/**
 * A clock that only moves when the test says so. Sleepers wake in time order; between wake-ups the
 * real event loop turns, so promise chains (and setImmediate-based code) settle.
 */
export class FakeClock implements LoadClock {
  private t = 0;
  private readonly sleepers: { at: number; wake: () => void }[] = [];
  readonly wallStart = Date.UTC(2026, 0, 1);

  now(): number {
    return this.t;
  }

  wallNow(): number {
    return this.wallStart + this.t;
  }

  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || at <= this.t) return Promise.resolve();
    return new Promise((resolve) => {
      const s = {
        at,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.sleepers.indexOf(s);
        if (i >= 0) this.sleepers.splice(i, 1);
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.sleepers.push(s);
    });
  }

  yield(): Promise<void> {
    return new Promise((r) => setImmediate(r));
  }

  /** Moves time forward by `ms`, waking every sleeper due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > end) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, next.at);
      next.wake();
      await settle();
    }
    this.t = end;
    await settle();
  }

  /** Advances in steps until `done` resolves (bounded: throws after `maxMs` of fake time). */
  async runUntil<T>(done: Promise<T>, opts: { stepMs?: number; maxMs?: number } = {}): Promise<T> {
    let finished = false;
    let value: T | undefined;
    let error: unknown;
    done.then(
      (v) => {
        finished = true;
        value = v;
      },
      (e) => {
        finished = true;
        error = e ?? new Error('rejected');
      },
    );
    const limit = this.t + (opts.maxMs ?? 3_600_000);
    while (!finished) {
      if (this.t > limit) throw new Error(`FakeClock.runUntil: not done after ${opts.maxMs} ms of fake time`);
      await this.advance(opts.stepMs ?? 1);
    }
    if (error) throw error;
    return value as T;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}
