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

/**
 * Why a run proved nothing, or null: requests were due but none got a response (every one refused,
 * timed out or reset, or dropped). Such a run is a failure whatever the thresholds say: its counts
 * are all zeros and a latency table of zeros would look like success. `target` names where.
 */
export function nothingAnswered(m: WithTotals & { target?: string }): string | null {
  const t = m.totals;
  if (t.scheduled === 0 || t.answered + t.mismatched > 0) return null;
  const where = m.target ?? 'the target';
  if (t.sent === 0)
    return `no request was sent: all ${t.scheduled} scheduled were dropped at the in-flight cap`;
  if (t.refused === t.sent) {
    return `nothing listens at ${where}: all ${t.sent} requests were refused; start \`otelpoc serve\` or add \`--serve\``;
  }
  return `no response from ${where}: none of ${t.sent} requests was answered (refused ${t.refused}, no response ${t.unanswered}); check that the server at ${where} is up and reachable`;
}

/** One line per exceeded threshold, a run with nothing answered first; empty when all hold. */
export function checkThresholds(m: WithTotals & { target?: string }, thresholds: Thresholds): string[] {
  const out: string[] = [];
  const none = nothingAnswered(m);
  if (none !== null) out.push(none);
  const pct = (f: number) => `${(f * 100).toFixed(f < 0.01 ? 3 : 2)}%`;
  if (thresholds.maxErrorRate !== undefined && errorRate(m) > thresholds.maxErrorRate) {
    out.push(`error rate ${pct(errorRate(m))} is above --max-error-rate ${pct(thresholds.maxErrorRate)}`);
  }
  if (thresholds.maxDropRate !== undefined && dropRate(m) > thresholds.maxDropRate) {
    out.push(`drop rate ${pct(dropRate(m))} is above --max-drop-rate ${pct(thresholds.maxDropRate)}`);
  }
  return out;
}
