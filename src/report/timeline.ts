/**
 * The manifests' timelines as the report's charts take them: one column per series, rates per
 * second. Shards of one run are summed bucket by bucket, each aligned on its own start (their
 * starts differ by the time their processes took to begin); their percentiles are the largest of
 * the shards' (an upper bound, like a coarsened bucket's: see src/load/timeline.ts).
 *
 * A rate is a count over the time the bucket covers of the schedule, not over its nominal width: the
 * last bucket is partial (an 8.5 s run's ninth second holds half a second of schedule), and the
 * buckets after the schedule ended hold only the drain of the requests still in flight (an 8 s
 * run's ninth bucket, a few ms long). Divided by a full second, either plunges toward 0 and reads
 * like a collapse at the end. A partial bucket's drain completions stay in it: they stand in for
 * the requests that were in flight when the bucket began, as in any other second. A bucket with no
 * schedule at all has no rate (null: not drawn); its counts are summed in `drain` for the note, and
 * the manifest's totals stay exact.
 */
import type { TimelinePercentiles } from '../load/result.js';
import { stagesDurationMs } from '../load/schedule.js';
import type { RunManifest } from '../manifest/schema.js';

type Column = (number | null)[];

export interface TimelineColumns {
  bucketMs: number;
  /** Seconds since the start, one per bucket. */
  t: number[];
  /** Per second of schedule the bucket covers; null in the drain after the schedule ended. */
  scheduled: Column;
  sent: Column;
  answered: Column;
  dropped: Column;
  errors: {
    refused: Column;
    reset: Column;
    timeout: Column;
    statusMismatch: Column;
    other: Column;
  };
  /** ms; null where no response came in that bucket. */
  service: { p50: Column; p90: Column; p99: Column; max: Column };
  corrected: { p50: Column; p90: Column; p99: Column; max: Column };
  /** The buckets left without a rate (after the schedule ended), or null when there are none. */
  drain: Drain | null;
}

export interface Drain {
  /** Seconds since the start at which the schedule ended (the latest of the shards'). */
  fromS: number;
  /** How long the run went on after it (the longest of the shards'). */
  seconds: number;
  /** What the rate-less buckets hold (summed over the shards). */
  answered: number;
  failed: number;
}

const ERROR_KINDS = ['refused', 'reset', 'timeout', 'statusMismatch', 'other'] as const;

/** null when no manifest has a timeline (schema versions 1 and 2). */
export function combinedTimeline(manifests: readonly RunManifest[]): TimelineColumns | null {
  const runs = manifests.flatMap((m) => (m.timeline ? [{ m, tl: m.timeline }] : []));
  if (runs.length === 0) return null;
  const bucketMs = Math.max(...runs.map((r) => r.tl.bucketMs));
  const length = Math.max(
    ...runs.map(({ tl }) =>
      tl.entries.length ? Math.floor((tl.entries.at(-1)!.t * 1000) / bucketMs) + 1 : 0,
    ),
  );
  const nulls = (): Column => Array.from({ length }, () => null);
  const out: TimelineColumns = {
    bucketMs,
    t: Array.from({ length }, (_, i) => (i * bucketMs) / 1000),
    scheduled: nulls(),
    sent: nulls(),
    answered: nulls(),
    dropped: nulls(),
    errors: { refused: nulls(), reset: nulls(), timeout: nulls(), statusMismatch: nulls(), other: nulls() },
    service: { p50: nulls(), p90: nulls(), p99: nulls(), max: nulls() },
    corrected: { p50: nulls(), p90: nulls(), p99: nulls(), max: nulls() },
    drain: null,
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
  const drain: Drain = { fromS: 0, seconds: 0, answered: 0, failed: 0 };
  let drained = false;
  for (const { m, tl } of runs) {
    const endMs = scheduleEndMs(m);
    drain.fromS = Math.max(drain.fromS, endMs / 1000);
    drain.seconds = Math.max(drain.seconds, (runSpanMs(m) - endMs) / 1000);
    // Seconds of schedule each bucket covers: the full width up to the bucket holding the end.
    const coverS = (i: number) => Math.min(bucketMs, Math.max(0, endMs - i * bucketMs)) / 1000;
    const add = (col: Column, i: number, n: number) => {
      const s = coverS(i);
      if (s > 0) col[i] = (col[i] ?? 0) + n / s;
    };
    for (const e of tl.entries) {
      const i = Math.floor((e.t * 1000) / bucketMs);
      add(out.scheduled, i, e.scheduled);
      add(out.sent, i, e.sent);
      add(out.answered, i, e.answered);
      add(out.dropped, i, e.dropped);
      for (const k of ERROR_KINDS) add(out.errors[k], i, e.errors[k]);
      maxInto(out.service, i, e.service);
      maxInto(out.corrected, i, e.scheduleCorrected);
      if (coverS(i) === 0) {
        drained = true;
        drain.answered += e.answered;
        for (const k of ERROR_KINDS) drain.failed += e.errors[k];
      }
    }
  }
  for (const col of [
    out.scheduled,
    out.sent,
    out.answered,
    out.dropped,
    ...ERROR_KINDS.map((k) => out.errors[k]),
  ]) {
    for (let i = 0; i < col.length; i++) if (col[i] !== null) col[i] = round3(col[i]!);
  }
  if (drained) out.drain = { ...drain, fromS: round3(drain.fromS), seconds: round3(drain.seconds) };
  return out;
}

function runSpanMs(m: RunManifest): number {
  return Math.max(0, Date.parse(m.endedAt) - Date.parse(m.startedAt));
}

/**
 * When this manifest's schedule ended, ms after its start: the plan's end for a run that ran its
 * planned duration, else (interrupted, or bounded by a request count) the end of the last bucket
 * that had anything scheduled; never after the run's end.
 */
function scheduleEndMs(m: RunManifest): number {
  const span = runSpanMs(m);
  const c = m.config;
  if (!m.interrupted && c.requests === null) {
    const planned = Math.min(
      c.durationMs ?? Number.POSITIVE_INFINITY,
      c.model === 'open' ? stagesDurationMs(c.stages) : Number.POSITIVE_INFINITY,
    );
    if (Number.isFinite(planned)) return Math.min(span, planned);
  }
  const entries = m.timeline?.entries ?? [];
  const bucketMs = m.timeline?.bucketMs ?? 1000;
  let last = entries.length - 1;
  while (last >= 0 && entries[last]!.scheduled === 0) last--;
  return Math.min(span, (last + 1) * bucketMs);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
