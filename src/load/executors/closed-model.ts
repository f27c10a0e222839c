import type { LoadConfig } from '../config.js';
import type { Dispatcher, LoadClock } from '../dispatch.js';
import type { IndexedMix } from '../mix-index.js';
import { type Shard, shareOf } from '../shard.js';

export interface ClosedModelRun {
  config: LoadConfig;
  clock: LoadClock;
  signal: AbortSignal | undefined;
  /** Clock time of the start of the run. */
  t0: number;
  dispatcher: Dispatcher;
  /** The tenant × status of each global request, by index. */
  mix: IndexedMix;
  /** This process's connections (config.connections, or a shard's part of them). */
  connections: number;
  /** This process's part of the run (../shard.ts); undefined: all of it. */
  shard?: Shard | undefined;
}

/**
 * Closed model (`--rps max`): `connections` loops, each sending the next request when its last one
 * is done, until the duration or the request count is reached. Returns when the loops stopped (or
 * the signal aborted), in ms since t0. A shard sends the global requests k ≡ index (mod count), each
 * with the tenant × status the global mix gives request k; --requests bounds the global run, so the
 * shard stops after its share of it.
 */
export async function runClosedModel(run: ClosedModelRun): Promise<number> {
  const { config, clock, signal, t0, dispatcher, mix } = run;
  const endAt = config.durationMs !== null ? t0 + config.durationMs : Number.POSITIVE_INFINITY;
  const limit = config.requests === null ? null : shareOf(config.requests, run.shard);
  const step = run.shard?.count ?? 1;
  let nextGlobal = run.shard?.index ?? 0; // the global index of this process's next request
  const pick = () => {
    const k = nextGlobal;
    nextGlobal += step;
    return mix.pickAt(k);
  };
  let started = 0;
  const loop = () =>
    new Promise<void>((resolve) => {
      const go = () => {
        if (signal?.aborted || clock.now() >= endAt || (limit !== null && started >= limit)) {
          resolve();
          return;
        }
        started++;
        const { tenant, status } = pick();
        // No schedule: the intended start is the send time.
        dispatcher.send(tenant, status, null, go);
      };
      go();
    });
  const loops = Array.from({ length: run.connections }, loop);
  if (signal) {
    // On abort, stop waiting for loops stuck on slow responses; the runner's drain bounds them.
    const abortedP = new Promise<void>((r) => {
      if (signal.aborted) r();
      else signal.addEventListener('abort', () => r(), { once: true });
    });
    await Promise.race([Promise.all(loops), abortedP]);
  } else {
    await Promise.all(loops);
  }
  return clock.now() - t0;
}
