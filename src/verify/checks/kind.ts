/**
 * 8. kind — the verdict of kinds/assess.ts as a check: exact passes; a change passes only when the
 * user accepted it by name; missing or wrong fails. Run only when the manifest records the kind it
 * sent (schema version 4): an older manifest's run is judged by the seven checks alone.
 */
import type { TenantExpectation } from '../expectations.js';
import { assessKind, type KindChange, type KindVerdict } from '../kinds/assess.js';
import type { DropCounters } from '../kinds/backend-drops.js';
import { describeKind, type SentKind } from '../kinds/kind.js';
import type { CheckResult, TenantView } from '../types.js';
import { ownSamples, resultOf } from './samples.js';

export interface KindContext {
  kind: SentKind;
  acceptChanges?: readonly KindChange[];
  drops?: DropCounters;
  /** A delta run's tenants whose deltas were converted to cumulative on the way (kinds/delta-storage.ts). */
  deltaConverted?: readonly string[];
}

export function kindVerdictOf(
  exp: TenantExpectation,
  view: TenantView,
  k: KindContext,
): KindVerdict | undefined {
  return assessKind(exp, ownSamples(exp, view), k.kind, {
    ...(k.acceptChanges ? { acceptChanges: k.acceptChanges } : {}),
    ...(k.drops ? { drops: k.drops } : {}),
    ...(k.deltaConverted?.includes(exp.tenant) ? { deltaConverted: true } : {}),
  });
}

export function kindCheck(exp: TenantExpectation, view: TenantView, k: KindContext): CheckResult {
  const v = kindVerdictOf(exp, view, k);
  const expected = `${describeKind(k.kind)}, exact`;
  if (!v) return resultOf(exp, 'kind', { expected, found: 'nothing sent', problems: [], noData: true });
  const problems: string[] = [];
  if (v.outcome === 'missing') {
    problems.push(
      `missing: ${v.how}${v.hop ? ` — can happen at ${v.hop}` : ''}${v.fixes ? `; fixes: ${v.fixes.join('; ')}` : ''}`,
    );
  } else if (v.outcome === 'changed' && !v.accepted) {
    problems.push(
      `changed (${v.change}): ${v.how} — can happen at ${v.hop}; accept this change by name (--accept-change, acceptChanges: ${(v.changes ?? [v.change]).join(',')}) or fix: ${(v.fixes ?? []).join('; ')}`,
    );
  }
  const found =
    v.outcome === 'changed' ? `changed (${v.change}${v.accepted ? ', accepted' : ''})` : v.outcome;
  return resultOf(exp, 'kind', { expected, found, problems });
}
