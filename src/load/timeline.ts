/**
 * The run's per-second timeline (LoadResult.timeline, the HTML report's charts): what the schedule
 * asked for, what was sent, answered, dropped and failed, and the latency percentiles, second by
 * second. Events are put in the bucket of the clock time they happened at (scheduled and dropped
 * requests at their due time), not sampled by a timer: a timer that fires late under load would move
 * counts into the wrong second, and the sums must equal the run's totals exactly
 * (manifest/consistency.ts checks that).
 *
 * Bounded: one entry per second from the start to the end of the run (a run of d seconds has at most
 * d + 1), and never more than MAX_TIMELINE_ENTRIES: a longer run doubles the bucket width (2 s, 4 s,
 * …) and merges neighbours. Counts stay exact; a merged bucket's percentiles are the larger of its
 * halves' (an upper bound: percentiles cannot be merged exactly without the histograms).
 */
import type { ErrorCategory } from './client.js';
import { LatencyRecorder } from './latency.js';
import type { Timeline as TimelineData, TimelineEntry, TimelinePercentiles } from './result.js';

/** One hour at one-second resolution; at most about 1 MB of manifest. */
export const MAX_TIMELINE_ENTRIES = 3600;

type ErrorKind = ErrorCategory | 'statusMismatch';

export class TimelineRecorder {
  private bucketMs = 1000;
  private readonly entries: TimelineEntry[] = [];
  /** Clock time of the start of the run (set when the schedule starts). */
  origin = 0;
  /** The bucket whose latencies the recorders below hold (-1: none). */
  private open = -1;
  private readonly service = new LatencyRecorder();
  private readonly corrected = new LatencyRecorder();

  constructor(private readonly maxEntries = MAX_TIMELINE_ENTRIES) {
    if (maxEntries < 2) throw new RangeError('a timeline needs at least 2 entries');
  }

  /** A request was due at `due` (clock ms): the schedule's (target) count. */
  scheduled(due: number): void {
    this.entryAt(due).scheduled++;
  }

  /** A request due at `due` was dropped (the in-flight cap). */
  dropped(due: number): void {
    this.entryAt(due).dropped++;
  }

  sent(at: number): void {
    this.entryAt(at).sent++;
  }

  /** A request ended at `at`: answered (the status asked for), or failed by `error`. */
  completed(at: number, error: ErrorKind | null, latency?: { serviceMs: number; correctedMs: number }): void {
    const index = this.indexOf(at);
    const entry = this.entryAt(at);
    if (error === null) entry.answered++;
    else entry.errors[error]++;
    if (!latency) return;
    if (index !== this.open) {
      this.closeOpen();
      this.open = index;
    }
    this.service.recordMs(latency.serviceMs);
    this.corrected.recordMs(latency.correctedMs);
  }

  /** The timeline up to `end` (clock ms): every bucket from the start to the end, empty ones too. */
  finish(end: number): TimelineData {
    this.entryAt(end);
    this.closeOpen();
    return { bucketMs: this.bucketMs, entries: this.entries.map((e) => ({ ...e, errors: { ...e.errors } })) };
  }

  private indexOf(at: number): number {
    for (;;) {
      const index = Math.floor(Math.max(0, at - this.origin) / this.bucketMs);
      if (index < this.maxEntries) return index;
      this.coarsen();
    }
  }

  private entryAt(at: number): TimelineEntry {
    const index = this.indexOf(at);
    while (this.entries.length <= index)
      this.entries.push(emptyEntry((this.entries.length * this.bucketMs) / 1000));
    return this.entries[index]!;
  }

  /** Twice as wide buckets: neighbours merged, counts summed, percentiles the larger of the two. */
  private coarsen(): void {
    this.closeOpen();
    this.bucketMs *= 2;
    const merged: TimelineEntry[] = [];
    for (let i = 0; i < this.entries.length; i += 2) {
      const a = this.entries[i]!;
      const b = this.entries[i + 1];
      merged.push(b ? mergeEntries(a, b) : a);
    }
    this.entries.splice(0, this.entries.length, ...merged);
  }

  private closeOpen(): void {
    if (this.open < 0) return;
    // coarsen() closes first, so the index is still the bucket's.
    const entry = this.entries[this.open]!;
    if (this.service.count > 0) {
      entry.service = maxOf(entry.service, percentilesOf(this.service));
      entry.scheduleCorrected = maxOf(entry.scheduleCorrected, percentilesOf(this.corrected));
    }
    this.service.reset();
    this.corrected.reset();
    this.open = -1;
  }
}

function emptyEntry(t: number): TimelineEntry {
  return {
    t,
    scheduled: 0,
    dropped: 0,
    sent: 0,
    answered: 0,
    errors: { refused: 0, reset: 0, timeout: 0, statusMismatch: 0, other: 0 },
    service: null,
    scheduleCorrected: null,
  };
}

function percentilesOf(r: LatencyRecorder): TimelinePercentiles {
  const s = r.summary();
  return { p50Ms: s.p50Ms, p90Ms: s.p90Ms, p99Ms: s.p99Ms, maxMs: s.maxMs };
}

function maxOf(a: TimelinePercentiles | null, b: TimelinePercentiles | null): TimelinePercentiles | null {
  if (!a || !b) return a ?? b;
  return {
    p50Ms: Math.max(a.p50Ms, b.p50Ms),
    p90Ms: Math.max(a.p90Ms, b.p90Ms),
    p99Ms: Math.max(a.p99Ms, b.p99Ms),
    maxMs: Math.max(a.maxMs, b.maxMs),
  };
}

/**
 * The timelines of processes that ran one schedule from the same planned start (src/load/workers.ts)
 * as one: counts summed bucket by bucket, percentiles the larger (an upper bound, as in coarsen).
 * A finer timeline is first merged into the coarser one's buckets.
 */
export function mergeTimelines(timelines: readonly TimelineData[]): TimelineData | undefined {
  if (timelines.length === 0) return undefined;
  const bucketMs = Math.max(...timelines.map((t) => t.bucketMs));
  const out: TimelineEntry[] = [];
  for (const t of timelines) {
    t.entries.forEach((e, i) => {
      const index = Math.floor((i * t.bucketMs) / bucketMs);
      while (out.length <= index) out.push(emptyEntry((out.length * bucketMs) / 1000));
      out[index] = mergeEntries(out[index]!, e);
    });
  }
  return { bucketMs, entries: out };
}

function mergeEntries(a: TimelineEntry, b: TimelineEntry): TimelineEntry {
  const errors = { ...a.errors };
  for (const k of Object.keys(errors) as ErrorKind[]) errors[k] += b.errors[k];
  return {
    t: a.t,
    scheduled: a.scheduled + b.scheduled,
    dropped: a.dropped + b.dropped,
    sent: a.sent + b.sent,
    answered: a.answered + b.answered,
    errors,
    service: maxOf(a.service, b.service),
    scheduleCorrected: maxOf(a.scheduleCorrected, b.scheduleCorrected),
  };
}
