/**
 * The results of processes that each sent a part of one run (the workers of ./workers.ts) as the
 * result of one process that sent everything: counts summed cell by cell, latency percentiles of
 * the union of their histograms (exact to the histogram's precision, not an average of percentiles),
 * rates summed, the timeline bucket by bucket, the span from the first start to the last end.
 */
import { LatencyRecorder } from './latency.js';
import {
  emptyStatusCounts,
  type LoadResult,
  OUTCOME_FIELDS,
  type StatusCounts,
  type TenantCounts,
  totalsOf,
} from './result.js';
import { mergeTimelines } from './timeline.js';

/** One part: its result and its latency histograms, encoded (LatencyRecorder.encode). */
export interface ResultPart {
  result: LoadResult;
  histograms: { service: string; scheduleCorrected: string; sendLateness: string };
}

export function mergeResults(parts: readonly ResultPart[], model: 'open' | 'closed'): LoadResult {
  const first = parts[0];
  if (!first) throw new Error('mergeResults: no part');
  const tenants = mergeTenants(parts.map((p) => p.result.tenants));
  const errors = { ...first.result.errors };
  for (const p of parts.slice(1)) {
    for (const k of Object.keys(errors) as (keyof typeof errors)[]) errors[k] += p.result.errors[k];
  }
  const recorder = (pick: (h: ResultPart['histograms']) => string) => {
    const r = new LatencyRecorder();
    for (const p of parts) r.addEncoded(pick(p.histograms));
    return r.summary();
  };
  const starts = parts.map((p) => Date.parse(p.result.startedAt));
  const ends = parts.map((p) => Date.parse(p.result.endedAt));
  const targets = parts.map((p) => p.result.rate.targetPerSec);
  const timeline = mergeTimelines(parts.flatMap((p) => (p.result.timeline ? [p.result.timeline] : [])));
  const planned = first.result.plannedStartAt;
  return {
    startedAt: new Date(Math.min(...starts)).toISOString(),
    endedAt: new Date(Math.max(...ends)).toISOString(),
    ...(planned !== undefined
      ? {
          plannedStartAt: planned,
          startLateMs: Math.max(...parts.map((p) => p.result.startLateMs ?? 0)),
        }
      : {}),
    interrupted: parts.some((p) => p.result.interrupted),
    tenants,
    totals: totalsOf(tenants),
    errors,
    rate: {
      targetPerSec: targets.some((t) => t === null) ? null : round3(targets.reduce((a, t) => a! + t!, 0)!),
      achievedPerSec: round3(parts.reduce((a, p) => a + p.result.rate.achievedPerSec, 0)),
    },
    latency: {
      service: recorder((h) => h.service),
      scheduleCorrected: recorder((h) => h.scheduleCorrected),
      ...(model === 'open' ? { sendLateness: recorder((h) => h.sendLateness) } : {}),
    },
    ...(timeline ? { timeline } : {}),
  };
}

/** Tenant by tenant (the same tenants in the same order: one plan), status by status. */
function mergeTenants(parts: readonly (readonly TenantCounts[])[]): TenantCounts[] {
  return parts[0]!.map((t, i) => {
    const byStatus = new Map<number, StatusCounts>();
    const received: Record<string, number> = {};
    for (const part of parts) {
      const pt = part[i]!;
      for (const c of pt.byStatus) {
        const sum = byStatus.get(c.status) ?? emptyStatusCounts(c.status);
        for (const f of OUTCOME_FIELDS) sum[f] += c[f];
        sum.latencySumMs = round3(sum.latencySumMs + c.latencySumMs);
        sum.latencyMaxMs = Math.max(sum.latencyMaxMs, c.latencyMaxMs);
        byStatus.set(c.status, sum);
      }
      for (const [status, n] of Object.entries(pt.receivedByStatus))
        received[status] = (received[status] ?? 0) + n;
    }
    return {
      clientId: t.clientId,
      byStatus: [...byStatus.values()].sort((a, b) => a.status - b.status),
      receivedByStatus: Object.fromEntries(Object.entries(received).sort(([a], [b]) => a.localeCompare(b))),
    };
  });
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
