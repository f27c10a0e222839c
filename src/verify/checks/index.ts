/**
 * The seven checks of `otelpoc verify`, in report order, and `runChecks`, which applies them to every
 * tenant of the manifest. Each check is a pure function of (what the tenant was sent, what the
 * backend shows it, context) → CheckResult, in a file of its own that says what it proves and how it
 * can fail. No I/O, no clock: the poller calls these on every poll, the unit tests on hand-built samples.
 */
import { OVERFLOW_VALUE } from '../../telemetry/names.js';
import type { RunExpectation, TenantExpectation } from '../expectations.js';
import type { CheckId, CheckResult, Observation, Sample, TenantView } from '../types.js';
import { counts } from './counts.js';
import { histogram } from './histogram.js';
import { isolation, strayTenant, UNCLAIMED_TENANT, unclaimed } from './isolation.js';
import { type KindContext, kindCheck } from './kind.js';
import { latency } from './latency.js';
import { names } from './names.js';
import { presence } from './presence.js';
import { type Check, clientIdOf, type TenantContext } from './samples.js';
import { series } from './series.js';

export { diagnoseName } from './names.js';
export { UNCLAIMED_TENANT };

/** The checks, in the order the report lists them. */
export const CHECKS: readonly { id: CheckId; run: Check }[] = [
  { id: 'presence', run: presence },
  { id: 'counts', run: counts },
  { id: 'histogram', run: histogram },
  { id: 'latency', run: latency },
  { id: 'isolation', run: isolation },
  { id: 'names', run: names },
  { id: 'series', run: series },
];

export interface CheckInput {
  expectation: RunExpectation;
  observation: Observation;
  /** Set when the run's kind is known (expectation.kind): the kind check runs with it. */
  kind?: KindContext;
  /** Per tenant, counter series whose value went down between polls (see SeriesHistory). */
  decreases?: ReadonlyMap<string, readonly string[]>;
}

export function runChecks(input: CheckInput): CheckResult[] {
  const { expectation, observation } = input;
  const results: CheckResult[] = [];
  let views: TenantView[];
  if (observation.isolated) {
    views = observation.views;
  } else {
    // One store holds every tenant: a tenant's view is the series with its client_id values.
    // One pass over the store (not one per tenant: 1,000 tenants × 54,000 series was most of a poll).
    const owner = new Map<string, string>();
    for (const t of expectation.tenants) for (const c of t.clientIds) owner.set(c, t.tenant);
    const byTenant = new Map<string, Sample[]>(expectation.tenants.map((t) => [t.tenant, []]));
    const unowned: Sample[] = [];
    for (const s of observation.all) {
      const tenant = owner.get(clientIdOf(s));
      if (tenant === undefined) unowned.push(s);
      else byTenant.get(tenant)!.push(s);
    }
    views = [...byTenant].map(([tenant, samples]) => ({ tenant, samples }));
    const row = unclaimed(unowned, expectation.runId);
    if (row) results.push(row);
  }
  const manifestClientIds = new Set(expectation.tenants.flatMap((t) => t.clientIds));
  // The first view of each tenant, as views.find gave it.
  const viewOf = new Map<string, TenantView>();
  for (const v of views) if (!viewOf.has(v.tenant)) viewOf.set(v.tenant, v);
  for (const exp of expectation.tenants) {
    const view = viewOf.get(exp.tenant) ?? { tenant: exp.tenant, samples: [] };
    results.push(
      ...checkTenant(exp, view, {
        runId: expectation.runId,
        isolated: observation.isolated,
        timeoutMs: expectation.timeoutMs,
        splitByProcessAllowed: expectation.shards > 1,
        decreases: input.decreases?.get(exp.tenant) ?? [],
        manifestClientIds,
      }),
    );
    // The kind is judged on what the tenant holds; an unavailable tenant is already failed by every check.
    if (input.kind && view.error === undefined) results.push(kindCheck(exp, view, input.kind));
  }
  const overflow = overflowLine(observation, expectation.runId);
  if (overflow) {
    // The tenants' series went under the server's overflow value: say so where "none" is reported.
    for (const r of results) {
      if (r.check === 'presence' && r.found === 'none' && r.problems.length > 0) r.problems.push(overflow);
    }
  }
  if (observation.isolated) {
    const own = new Set(expectation.tenants.map((t) => t.tenant));
    for (const view of views) {
      if (!own.has(view.tenant)) results.push(strayTenant(view, expectation.runId));
    }
  }
  return results;
}

/**
 * When the server's tenant cap (--max-tenants) was hit, the requests of the tenants past it are
 * recorded with client_id="__overflow__": their tenants then show nothing, which is not a lost
 * pipeline. Seen wherever the observation shows those series (one store, or a tenant looked in).
 */
export function overflowLine(observation: Observation, runId: string): string | undefined {
  const all = observation.isolated ? observation.views.flatMap((v) => v.samples) : observation.all;
  const n = all.filter((s) => clientIdOf(s) === OVERFLOW_VALUE).length;
  if (n === 0) return undefined;
  return `${n} series of run "${runId}" are under client_id="${OVERFLOW_VALUE}": the server's tenant cap (--max-tenants) was hit, so the tenants past it were recorded as one; raise --max-tenants above the run's tenant count`;
}

/** Every check for one manifest tenant, in table order. */
export function checkTenant(exp: TenantExpectation, view: TenantView, ctx: TenantContext): CheckResult[] {
  if (view.error !== undefined && exp.received + exp.unanswered === 0) {
    // Nothing of this tenant reached the server (all refused or dropped): the backend need not know it.
    return checkTenant(exp, { tenant: view.tenant, samples: [] }, ctx);
  }
  if (view.error !== undefined) {
    const problem = `the backend did not answer for tenant "${exp.tenant}": ${view.error}`;
    return CHECKS.map(({ id }) => ({
      tenant: exp.tenant,
      check: id,
      status: 'fail' as const,
      ok: false,
      expected: id === 'isolation' ? 'the tenant exists' : '-',
      found: 'tenant unavailable',
      problems: [problem],
    }));
  }
  return CHECKS.map(({ run }) => run(exp, view, ctx));
}
