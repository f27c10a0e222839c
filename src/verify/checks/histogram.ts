/**
 * 3. histogram integrity — proves each duration histogram is whole and agrees with the counter:
 * _count equals http_server_request_total for the same labels, buckets are cumulative, the +Inf
 * bucket equals _count, and no counter lacks its histogram. Fails when a pipeline drops, splits or
 * re-aggregates part of a histogram (a missing _sum, a bucket lower than the one before it).
 */
import { PROM } from '../../telemetry/names.js';
import type { TenantExpectation } from '../expectations.js';
import type { CheckResult, TenantView } from '../types.js';
import { fmtNumber, histogramsOf, labelKey, ownSamples, resultOf } from './samples.js';

export function histogram(exp: TenantExpectation, view: TenantView): CheckResult {
  const own = ownSamples(exp, view);
  const hists = histogramsOf(own);
  const counters = new Map<string, number>();
  for (const s of own) if (s.name === PROM.requestTotal) counters.set(labelKey(s.labels, []), s.value);
  const problems: string[] = [];
  for (const h of hists.values()) {
    const where = `{${h.key}}`;
    if (h.count === undefined) problems.push(`${PROM.durationCount}${where} is missing`);
    if (h.sum === undefined) problems.push(`${PROM.durationSum}${where} is missing`);
    const counter = counters.get(h.key);
    if (h.count !== undefined && counter !== undefined && h.count !== counter) {
      problems.push(
        `${PROM.durationCount}${where} is ${fmtNumber(h.count)} but ${PROM.requestTotal} is ${fmtNumber(counter)}`,
      );
    }
    if (h.count !== undefined && counter === undefined) {
      problems.push(`${PROM.requestTotal}${where} is missing (the histogram counted ${fmtNumber(h.count)})`);
    }
    for (let i = 1; i < h.buckets.length; i++) {
      const a = h.buckets[i - 1]!;
      const b = h.buckets[i]!;
      if (b.value < a.value) {
        problems.push(
          `buckets of ${where} are not cumulative: le="${b.leText}" is ${fmtNumber(b.value)} < le="${a.leText}" ${fmtNumber(a.value)}`,
        );
      }
    }
    const inf = h.buckets.find((b) => b.le === Number.POSITIVE_INFINITY);
    if (h.buckets.length > 0 && !inf) problems.push(`${PROM.durationBucket}${where} has no le="+Inf" bucket`);
    if (inf && h.count !== undefined && inf.value !== h.count) {
      problems.push(
        `le="+Inf" bucket of ${where} is ${fmtNumber(inf.value)} but ${PROM.durationCount} is ${fmtNumber(h.count)}`,
      );
    }
  }
  for (const [key, value] of counters) {
    if (!hists.has(key)) problems.push(`no histogram for ${PROM.requestTotal}{${key}} (${fmtNumber(value)})`);
  }
  return resultOf(exp, 'histogram', {
    expected: '_count = counter, cumulative buckets, +Inf = _count',
    found:
      problems.length > 0
        ? `${problems.length} problem(s)`
        : hists.size === 0
          ? 'no histogram'
          : `${hists.size} histogram(s) consistent`,
    problems,
    // No histogram and no counter: "0 consistent" would be a pass on nothing.
    noData: hists.size === 0 && counters.size === 0,
  });
}
