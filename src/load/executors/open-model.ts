import { untilDue } from '../../util/clock.js';
import type { LoadConfig } from '../config.js';
import type { Dispatcher, LoadClock } from '../dispatch.js';
import type { LatencyRecorder } from '../latency.js';
import type { TrafficMix } from '../mix.js';
import { arrivals, stagesDurationMs } from '../schedule.js';
import { ownsRequest, type Shard } from '../shard.js';

/**
 * Behind schedule, the sender yields to I/O after this many back-to-back sends, so responses free
 * their connections for reuse instead of every send of a burst opening a new one.
 */
const BURST_BEFORE_YIELD = 32;

export interface OpenModelRun {
  config: LoadConfig;
  /** This process's in-flight cap (config.maxInflight, or a shard's part of it). */
  maxInflight: number;
  clock: LoadClock;
  signal: AbortSignal | undefined;
  /** Clock time of the start of the run. */
  t0: number;
  dispatcher: Dispatcher;
  mix: TrafficMix;
  /** The mix index of each stage (0: the config's status mix). */
  stageMix: readonly number[];
  /** How late each request was sent against its schedule. */
  lateness: LatencyRecorder;
  /** This process's part of the schedule (../shard.ts); undefined: all of it. */
  shard?: Shard | undefined;
}

/**
 * Open model: request i is due at t0 + its arrival time (../schedule.ts, from the start, no drift);
 * if `maxInflight` requests are in flight when one is due, it is dropped and counted, never delayed.
 * A shard walks the whole global schedule and sends only its requests, at their global due times;
 * the mix is drawn for every global request, so each request gets the tenant × status it gets in
 * the unsharded run. Returns when scheduling stopped, in ms since t0.
 */
export async function runOpenModel(run: OpenModelRun): Promise<number> {
  const { config, clock, signal, t0, dispatcher, mix } = run;
  const aborted = () => signal?.aborted === true;
  let endRel = stagesDurationMs(config.stages);
  let sinceYield = 0;
  for (const a of arrivals(config.stages)) {
    if (config.requests !== null && a.index >= config.requests) {
      endRel = a.atMs; // the window of N requests ends when request N+1 would be due
      break;
    }
    if (config.durationMs !== null && a.atMs >= config.durationMs) {
      endRel = config.durationMs;
      break;
    }
    // Drawn for every request of the global schedule, the shard's or not: the sequence is global.
    const { tenant, status } = mix.next(run.stageMix[a.stage]);
    if (!ownsRequest(run.shard, a.index)) continue;
    const due = t0 + a.atMs;
    if (clock.now() < due) {
      sinceYield = 0;
      await untilDue(clock, due, signal);
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
  if (!Number.isFinite(endRel)) endRel = clock.now() - t0;
  // Hold the window open until its planned end, so the achieved rate is measured over it.
  await untilDue(clock, t0 + endRel, signal);
  // A sender that fell behind finishes after the planned end: the achieved rate is over the real time.
  return clock.now() - t0;
}
