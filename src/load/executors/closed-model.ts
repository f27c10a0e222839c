import type { LoadConfig } from '../config.js';
import type { Dispatcher, LoadClock } from '../dispatch.js';
import type { TrafficMix } from '../mix.js';

export interface ClosedModelRun {
  config: LoadConfig;
  clock: LoadClock;
  signal: AbortSignal | undefined;
  /** Clock time of the start of the run. */
  t0: number;
  dispatcher: Dispatcher;
  mix: TrafficMix;
}

/**
 * Closed model (`--rps max`): `connections` loops, each sending the next request when its last one
 * is done, until the duration or the request count is reached. Returns when the loops stopped (or
 * the signal aborted), in ms since t0.
 */
export async function runClosedModel(run: ClosedModelRun): Promise<number> {
  const { config, clock, signal, t0, dispatcher, mix } = run;
  const endAt = config.durationMs !== null ? t0 + config.durationMs : Number.POSITIVE_INFINITY;
  let started = 0;
  const loop = () =>
    new Promise<void>((resolve) => {
      const go = () => {
        if (
          signal?.aborted ||
          clock.now() >= endAt ||
          (config.requests !== null && started >= config.requests)
        ) {
          resolve();
          return;
        }
        started++;
        const { tenant, status } = mix.next(0);
        // No schedule: the intended start is the send time.
        dispatcher.send(tenant, status, null, go);
      };
      go();
    });
  const loops = Array.from({ length: config.connections ?? 1 }, loop);
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
