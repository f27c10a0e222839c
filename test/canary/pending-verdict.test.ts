/**
 * What a pending tenant (nothing proven yet: see window.ts) shows outside the window logic: on
 * /metrics, the latest-result gauge stays 0 and the pass/fail counters do not move until a real pass;
 * in the log, no green line until the tenant's data has been seen arriving, then one.
 */
import { describe, expect, it } from 'vitest';
import { transitionOf, type Verdict } from '../../src/canary/canary.js';
import { CANARY_CHECKS } from '../../src/canary/metric-names.js';
import { CanaryMetrics } from '../../src/canary/metrics.js';
import type { CheckStatus, TenantResult, TenantStatus } from '../../src/canary/window.js';

const T0 = Date.UTC(2030, 0, 1);

/** A tenant's result: green (every check passed), pending (isolation passed, the rest unproven), red (freshness failed too). */
function result(status: TenantStatus): TenantResult {
  const statusOf = (check: string): CheckStatus =>
    status === 'green' || check === 'isolation'
      ? 'pass'
      : status === 'red' && check === 'freshness'
        ? 'fail'
        : 'pending';
  return {
    tenant: 'tenant-1',
    status,
    ok: status === 'green',
    checks: CANARY_CHECKS.map((check) => ({
      check,
      status: statusOf(check),
      ok: statusOf(check) === 'pass',
      reason: '',
    })),
    lagMs: 1000,
    lastSeenMs: undefined,
    exportsExpected: 0,
    exportsVisible: 0,
  };
}

async function values(m: CanaryMetrics, name: string): Promise<Record<string, number>> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name)!;
  return Object.fromEntries(
    (metric.values as { labels: Record<string, string>; value: number }[])
      .filter((v) => v.labels.tenant === 'tenant-1')
      .map((v) => [Object.values(v.labels).slice(1).join('/'), v.value]),
  );
}

describe('/metrics while pending', () => {
  it('check_ok is 0 from the start and stays 0 while pending; pending counts as neither pass nor fail', async () => {
    const m = new CanaryMetrics(['tenant-1']);
    const zero = Object.fromEntries(CANARY_CHECKS.map((c) => [c, 0]));
    expect(await values(m, 'otelpoc_canary_check_ok')).toEqual(zero);

    m.checked(result('pending'), T0 + 5000);
    expect(await values(m, 'otelpoc_canary_check_ok')).toEqual({ ...zero, isolation: 1 });
    const counted = await values(m, 'otelpoc_canary_checks_total');
    expect(counted['correctness/pass']).toBe(0);
    expect(counted['correctness/fail']).toBe(0);
    expect(counted['isolation/pass']).toBe(1);
    expect(await values(m, 'otelpoc_canary_last_success_timestamp_seconds')).toEqual({ '': 0 });

    m.checked(result('green'), T0 + 30_000);
    expect(await values(m, 'otelpoc_canary_check_ok')).toEqual(
      Object.fromEntries(CANARY_CHECKS.map((c) => [c, 1])),
    );
    expect(await values(m, 'otelpoc_canary_last_success_timestamp_seconds')).toEqual({
      '': (T0 + 30_000) / 1000,
    });
  });
});

describe('red/green log lines', () => {
  /** The log lines of a tenant whose results are `statuses`, one per 5 s interval. */
  function lines(statuses: TenantStatus[]): string[] {
    let before: Verdict | undefined;
    const out: string[] = [];
    statuses.forEach((s, i) => {
      const next = transitionOf(before, result(s), T0 + 5000 * (i + 1), T0);
      if (!next) return;
      before = next.verdict;
      const t = next.transition;
      out.push(
        t.to === 'red'
          ? 'red'
          : t.firstAfterMs !== undefined
            ? `green first ${t.firstAfterMs / 1000}s`
            : `green again ${t.redForMs! / 1000}s`,
      );
    });
    return out;
  }

  it('no green line while pending; the first proven green logs once', () => {
    expect(lines(['pending', 'pending'])).toEqual([]);
    expect(lines(['pending', 'pending', 'green', 'green', 'pending', 'green'])).toEqual(['green first 15s']);
  });

  it('red from pending or green; green again after red, pending in between says nothing', () => {
    expect(lines(['pending', 'red', 'pending', 'green'])).toEqual(['red', 'green again 10s']);
    expect(lines(['green', 'red', 'red', 'green'])).toEqual(['green first 5s', 'red', 'green again 10s']);
  });
});
