import { untilDue } from '../../util/clock.js';
import type { LoadConfig } from '../config.js';
import type { Dispatcher, LoadClock } from '../dispatch.js';
import type { LatencyRecorder } from '../latency.js';
import type { IndexedMix } from '../mix-index.js';
import { type ArrivalIndex, stagesDurationMs } from '../schedule.js';
import type { Shard } from '../shard.js';

/**
 * Behind schedule, the sender yields to I/O after this many back-to-back sends, so responses free
 * their connections for reuse instead of every send of a burst opening a new one.
 */
const BURST_BEFORE_YIELD = 32;

/** Requests of a late start counted as dropped between two turns of the event loop. */
const SKIP_BEFORE_YIELD = 10_000;

export interface OpenModelRun {
  config: LoadConfig;
  /** This process's in-flight cap (config.maxInflight, or a shard's part of it). */
  maxInflight: number;
  clock: LoadClock;
  signal: AbortSignal | undefined;
  /** Clock time of the start of the run. */
  t0: number;
  dispatcher: Dispatcher;
  /** The global schedule, by index. */
  schedule: ArrivalIndex;
  /** The tenant × status of each global request, by index. */
  mix: IndexedMix;
  /** How late each request was sent against its schedule. */
  lateness: LatencyRecorder;
  /** This process's part of the schedule (../shard.ts); undefined: all of it. */
  shard?: Shard | undefined;
  /**
   * How late this process started for a planned start (ms): the requests due before then are
   * counted as dropped, never sent in a burst to catch up.
   */
  skipBeforeMs?: number | undefined;
  /**
   * Send in batches: a request due in the window [t0 + m·w, t0 + (m+1)·w) is sent at its end, with
   * every other request of the window, in one wake-up (never early; up to w ms late). 0: each
   * request at its own due time.
   */
  batchMs?: number | undefined;
}

/**
 * Open model: request i is due at t0 + its arrival time (../schedule.ts, from the start, no drift);
 * if `maxInflight` requests are in flight when one is due, it is dropped and counted, never delayed.
 * A shard computes only its own requests k ≡ index (mod count), each at its global due time with
 * the tenant × status it gets in the unsharded run (both from k alone: ArrivalIndex, IndexedMix).
 * Returns when scheduling stopped, in ms since t0.
 */
export async function runOpenModel(run: OpenModelRun): Promise<number> {
  const { config, clock, signal, t0, dispatcher, mix, schedule } = run;
  const aborted = () => signal?.aborted === true;
  const step = run.shard?.count ?? 1;
  const skipBefore = run.skipBeforeMs ?? 0;
  const batchMs = run.batchMs ?? 0;
  let sinceYield = 0;
  let k = run.shard?.index ?? 0;
  for (; ; k += step) {
    const atMs = inWindow(config, schedule, k);
    if (atMs === null) break;
    const { tenant, status } = mix.pickAt(k);
    const due = t0 + atMs;
    if (atMs < skipBefore) {
      dispatcher.drop(tenant, status, due);
      if (++sinceYield >= SKIP_BEFORE_YIELD) {
        sinceYield = 0;
        await clock.yield();
        if (aborted()) return clock.now() - t0;
      }
      continue;
    }
    if (clock.now() < due) {
      sinceYield = 0;
      // With a send batch: the window's end (one wake-up for all its sends), never before due.
      await untilDue(clock, batchMs > 0 ? t0 + Math.ceil(atMs / batchMs) * batchMs : due, signal);
    } else if (++sinceYield >= BURST_BEFORE_YIELD) {
      // Behind schedule: send what is due, but let responses in now and then.
      sinceYield = 0;
      await clock.yield();
    }
    if (aborted()) return clock.now() - t0;
    if (dispatcher.inflight >= run.maxInflight) {
      dispatcher.drop(tenant, status, due);
    } else {
      const sentAt = dispatcher.send(tenant, status, due);
      run.lateness.recordMs(sentAt - due);
    }
  }
  let endRel = windowEndMs(config, schedule, Math.max(0, k - step + 1));
  if (!Number.isFinite(endRel)) endRel = clock.now() - t0;
  // Hold the window open until its planned end, so the achieved rate is measured over it.
  await untilDue(clock, t0 + endRel, signal);
  // A sender that fell behind finishes after the planned end: the achieved rate is over the real time.
  return clock.now() - t0;
}

/** Due time (ms after the start) of global request k if the run's bounds include it, else null. */
function inWindow(config: LoadConfig, schedule: ArrivalIndex, k: number): number | null {
  if (config.requests !== null && k >= config.requests) return null;
  const atMs = schedule.atMs(k);
  if (atMs === null || (config.durationMs !== null && atMs >= config.durationMs)) return null;
  return atMs;
}

/**
 * Where the window of the whole run ends, given that the first global request outside it is at
 * `from` or later: the due time of request N + 1 for --requests N, the duration, or the stages'
 * end (the bounds are monotonic in k, so the first request outside is found by walking from `from`).
 */
function windowEndMs(config: LoadConfig, schedule: ArrivalIndex, from: number): number {
  for (let g = from; ; g++) {
    const atMs = schedule.atMs(g);
    if (atMs === null) return stagesDurationMs(config.stages);
    if (config.requests !== null && g >= config.requests) return atMs;
    if (config.durationMs !== null && atMs >= config.durationMs) return config.durationMs;
  }
}
