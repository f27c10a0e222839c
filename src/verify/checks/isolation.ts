/**
 * 5. isolation — proves a tenant sees only its own series: with the backend's own tenant isolation,
 * no series of the run with another tenant's client_id is visible in this tenant (a leak), and none
 * with a client_id the manifest never sent (requests outside the manifest carry the run id). Without
 * isolation (one store for all tenants) it cannot be tested and says so (not-testable, which does not
 * hold the verdict back); a tenant that shows nothing at all has nothing to check (no data, not a pass).
 *
 * The run's data outside the manifest's tenants is checked here too, as rows of their own: series of
 * the run in a tenant the manifest sent nothing to (`strayTenant`), and, in one shared store, series
 * whose client_id belongs to no manifest tenant (`unclaimed`).
 */
import type { TenantExpectation } from '../expectations.js';
import type { CheckResult, Sample, TenantView } from '../types.js';
import {
  clientIdOf,
  describeClientIds,
  foreignSamples,
  resultOf,
  showClientId,
  type TenantContext,
} from './samples.js';

/** Tenant name of the pseudo-row that reports series of this run that belong to no manifest tenant. */
export const UNCLAIMED_TENANT = '(not in manifest)';

export function isolation(exp: TenantExpectation, view: TenantView, ctx: TenantContext): CheckResult {
  if (!ctx.isolated) {
    return resultOf(exp, 'isolation', {
      expected: 'no other tenant’s series',
      found: 'not testable: one store for all tenants',
      problems: [],
      skipped: true,
    });
  }
  const foreign = foreignSamples(exp, view);
  const known = ctx.manifestClientIds;
  const leaked = known ? foreign.filter((s) => known.has(clientIdOf(s))) : foreign;
  const stray = known ? foreign.filter((s) => !known.has(clientIdOf(s))) : [];
  const problems: string[] = [];
  if (leaked.length > 0) {
    problems.push(
      `leak: ${leaked.length} series of run "${ctx.runId}" with ${describeClientIds(leaked)} are visible in tenant "${exp.tenant}"`,
    );
  }
  if (stray.length > 0) {
    problems.push(
      `${stray.length} series of run "${ctx.runId}" with ${describeClientIds(stray)}, which the manifest never sent, went to tenant "${exp.tenant}": requests outside the manifest carry this run id`,
    );
  }
  return resultOf(exp, 'isolation', {
    expected: `only client_id ${exp.clientIds.map(showClientId).join(', ')}`,
    found:
      view.samples.length === 0
        ? 'nothing of the run in this tenant'
        : foreign.length === 0
          ? 'none foreign'
          : describeClientIds(foreign),
    problems,
    // An empty tenant shows no leak because it shows nothing: no evidence of isolation either way.
    noData: view.samples.length === 0,
  });
}

/**
 * A tenant the manifest sent nothing to (the default tenant, one listed by the backend or named with
 * --also-tenants): any series of the run there is data that went astray, e.g. requests with a
 * Client-ID the manifest does not know, or without one when the manifest has no anonymous share.
 */
export function strayTenant(view: TenantView, runId: string): CheckResult {
  const base = { tenant: view.tenant, check: 'isolation' as const, expected: 'nothing of this run' };
  if (view.error !== undefined) {
    // The backend does not know the tenant (vmauth: no route): nothing can have gone there.
    return { ...base, status: 'pass', ok: true, found: 'tenant unknown to the backend', problems: [] };
  }
  // Absence is what this row checks, and the backend answered for the tenant: a pass on that answer.
  if (view.samples.length === 0) return { ...base, status: 'pass', ok: true, found: 'none', problems: [] };
  return {
    ...base,
    status: 'fail',
    ok: false,
    found: describeClientIds(view.samples),
    problems: [
      `${view.samples.length} series of run "${runId}" with ${describeClientIds(view.samples)} went to tenant "${view.tenant}", which the manifest sent nothing to: requests outside the manifest carry this run id`,
    ],
  };
}

/** In one shared store: series of the run whose client_id no manifest tenant owns (undefined: none). */
export function unclaimed(unowned: Sample[], runId: string): CheckResult | undefined {
  if (unowned.length === 0) return undefined;
  return {
    tenant: UNCLAIMED_TENANT,
    check: 'isolation',
    status: 'fail',
    ok: false,
    expected: 'only the manifest tenants',
    found: describeClientIds(unowned),
    problems: [
      `${unowned.length} series of run "${runId}" carry client_id values the manifest never sent: ${describeClientIds(unowned)}`,
    ],
  };
}
