import { z } from 'zod';
import { StatusWeightSchema } from './values.js';

/**
 * One stage of an open-model run: the arrival rate goes linearly from `fromPerSec` to `toPerSec`
 * over `durationMs` (equal rates: constant). A spike is a short stage at a high rate.
 */
export const StageSchema = z.object({
  /** null only for a constant-rate run bounded by `requests` alone. */
  durationMs: z.number().positive().nullable(),
  fromPerSec: z.number().nonnegative(),
  toPerSec: z.number().nonnegative(),
  /** Overrides the config's status mix during this stage. */
  statusMix: z.array(StatusWeightSchema).optional(),
});

export type Stage = z.infer<typeof StageSchema>;

export interface Arrival {
  /** 0-based index of the request in the run. */
  index: number;
  /** Intended send time, ms after the start of the run. */
  atMs: number;
  stage: number;
}

/**
 * Open-model arrival times, computed from the start (never "now + period", so no drift): request i
 * is due when the integral of the rate since the start reaches i. For a constant rate r that is
 * i × 1000 / r; for a linear ramp it is the root of a quadratic. Pure and exact; the scheduler only
 * waits for these times.
 */
export function* arrivals(stages: readonly Stage[]): Generator<Arrival, void, void> {
  let index = 0;
  let stageStartMs = 0;
  let stageStartCount = 0; // requests due before this stage (fractional)
  for (let s = 0; s < stages.length; s++) {
    const { fromPerSec: a, toPerSec: b } = stages[s]!;
    const durationMs = stages[s]!.durationMs ?? Number.POSITIVE_INFINITY;
    const durS = durationMs / 1000;
    const stageCount = Number.isFinite(durS) ? ((a + b) / 2) * durS : Number.POSITIVE_INFINITY;
    const k = Number.isFinite(durS) && durS > 0 ? (b - a) / (2 * durS) : 0;
    for (; index < stageStartCount + stageCount - 1e-9; index++) {
      const n = index - stageStartCount; // requests into this stage
      // a·τ + k·τ² = n  →  τ = 2n / (a + √(a² + 4kn))  (stable for k = 0, a = 0 and k < 0)
      const root = Math.sqrt(Math.max(0, a * a + 4 * k * n));
      const tauS = n === 0 ? 0 : (2 * n) / (a + root);
      yield { index, atMs: stageStartMs + tauS * 1000, stage: s };
    }
    stageStartMs += durationMs;
    stageStartCount += stageCount;
  }
}

/** Total planned time of the stages (Infinity for an unbounded constant stage, durationMs null). */
export function stagesDurationMs(stages: readonly Stage[]): number {
  return stages.reduce((t, s) => t + (s.durationMs ?? Number.POSITIVE_INFINITY), 0);
}

/**
 * The rate the stages ask for at `atMs` after the start: linear within a ramp, the stage's rate when
 * constant; null once the stages are over (or before the start).
 */
export function rateAtMs(stages: readonly Stage[], atMs: number): number | null {
  if (atMs < 0) return null;
  let startMs = 0;
  for (const s of stages) {
    const durationMs = s.durationMs ?? Number.POSITIVE_INFINITY;
    if (atMs < startMs + durationMs) {
      if (s.fromPerSec === s.toPerSec || !Number.isFinite(durationMs)) return s.fromPerSec;
      return s.fromPerSec + ((s.toPerSec - s.fromPerSec) * (atMs - startMs)) / durationMs;
    }
    startMs += durationMs;
  }
  return null;
}

/**
 * The arrivals by index: the due time and stage of global request k from k alone, the same numbers
 * `arrivals` yields (the same float operations in the same order), so that a shard computes only
 * its own requests k ≡ i (mod n) instead of walking the whole global schedule (issue 21).
 */
export class ArrivalIndex {
  /** Per stage: first global index, start (ms), requests due before it (fractional), a, k. */
  private readonly first: number[] = [];
  private readonly startMs: number[] = [];
  private readonly startCount: number[] = [];
  private readonly a: number[] = [];
  private readonly k: number[] = [];
  /** The first index past the schedule (Infinity for an unbounded last stage). */
  readonly end: number;
  private cursor = 0;

  constructor(stages: readonly Stage[]) {
    let index = 0;
    let stageStartMs = 0;
    let stageStartCount = 0;
    for (const stage of stages) {
      const { fromPerSec: a, toPerSec: b } = stage;
      const durationMs = stage.durationMs ?? Number.POSITIVE_INFINITY;
      const durS = durationMs / 1000;
      const stageCount = Number.isFinite(durS) ? ((a + b) / 2) * durS : Number.POSITIVE_INFINITY;
      this.first.push(index);
      this.startMs.push(stageStartMs);
      this.startCount.push(stageStartCount);
      this.a.push(a);
      this.k.push(Number.isFinite(durS) && durS > 0 ? (b - a) / (2 * durS) : 0);
      // `arrivals` yields indices while index < startCount + stageCount − 1e-9: it stops at the ceiling.
      const limit = stageStartCount + stageCount - 1e-9;
      if (index < limit) index = Number.isFinite(limit) ? Math.ceil(limit) : Number.POSITIVE_INFINITY;
      stageStartMs += durationMs;
      stageStartCount += stageCount;
    }
    this.end = index;
  }

  /** Global index of the first request of each stage. */
  get stageFirsts(): readonly number[] {
    return this.first;
  }

  /** The stage of global request `index` (< end); fastest for indices that only grow. */
  stageOf(index: number): number {
    let s = this.cursor;
    if (index < this.first[s]!) s = 0;
    while (s + 1 < this.first.length && index >= this.first[s + 1]!) s++;
    this.cursor = s;
    return s;
  }

  /** Due time of global request `index`, ms after the start; null past the schedule. */
  atMs(index: number, stage = this.stageOf(index)): number | null {
    if (index >= this.end) return null;
    const a = this.a[stage]!;
    const n = index - this.startCount[stage]!;
    const root = Math.sqrt(Math.max(0, a * a + 4 * this.k[stage]! * n));
    const tauS = n === 0 ? 0 : (2 * n) / (a + root);
    return this.startMs[stage]! + tauS * 1000;
  }
}
