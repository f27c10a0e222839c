/**
 * 6. metric names — proves the pipeline kept the names otelpoc emits (OTLP → Prometheus translation
 * with unit and _total suffixes) and cumulative temporality. Reads every series of the run in the
 * tenant, whatever its name, so a renamed one is named with the likely cause (dots kept, a suffix
 * dropped or added); a counter that went down between polls points at delta temporality. Fails on
 * either; a missing name with no renamed series in its place is left to presence.
 */
import type { TenantExpectation } from '../expectations.js';
import type { CheckResult, TenantView } from '../types.js';
import { EXPECTED_NAMES, resultOf, type TenantContext } from './samples.js';

export function names(exp: TenantExpectation, view: TenantView, ctx: TenantContext): CheckResult {
  const present = new Set(view.samples.map((s) => s.name));
  const problems: string[] = [];
  const foundInstead: string[] = [];
  if (exp.received > 0) {
    for (const name of EXPECTED_NAMES) {
      if (present.has(name)) continue;
      for (const other of present) {
        const why = diagnoseName(name, other);
        if (why) {
          problems.push(`found ${other} instead of ${name}: ${why}`);
          foundInstead.push(other);
        }
      }
    }
  }
  for (const d of ctx.decreases) {
    problems.push(
      `${d}: a cumulative counter never decreases; the series was exported with delta temporality (otelpoc exports cumulative: check OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE and the pipeline), or the server restarted during the run`,
    );
  }
  // Names are judged only when requests were recorded and some series is there to look at.
  const noData = exp.received === 0 || view.samples.length === 0;
  return resultOf(exp, 'names', {
    expected: 'http_server_request_total, http_server_request_duration_seconds_*',
    found: foundInstead.length
      ? foundInstead.join(', ')
      : problems.length
        ? 'decreasing counter'
        : noData
          ? 'no series'
          : 'as expected',
    problems,
    noData,
  });
}

/** What a found name is, if it is one of ours under another name: the reason, for the message. */
export function diagnoseName(expected: string, found: string): string | undefined {
  if (found === expected) return undefined;
  const dotted = found.includes('.');
  const f = found.replace(/[.]/g, '_');
  const e = expected;
  const base = e.replace(/_(bucket|sum|count)$/, '');
  const part = e.slice(base.length); // "", "_bucket", "_sum", "_count"
  const why: string[] = [];
  if (dotted)
    why.push('names kept in OTel form (dots): the pipeline did not translate them to Prometheus names');
  if (f === e) return why.join('; ') || undefined;
  if (e.endsWith('_total') && f === e.slice(0, -'_total'.length)) {
    why.push(
      'the _total suffix is missing: suffixes were turned off (e.g. add_metric_suffixes = false in Alloy) or the counter was exported with delta temporality and became a gauge',
    );
  } else if (base.endsWith('_seconds') && f === base.slice(0, -'_seconds'.length) + part) {
    why.push(
      'the _seconds unit suffix is missing: suffixes were turned off (e.g. add_metric_suffixes = false in Alloy)',
    );
  } else if (f === `${e}_total` || f === `${base}_total${part}`) {
    why.push('a _total suffix was added');
  } else {
    return undefined;
  }
  return why.join('; ');
}
