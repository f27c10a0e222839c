import type { Thresholds } from './config.js';
import type { LoadResult } from './result.js';

/** A load result or a manifest: both carry the totals. */
type WithTotals = Pick<LoadResult, 'totals'>;

/** Errors: sent requests that failed at the client or got another status than asked. */
export function errorRate(m: WithTotals): number {
  const t = m.totals;
  return t.sent === 0 ? 0 : (t.mismatched + t.unanswered + t.refused) / t.sent;
}

export function dropRate(m: WithTotals): number {
  return m.totals.scheduled === 0 ? 0 : m.totals.dropped / m.totals.scheduled;
}

/** One line per exceeded threshold; empty when all hold. */
export function checkThresholds(m: WithTotals, thresholds: Thresholds): string[] {
  const out: string[] = [];
  const pct = (f: number) => `${(f * 100).toFixed(f < 0.01 ? 3 : 2)}%`;
  if (thresholds.maxErrorRate !== undefined && errorRate(m) > thresholds.maxErrorRate) {
    out.push(`error rate ${pct(errorRate(m))} is above --max-error-rate ${pct(thresholds.maxErrorRate)}`);
  }
  if (thresholds.maxDropRate !== undefined && dropRate(m) > thresholds.maxDropRate) {
    out.push(`drop rate ${pct(dropRate(m))} is above --max-drop-rate ${pct(thresholds.maxDropRate)}`);
  }
  return out;
}
