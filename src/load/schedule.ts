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
