/**
 * The load runner: pure core, no terminal. API (what `otelpoc load` and `otelpoc run` use):
 *
 *   runLoad(plan: LoadPlan, deps?: { signal?, onProgress?, clock?, client?, progressIntervalMs? })
 *     → Promise<RunManifest>
 *
 * - `plan` comes from `loadPlanFromFlags` (src/cli/load-options.ts) or is built by hand (LoadPlan in
 *   ./plan.ts). Only loopback targets are accepted there.
 * - Open model: request i is due at start + its arrival time (./schedule.ts, from the start, no
 *   drift); if `maxInflight` requests are in flight when one is due, it is dropped and counted, never
 *   delayed. Closed model (`--rps max`): `connections` loops each send the next request when the
 *   last one is done.
 * - The tenant × status of each request comes from a smooth weighted round robin (./mix.ts): exact.
 * - `signal` aborting stops scheduling, waits (bounded by the request timeout) for in-flight
 *   requests, and resolves with the partial manifest marked `interrupted: true`. It never rejects
 *   for HTTP errors: those are counted by category.
 * - `onProgress` gets a LoadProgress every `progressIntervalMs` (default 1000) of `clock` time.
 * - The manifest is returned, not written: see writeRunManifest in ./manifest-out.ts.
 */
import { MANIFEST_SCHEMA_VERSION, type RunManifest } from '../manifest/schema.js';
import { type Clock, realClock } from '../util/clock.js';
import { VERSION } from '../version.js';
import { createHttpClient, type LoadClient } from './client.js';

/** The part of the clock the scheduler uses. */
export type LoadClock = Pick<Clock, 'now' | 'wallNow' | 'sleepUntil' | 'yield'>;

import { LatencyRecorder } from './latency.js';
import { TrafficMix } from './mix.js';
import { constantRate, type LoadPlan, plannedRequests } from './plan.js';
import { arrivals, stagesDurationMs } from './schedule.js';
import { Tally } from './tally.js';

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
  /** The rate the schedule asks for right now (open model), or null. */
  targetPerSec: number | null;
  /** Schedule-corrected p99 so far, ms. */
  p99Ms: number;
}

export interface LoadDeps {
  signal?: AbortSignal | undefined;
  onProgress?: ((p: LoadProgress) => void) | undefined;
  clock?: LoadClock | undefined;
  /** HTTP client; default: an undici keep-alive pool to plan.targetUrl. */
  client?: LoadClient | undefined;
  progressIntervalMs?: number | undefined;
}

/** Connections opened before the run (closed model: all of them; open model: one per 100 req/s). */
const WARM_UP_MAX_CONNECTIONS = 256;
/** Warm-up requests (GET /healthz): half a second's worth at the peak rate, at most this many. */
const WARM_UP_MAX_REQUESTS = 3000;
/** The warm-up never takes longer than this (or the request timeout, if shorter). */
const WARM_UP_MAX_MS = 2000;

function maxRate(plan: LoadPlan): number {
  return plan.stages.reduce((m, s) => Math.max(m, s.fromPerSec, s.toPerSec), 0);
}

/**
 * Behind schedule, the sender yields to I/O after this many back-to-back sends, so responses free
 * their connections for reuse instead of every send of a burst opening a new one.
 */
const BURST_BEFORE_YIELD = 32;

/** After scheduling stops, in-flight requests get this much longer than the request timeout. */
const DRAIN_GRACE_MS = 1000;

/** How long runLoad may still take once its signal aborts: the in-flight requests, then closing the client. */
export function stopBoundMs(plan: Pick<LoadPlan, 'timeoutMs'>): number {
  return plan.timeoutMs + 2 * DRAIN_GRACE_MS;
}

export async function runLoad(plan: LoadPlan, deps: LoadDeps = {}): Promise<RunManifest> {
  const clock = deps.clock ?? realClock;
  const signal = deps.signal;
  const client =
    deps.client ??
    createHttpClient({
      targetUrl: plan.targetUrl,
      runId: plan.runId,
      connections: plan.model === 'closed' ? plan.connections! : plan.maxInflight,
      timeoutMs: plan.timeoutMs,
    });
  const tally = new Tally(plan.tenants);
  const service = new LatencyRecorder();
  const corrected = new LatencyRecorder();
  const lateness = new LatencyRecorder();
  const mixes = [plan.statusMix];
  const stageMix = plan.stages.map((s) => (s.statusMix ? mixes.push(s.statusMix) - 1 : 0));
  const mix = new TrafficMix(plan.tenants, mixes);

  let inflight = 0;
  let onIdle: (() => void) | undefined;
  if (client.warmUp && !signal?.aborted) {
    const peak = plan.model === 'closed' ? plan.connections! : Math.ceil(maxRate(plan) / 100);
    const connections = Math.max(1, Math.min(plan.maxInflight, peak, WARM_UP_MAX_CONNECTIONS));
    await client.warmUp(connections, Math.min(WARM_UP_MAX_REQUESTS, Math.ceil(maxRate(plan) / 2) || 1000), {
      maxMs: Math.min(plan.timeoutMs, WARM_UP_MAX_MS),
      signal,
    });
  }
  const startedWall = clock.wallNow();
  const t0 = clock.now();
  const aborted = () => signal?.aborted === true;

  const dispatch = (tenant: number, status: number, intendedAt: number) => {
    const sentAt = clock.now();
    tally.send(tenant, status);
    inflight++;
    client.send({ clientId: plan.tenants[tenant]!.clientId, status }, (outcome) => {
      const end = clock.now();
      inflight--;
      const serviceMs = end - sentAt;
      tally.complete(tenant, status, outcome, serviceMs);
      if (outcome.error === undefined) {
        service.recordMs(serviceMs);
        corrected.recordMs(end - intendedAt);
      }
      if (inflight === 0) onIdle?.();
    });
    return sentAt;
  };

  // Progress ticks on the clock, until the run is over.
  const tickerStop = new AbortController();
  let currentTarget: number | null = plan.model === 'open' ? (plan.stages[0]?.fromPerSec ?? null) : null;
  const progress = (): LoadProgress => {
    const elapsedMs = clock.now() - t0;
    return {
      elapsedMs,
      scheduled: tally.scheduled,
      sent: tally.sent,
      completed: tally.completed,
      inflight,
      dropped: tally.dropped,
      errors: tally.failed,
      achievedPerSec: elapsedMs > 0 ? (tally.sent * 1000) / elapsedMs : 0,
      targetPerSec: currentTarget,
      p99Ms: (plan.model === 'closed' ? service : corrected).percentileMs(99),
    };
  };
  const ticker = (async () => {
    if (!deps.onProgress) return;
    const every = deps.progressIntervalMs ?? 1000;
    for (let next = t0 + every; ; next += every) {
      while (clock.now() < next && !tickerStop.signal.aborted)
        await clock.sleepUntil(next, tickerStop.signal);
      if (tickerStop.signal.aborted) return;
      deps.onProgress(progress());
    }
  })();

  let scheduleEndRel: number;
  if (plan.model === 'open') {
    scheduleEndRel = await runOpen();
  } else {
    scheduleEndRel = await runClosed();
  }
  const interruptedWhileScheduling = aborted();

  // Drain: requests end by themselves within the timeout; bound the wait anyway.
  if (inflight > 0) {
    const idle = new Promise<void>((r) => {
      onIdle = r;
    });
    const drainStop = new AbortController();
    await Promise.race([
      idle,
      clock.sleepUntil(clock.now() + plan.timeoutMs + DRAIN_GRACE_MS, drainStop.signal),
    ]);
    drainStop.abort();
  }
  await client.close(DRAIN_GRACE_MS);
  tickerStop.abort();
  await ticker;

  const endRel = clock.now() - t0;
  const rate = constantRate(plan);
  const planned =
    plan.model === 'open' && Number.isFinite(stagesDurationMs(plan.stages))
      ? plannedRequests(plan.stages) / (stagesDurationMs(plan.stages) / 1000)
      : null;
  const { tenants, totals, errors } = tally.result();
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    tool: { name: 'otelpoc', version: VERSION },
    runId: plan.runId,
    target: plan.targetUrl,
    startedAt: new Date(startedWall).toISOString(),
    endedAt: new Date(startedWall + endRel).toISOString(),
    interrupted: interruptedWhileScheduling || aborted(),
    config: {
      model: plan.model,
      ratePerSec: rate,
      durationMs: plan.durationMs,
      requests: plan.requests,
      connections: plan.connections,
      maxInflight: plan.maxInflight,
      timeoutMs: plan.timeoutMs,
      scenario: plan.scenario,
      seed: plan.seed,
      tenants: plan.tenants.map((t) => ({ clientId: t.clientId, weight: t.weight })),
      statusMix: plan.statusMix.map((s) => ({ status: s.status, weight: s.weight })),
      extra: {
        ...(plan.stages.length > 0
          ? {
              stages: plan.stages.map((s) => ({
                durationMs: Number.isFinite(s.durationMs) ? s.durationMs : null,
                fromPerSec: s.fromPerSec,
                toPerSec: s.toPerSec,
                ...(s.statusMix ? { statusMix: s.statusMix } : {}),
              })),
            }
          : {}),
        thresholds: plan.thresholds,
        ...plan.extra,
      },
    },
    tenants,
    totals,
    errors,
    rate: {
      targetPerSec: rate ?? (planned !== null && Number.isFinite(planned) ? round3(planned) : null),
      achievedPerSec: scheduleEndRel > 0 ? round3((tally.sent * 1000) / scheduleEndRel) : 0,
    },
    latency: {
      service: service.summary(),
      scheduleCorrected: plan.model === 'closed' ? service.summary() : corrected.summary(),
      ...(plan.model === 'open' ? { sendLateness: lateness.summary() } : {}),
    },
  };

  /** Open model: returns when scheduling stopped, in ms since the start. */
  async function runOpen(): Promise<number> {
    let endRel = stagesDurationMs(plan.stages);
    let sinceYield = 0;
    for (const a of arrivals(plan.stages)) {
      if (plan.requests !== null && a.index >= plan.requests) {
        endRel = a.atMs; // the window of N requests ends when request N+1 would be due
        break;
      }
      if (plan.durationMs !== null && a.atMs >= plan.durationMs) {
        endRel = plan.durationMs;
        break;
      }
      const due = t0 + a.atMs;
      if (clock.now() < due) {
        sinceYield = 0;
        do await clock.sleepUntil(due, signal);
        while (clock.now() < due && !aborted());
      } else if (++sinceYield >= BURST_BEFORE_YIELD) {
        // Behind schedule: send what is due, but let responses in now and then.
        sinceYield = 0;
        await clock.yield();
      }
      if (aborted()) return clock.now() - t0;
      const stage = plan.stages[a.stage]!;
      currentTarget = stage.fromPerSec === stage.toPerSec ? stage.fromPerSec : null;
      const { tenant, status } = mix.next(stageMix[a.stage]);
      if (inflight >= plan.maxInflight) {
        tally.drop(tenant, status);
      } else {
        const sentAt = dispatch(tenant, status, due);
        lateness.recordMs(sentAt - due);
      }
    }
    if (!Number.isFinite(endRel)) endRel = clock.now() - t0;
    // Hold the window open until its planned end, so the achieved rate is measured over it.
    while (!aborted() && clock.now() < t0 + endRel) await clock.sleepUntil(t0 + endRel, signal);
    // A sender that fell behind finishes after the planned end: the achieved rate is over the real time.
    return clock.now() - t0;
  }

  /** Closed model: `connections` loops, each sending when its last request is done. */
  async function runClosed(): Promise<number> {
    const endAt = plan.durationMs !== null ? t0 + plan.durationMs : Number.POSITIVE_INFINITY;
    let started = 0;
    const loop = () =>
      new Promise<void>((resolve) => {
        const go = () => {
          const now = clock.now();
          if (aborted() || now >= endAt || (plan.requests !== null && started >= plan.requests)) {
            resolve();
            return;
          }
          started++;
          const { tenant, status } = mix.next(0);
          const sentAt = now;
          tally.send(tenant, status);
          inflight++;
          client.send({ clientId: plan.tenants[tenant]!.clientId, status }, (outcome) => {
            const end = clock.now();
            inflight--;
            tally.complete(tenant, status, outcome, end - sentAt);
            // Closed model: no schedule, so schedule-corrected = service time (copied at the end).
            if (outcome.error === undefined) service.recordMs(end - sentAt);
            if (inflight === 0) onIdle?.();
            go();
          });
        };
        go();
      });
    const loops = Array.from({ length: plan.connections ?? 1 }, loop);
    if (signal) {
      // On abort, stop waiting for loops stuck on slow responses; the drain below bounds them.
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
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
