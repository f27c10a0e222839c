/**
 * The manifests' timelines as the report's charts take them: one column per series, rates per
 * second. Shards of one run are summed bucket by bucket, each aligned on its own start (their
 * starts differ by the time their processes took to begin); their percentiles are the largest of
 * the shards' (an upper bound, like a coarsened bucket's: see src/load/timeline.ts).
 */
import type { TimelinePercentiles } from '../load/result.js';
import type { RunManifest } from '../manifest/schema.js';

type Column = (number | null)[];

export interface TimelineColumns {
  bucketMs: number;
  /** Seconds since the start, one per bucket. */
  t: number[];
  /** Per second. */
  scheduled: number[];
  sent: number[];
  answered: number[];
  dropped: number[];
  errors: {
    refused: number[];
    reset: number[];
    timeout: number[];
    statusMismatch: number[];
    other: number[];
  };
  /** ms; null where no response came in that bucket. */
  service: { p50: Column; p90: Column; p99: Column; max: Column };
  corrected: { p50: Column; p90: Column; p99: Column; max: Column };
}

const ERROR_KINDS = ['refused', 'reset', 'timeout', 'statusMismatch', 'other'] as const;

/** null when no manifest has a timeline (schema versions 1 and 2). */
export function combinedTimeline(manifests: readonly RunManifest[]): TimelineColumns | null {
  const timelines = manifests.flatMap((m) => (m.timeline ? [m.timeline] : []));
  if (timelines.length === 0) return null;
  const bucketMs = Math.max(...timelines.map((t) => t.bucketMs));
  const length = Math.max(
    ...timelines.map((t) => (t.entries.length ? Math.floor((t.entries.at(-1)!.t * 1000) / bucketMs) + 1 : 0)),
  );
  const zeros = () => Array.from({ length }, () => 0);
  const nulls = (): Column => Array.from({ length }, () => null);
  const perSecond = 1000 / bucketMs;
  const out: TimelineColumns = {
    bucketMs,
    t: Array.from({ length }, (_, i) => (i * bucketMs) / 1000),
    scheduled: zeros(),
    sent: zeros(),
    answered: zeros(),
    dropped: zeros(),
    errors: { refused: zeros(), reset: zeros(), timeout: zeros(), statusMismatch: zeros(), other: zeros() },
    service: { p50: nulls(), p90: nulls(), p99: nulls(), max: nulls() },
    corrected: { p50: nulls(), p90: nulls(), p99: nulls(), max: nulls() },
  };
  const maxInto = (cols: TimelineColumns['service'], i: number, p: TimelinePercentiles | null) => {
    if (!p) return;
    const up = (col: Column, v: number) => {
      col[i] = Math.max(col[i] ?? 0, v);
    };
    up(cols.p50, p.p50Ms);
    up(cols.p90, p.p90Ms);
    up(cols.p99, p.p99Ms);
    up(cols.max, p.maxMs);
  };
  for (const tl of timelines) {
    for (const e of tl.entries) {
      const i = Math.floor((e.t * 1000) / bucketMs);
      out.scheduled[i]! += e.scheduled;
      out.sent[i]! += e.sent;
      out.answered[i]! += e.answered;
      out.dropped[i]! += e.dropped;
      for (const k of ERROR_KINDS) out.errors[k][i]! += e.errors[k];
      maxInto(out.service, i, e.service);
      maxInto(out.corrected, i, e.scheduleCorrected);
    }
  }
  const rate = (col: number[]) => {
    for (let i = 0; i < col.length; i++) col[i] = round3(col[i]! * perSecond);
  };
  for (const col of [
    out.scheduled,
    out.sent,
    out.answered,
    out.dropped,
    ...ERROR_KINDS.map((k) => out.errors[k]),
  ]) {
    rate(col);
  }
  return out;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
