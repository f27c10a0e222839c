/**
 * The load runner: pure core, no terminal, no manifest. API (what `otelpoc load`, `run` and the
 * pipeline use):
 *
 *   runLoad(config: LoadConfig, deps?: { signal?, onProgress?, clock?, client?, progressIntervalMs? })
 *     → Promise<LoadResult>
 *
 * - `config` comes from `resolveLoadConfig` (./config.ts), from flags and/or a scenario file.
 * - The executors: ./executors/open-model.ts (scheduled arrivals, drops at the in-flight cap) and
 *   ./executors/closed-model.ts (`connections` loops); both send through ./dispatch.ts.
 * - The tenant × status of each request comes from a smooth weighted round robin (./mix.ts): exact;
 *   ./mix-index.ts gives request k's pick from k alone, so a shard computes only its own requests.
 * - `signal` aborting stops scheduling, waits (bounded by the request timeout) for in-flight
 *   requests, and resolves with the partial result marked `interrupted: true`. It never rejects
 *   for HTTP errors: those are counted by category.
 * - `onProgress` gets a LoadProgress every `progressIntervalMs` (default 1000) of `clock` time.
 * - The result is plain data; src/manifest/build.ts makes the run manifest of it. Its `timeline`
 *   (./timeline.ts) is the run second by second, for the HTML report.
 */
import { realClock } from '../util/clock.js';
import { createHttpClient, type HttpClientOptions, type LoadClient } from './client.js';
import { constantRate, type LoadConfig, plannedRequests } from './config.js';
import { Dispatcher, type LoadClock } from './dispatch.js';
import { runClosedModel } from './executors/closed-model.js';
import { runOpenModel } from './executors/open-model.js';
import { LatencyRecorder } from './latency.js';
import { indexedMix } from './mix-index.js';
import type { LoadResult } from './result.js';
import { ArrivalIndex, rateAtMs, stagesDurationMs } from './schedule.js';
import { localLimits, type Shard } from './shard.js';
import { Tally } from './tally.js';

export type { LoadClock } from './dispatch.js';

export interface LoadProgress {
  elapsedMs: number;
  scheduled: number;
  sent: number;
  completed: number;
  inflight: number;
  dropped: number;
  /** Requests that failed at the client or got another status than asked. */
  errors: number;
  /** Sent per second since the start. */
  achievedPerSec: number;
  /**
   * Sent per second since the previous progress (the last second by default): what to set against
   * `targetPerSec`, which a ramp moves; the whole-run average lags far behind it.
   */
  currentPerSec: number;
  /** The rate the schedule asks for right now (open model, ramps included), or null. */
  targetPerSec: number | null;
  /** Schedule-corrected p99 so far, ms. */
  p99Ms: number;
}

export interface LoadDeps {
  signal?: AbortSignal | undefined;
  onProgress?: ((p: LoadProgress) => void) | undefined;
  clock?: LoadClock | undefined;
  /** HTTP client; default: an undici keep-alive pool to config.target, made by `createClient`. */
  client?: LoadClient | undefined;
  /** Makes the HTTP client for the run's target; default createHttpClient. */
  createClient?: ((opts: HttpClientOptions) => LoadClient) | undefined;
  progressIntervalMs?: number | undefined;
  /**
   * Send only this shard's part of the global schedule (./shard.ts); `config` stays the whole
   * run's plan. Rates in the result and the progress are then the shard's (its share of the target).
   */
  shard?: Shard | undefined;
  /** The header that names the tenant (default Client-ID): a service of the user's may read another. */
  tenantHeader?: string | undefined;
  /**
   * false: no warm-up requests (GET /healthz) before the run. A service whose counts are verified
   * without a run label would count them as its own traffic. Default true.
   */
  warmUp?: boolean | undefined;
  /**
   * Called after the warm-up: resolves with the instant (epoch ms) to start at instead of
   * config.startAt — the workers of one process start together (./workers.ts). A start it gives
   * that config.startAt does not plan is not recorded as a planned start.
   */
  beforeStart?: (() => Promise<number | undefined>) | undefined;
  /**
   * Open model: send the requests due in each window of this many ms together at its end (one
   * wake-up; up to this much later than due, never early). Default DEFAULT_SEND_BATCH_MS.
   */
  sendBatchMs?: number | undefined;
  /** Given the run's latency histograms at the end, for merging with other processes' (./workers.ts). */
  onRecorders?: ((r: RunRecorders) => void) | undefined;
}

/** The latency histograms of a run, whose summaries the result gives. */
export interface RunRecorders {
  service: LatencyRecorder;
  scheduleCorrected: LatencyRecorder;
  sendLateness: LatencyRecorder;
}

/** Connections opened before the run (closed model: all of them; open model: one per 100 req/s). */
const WARM_UP_MAX_CONNECTIONS = 256;
/** Warm-up requests (GET /healthz): half a second's worth at the peak rate, at most this many. */
const WARM_UP_MAX_REQUESTS = 3000;
/** The warm-up never takes longer than this (or the request timeout, if shorter). */
const WARM_UP_MAX_MS = 2000;

/**
 * The open model's default send batch: 0, each request at its own due time (the timer's
 * millisecond still groups what falls due meanwhile). Batches of 2 ms cost less CPU (bench/RESULTS.md)
 * but put a floor of ~2 ms under the p99 send lateness, the goal at 25k/s; so they are asked for.
 */
export const DEFAULT_SEND_BATCH_MS = 0;

/** After scheduling stops, in-flight requests get this much longer than the request timeout. */
const DRAIN_GRACE_MS = 1000;

/** How long runLoad may still take once its signal aborts: the in-flight requests, then closing the client. */
export function stopBoundMs(config: Pick<LoadConfig, 'timeoutMs'>): number {
  return config.timeoutMs + 2 * DRAIN_GRACE_MS;
}

function maxRate(config: LoadConfig): number {
  return config.stages.reduce((m, s) => Math.max(m, s.fromPerSec, s.toPerSec), 0);
}

export async function runLoad(config: LoadConfig, deps: LoadDeps = {}): Promise<LoadResult> {
  const clock = deps.clock ?? realClock;
  const signal = deps.signal;
  const shard = deps.shard;
  const limits = localLimits(config, shard);
  // The shard's share of the target rate (every shard sends every count-th request).
  const perProcess = (rate: number | null) => (rate === null || !shard ? rate : rate / shard.count);
  const client =
    deps.client ??
    (deps.createClient ?? createHttpClient)({
      targetUrl: config.target,
      runId: config.runId,
      connections: config.model === 'closed' ? limits.connections! : limits.maxInflight,
      timeoutMs: config.timeoutMs,
      tenantHeader: deps.tenantHeader,
    });
  const tally = new Tally(config.tenants);
  const dispatcher = new Dispatcher(clock, client, tally, config.tenants);
  const lateness = new LatencyRecorder();
  const mixes = [config.statusMix];
  const stageMix = config.stages.map((s) => (s.statusMix ? mixes.push(s.statusMix) - 1 : 0));
  const schedule = new ArrivalIndex(config.stages);
  // The open model's stages each use their mix from their first request on; the closed model, mix 0.
  const segments =
    config.model === 'open'
      ? schedule.stageFirsts.map((first, s) => ({ first, mix: stageMix[s]! }))
      : [{ first: 0, mix: 0 }];
  const mix = indexedMix(config.tenants, mixes, segments.length > 0 ? segments : [{ first: 0, mix: 0 }]);

  if (deps.warmUp !== false)
    await warmUp({ ...config, ...limits, stages: scaledStages(config, shard) }, client, signal);
  const startAt = deps.beforeStart ? await deps.beforeStart() : config.startAt;
  const { lateMs: startLateMs, arrivedLate } = await waitForStart(startAt, clock, signal);
  // t0 is the planned start on the monotonic clock: a late process's schedule is where it would be.
  const t0 = clock.now() - startLateMs;
  const startedWall = clock.wallNow() - startLateMs;
  dispatcher.timeline.origin = t0;

  let previous = { elapsedMs: 0, sent: 0 };
  const ticker = startTicker(clock, t0, deps, () => {
    const elapsedMs = clock.now() - t0;
    const windowMs = elapsedMs - previous.elapsedMs;
    const currentPerSec = windowMs > 0 ? ((tally.sent - previous.sent) * 1000) / windowMs : 0;
    previous = { elapsedMs, sent: tally.sent };
    return {
      elapsedMs,
      scheduled: tally.scheduled,
      sent: tally.sent,
      completed: tally.completed,
      inflight: dispatcher.inflight,
      dropped: tally.dropped,
      errors: tally.failed,
      achievedPerSec: elapsedMs > 0 ? (tally.sent * 1000) / elapsedMs : 0,
      currentPerSec,
      // The rate due at this instant, not the stage's start: a ramp's target moves second by second.
      targetPerSec: config.model === 'open' ? perProcess(rateAtMs(config.stages, elapsedMs)) : null,
      p99Ms: dispatcher.corrected.percentileMs(99),
    };
  });

  const scheduleEndRel =
    config.model === 'open'
      ? await runOpenModel({
          config,
          maxInflight: limits.maxInflight,
          clock,
          signal,
          t0,
          dispatcher,
          schedule,
          mix,
          lateness,
          shard,
          // Only a process that arrived after the instant skips; one that waited for it and woke a
          // fraction of a millisecond late sends its first requests that much late, as any wake-up.
          skipBeforeMs: arrivedLate ? startLateMs : 0,
          batchMs: deps.sendBatchMs ?? DEFAULT_SEND_BATCH_MS,
        })
      : await runClosedModel({
          config,
          connections: limits.connections!,
          clock,
          signal,
          t0,
          dispatcher,
          mix,
          shard,
        });
  const aborted = () => signal?.aborted === true;
  const interruptedWhileScheduling = aborted();

  // Drain: requests end by themselves within the timeout; bound the wait anyway.
  if (dispatcher.inflight > 0) {
    const drainStop = new AbortController();
    await Promise.race([
      dispatcher.idle(),
      clock.sleepUntil(clock.now() + config.timeoutMs + DRAIN_GRACE_MS, drainStop.signal),
    ]);
    drainStop.abort();
  }
  await client.close(DRAIN_GRACE_MS);
  await ticker.stop();

  const endRel = clock.now() - t0;
  deps.onRecorders?.({
    service: dispatcher.service,
    scheduleCorrected: dispatcher.corrected,
    sendLateness: lateness,
  });
  const rate = constantRate(config);
  const planDurationMs = stagesDurationMs(config.stages);
  const planned =
    config.model === 'open' && Number.isFinite(planDurationMs)
      ? plannedRequests(config.stages) / (planDurationMs / 1000)
      : null;
  return {
    // A start the plan asked for (config.startAt) is recorded as planned + how late this process
    // was; one the workers agreed on (beforeStart) as that instant, which the timeline starts at.
    startedAt: new Date(startedWall + (config.startAt !== undefined ? startLateMs : 0)).toISOString(),
    endedAt: new Date(startedWall + endRel).toISOString(),
    ...(config.startAt !== undefined
      ? { plannedStartAt: new Date(config.startAt).toISOString(), startLateMs: round3(startLateMs) }
      : {}),
    interrupted: interruptedWhileScheduling || aborted(),
    ...tally.result(),
    rate: {
      targetPerSec: roundOrNull(
        perProcess(rate ?? (planned !== null && Number.isFinite(planned) ? planned : null)),
      ),
      achievedPerSec: scheduleEndRel > 0 ? round3((tally.sent * 1000) / scheduleEndRel) : 0,
    },
    latency: {
      service: dispatcher.service.summary(),
      scheduleCorrected: dispatcher.corrected.summary(),
      ...(config.model === 'open' ? { sendLateness: lateness.summary() } : {}),
    },
    timeline: dispatcher.timeline.finish(t0 + endRel),
  };
}

/**
 * Waits on `clock` for the planned start (epoch ms), if any: every shard of a run then begins at the
 * same instant. Returns how late the process is for it (0 when on time or no start was planned),
 * and whether it was late already when it got there (rather than woken late from the wait).
 */
async function waitForStart(
  startAt: number | undefined,
  clock: LoadClock,
  signal: AbortSignal | undefined,
): Promise<{ lateMs: number; arrivedLate: boolean }> {
  if (startAt === undefined) return { lateMs: 0, arrivedLate: false };
  for (let waited = false; ; waited = true) {
    // Stopped while waiting: nothing was due yet as far as this run is concerned.
    if (signal?.aborted) return { lateMs: 0, arrivedLate: false };
    const leftMs = startAt - clock.wallNow();
    if (leftMs <= 0) return { lateMs: Math.max(0, -leftMs), arrivedLate: !waited && leftMs < 0 };
    await clock.sleepUntil(clock.now() + leftMs, signal);
  }
}

/** Opens connections and warms the target's code before the clock starts (see LoadClient.warmUp). */
async function warmUp(config: LoadConfig, client: LoadClient, signal: AbortSignal | undefined) {
  if (!client.warmUp || signal?.aborted) return;
  const peak = config.model === 'closed' ? config.connections! : Math.ceil(maxRate(config) / 100);
  const connections = Math.max(1, Math.min(config.maxInflight, peak, WARM_UP_MAX_CONNECTIONS));
  await client.warmUp(connections, Math.min(WARM_UP_MAX_REQUESTS, Math.ceil(maxRate(config) / 2) || 1000), {
    maxMs: Math.min(config.timeoutMs, WARM_UP_MAX_MS),
    signal,
  });
}

/** Calls deps.onProgress every progressIntervalMs of clock time from t0, until stopped. */
function startTicker(clock: LoadClock, t0: number, deps: LoadDeps, progress: () => LoadProgress) {
  const stop = new AbortController();
  const done = (async () => {
    if (!deps.onProgress) return;
    const every = deps.progressIntervalMs ?? 1000;
    for (let next = t0 + every; ; next += every) {
      while (clock.now() < next && !stop.signal.aborted) await clock.sleepUntil(next, stop.signal);
      if (stop.signal.aborted) return;
      deps.onProgress(progress());
    }
  })();
  return {
    async stop() {
      stop.abort();
      await done;
    },
  };
}

/** The stages at this process's share of the rate, for sizing the warm-up. */
function scaledStages(config: LoadConfig, shard: Shard | undefined): LoadConfig['stages'] {
  if (!shard) return config.stages;
  return config.stages.map((s) => ({
    ...s,
    fromPerSec: s.fromPerSec / shard.count,
    toPerSec: s.toPerSec / shard.count,
  }));
}

function roundOrNull(n: number | null): number | null {
  return n === null ? null : round3(n);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
