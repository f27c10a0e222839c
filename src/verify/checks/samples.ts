/**
 * What the checks share: which samples are a tenant's own, how series and numbers are named in
 * messages, and the context every check receives. Pure functions, no I/O.
 */
import { DURATION_BUCKETS_S, PROM } from '../../telemetry/names.js';
import { NO_CLIENT_ID, type TenantExpectation } from '../expectations.js';
import { type CheckStatus, okOfStatus } from '../status.js';
import type { CheckId, CheckResult, Sample, TenantView } from '../types.js';

export const L = PROM.labels;
export const EXPECTED_NAMES = [
  PROM.requestTotal,
  PROM.durationBucket,
  PROM.durationSum,
  PROM.durationCount,
] as const;
export const HISTOGRAM_NAMES = new Set<string>([PROM.durationBucket, PROM.durationSum, PROM.durationCount]);
export const LE_VALUES = [...DURATION_BUCKETS_S.map(formatLe), '+Inf'];

/** What a check knows besides the tenant's expectation and view. */
export interface TenantContext {
  runId: string;
  /** True when the view comes from the backend's own tenant isolation (one tenant header per tenant). */
  isolated: boolean;
  /** The client's request timeout: the most the server can have spent on an unanswered request. */
  timeoutMs: number;
  /** More than one shard: series may legitimately differ by per-process labels. */
  splitByProcessAllowed: boolean;
  /** Counter series of this tenant whose value went down between polls (see SeriesHistory). */
  decreases: readonly string[];
  /** Every client_id the manifest sent (all tenants): a foreign one outside it was never sent by the run. */
  manifestClientIds?: ReadonlySet<string>;
}

/** One check: a pure function of what the tenant was sent, what it shows, and the context. */
export type Check = (exp: TenantExpectation, view: TenantView, ctx: TenantContext) => CheckResult;

/**
 * A check's result: fail when it names a problem; else not-testable when `skipped`, no-data when
 * `noData` (the check had nothing to look at: that proves nothing, so it is not a pass), else pass.
 */
export function resultOf(
  exp: TenantExpectation,
  check: CheckId,
  r: Omit<CheckResult, 'tenant' | 'check' | 'ok' | 'status'> & { noData?: boolean },
): CheckResult {
  const { noData, ...rest } = r;
  const status: CheckStatus =
    r.problems.length > 0 ? 'fail' : r.skipped ? 'not-testable' : noData ? 'no-data' : 'pass';
  return { tenant: exp.tenant, check, status, ok: okOfStatus(status), ...rest };
}

export function clientIdOf(s: Sample): string {
  return s.labels[L.clientId] ?? NO_CLIENT_ID;
}

/** The view's series that carry one of the tenant's own client_id values. */
export function ownSamples(exp: TenantExpectation, view: TenantView): Sample[] {
  return view.samples.filter((s) => exp.clientIds.includes(clientIdOf(s)));
}

/** The view's series that carry any other client_id (or none, when the tenant is not anonymous). */
export function foreignSamples(exp: TenantExpectation, view: TenantView): Sample[] {
  return view.samples.filter((s) => !exp.clientIds.includes(clientIdOf(s)));
}

export interface HistogramSeries {
  key: string;
  count?: number;
  sum?: number;
  buckets: { le: number; leText: string; value: number }[];
}

/** The duration histograms among `own`, one per label set (without le), buckets sorted by bound. */
export function histogramsOf(own: Sample[]): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  for (const s of own) {
    if (!HISTOGRAM_NAMES.has(s.name)) continue;
    // A bucket without `le` (VictoriaMetrics' vmrange buckets) is no classic bucket: the kind check counts those.
    if (s.name === PROM.durationBucket && s.labels[L.le] === undefined) continue;
    const key = labelKey(s.labels, [L.le]);
    let h = out.get(key);
    if (!h) {
      h = { key, buckets: [] };
      out.set(key, h);
    }
    if (s.name === PROM.durationCount) h.count = s.value;
    else if (s.name === PROM.durationSum) h.sum = s.value;
    else {
      const leText = s.labels[L.le] ?? '';
      h.buckets.push({ le: parseLe(leText), leText, value: s.value });
    }
  }
  for (const h of out.values()) h.buckets.sort((a, b) => a.le - b.le);
  return out;
}

/** `name{a="1",b="2"}` with sorted labels: how series are named in messages. */
export function seriesId(name: string, labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`);
  return `${name}{${parts.join(',')}}`;
}

/** The identifying labels of a series other than `without` and per-run noise, as a stable string. */
export function labelKey(labels: Readonly<Record<string, string>>, without: string[]): string {
  return Object.keys(labels)
    .filter((k) => !without.includes(k))
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(',');
}

export function describeClientIds(samples: Sample[]): string {
  const ids = [...new Set(samples.map(clientIdOf))].sort();
  return ids.map((c) => `client_id=${showClientId(c)}`).join(', ');
}

export function showClientId(c: string): string {
  return c === NO_CLIENT_ID ? '(none)' : `"${c}"`;
}

/** "1", "1.0" and "1e0" are the same bound: compare them as numbers, name them one way. */
export function formatLe(b: number): string {
  return b === Number.POSITIVE_INFINITY ? '+Inf' : String(b);
}

export function parseLe(text: string): number {
  return text === '+Inf' || text === 'Inf' ? Number.POSITIVE_INFINITY : Number(text);
}

export function fmtRange(min: number, max: number): string {
  return min === max ? String(min) : `${min}–${max}`;
}

export function fmtNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3);
}

export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${ms.toFixed(1)}ms`;
}
