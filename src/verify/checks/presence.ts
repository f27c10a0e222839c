/**
 * 1. presence — proves every expected metric of the run reached this tenant: the counter and the
 * three histogram series (_bucket, _sum, _count) each appear with one of the tenant's client_ids.
 * Fails when the tenant shows nothing of the run (data lost, late, or routed to another tenant) or
 * when one of the four names is missing. A tenant no request of which reached the server may be empty:
 * no data then (nothing to check is not a pass).
 */
import { PROM } from '../../telemetry/names.js';
import type { TenantExpectation } from '../expectations.js';
import { histogramFormOf } from '../kinds/forms.js';
import type { CheckResult, TenantView } from '../types.js';
import { EXPECTED_NAMES, L, ownSamples, resultOf, type TenantContext } from './samples.js';

export function presence(exp: TenantExpectation, view: TenantView, ctx: TenantContext): CheckResult {
  const own = ownSamples(exp, view);
  // A native histogram (kinds/forms.ts) has _count and _sum but no _bucket series: its buckets are inside it.
  const expected =
    histogramFormOf(own) === 'native'
      ? EXPECTED_NAMES.filter((n) => n !== PROM.durationBucket)
      : EXPECTED_NAMES;
  const found = expected.filter((n) => own.some((s) => s.name === n));
  if (exp.received === 0) {
    return resultOf(exp, 'presence', {
      expected: 'none (no request reached the server)',
      found: found.length ? found.join(', ') : 'none',
      problems: [],
      // Nothing was due and nothing is there: nothing checked, so not a pass (the verdict says so).
      noData: found.length === 0,
    });
  }
  const missing = expected.filter((n) => !found.includes(n));
  const problems =
    own.length === 0
      ? [
          `no series of run "${ctx.runId}" in tenant "${exp.tenant}": its data never arrived (or has not yet), or went to another tenant`,
        ]
      : missing.map((n) => `${n}{${L.runId}="${ctx.runId}"} is missing`);
  return resultOf(exp, 'presence', {
    expected: `${expected.length} metrics`,
    found: own.length === 0 ? 'none' : `${found.length} of ${expected.length}`,
    problems,
  });
}
