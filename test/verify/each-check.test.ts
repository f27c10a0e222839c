/**
 * Every check must be able to fail: for each of the seven, one broken observation that turns it red,
 * both through `runChecks` (a check missing from the table fails here) and called on its own.
 */
import { describe, expect, it } from 'vitest';
import { PROM } from '../../src/telemetry/names.js';
import { CHECKS, runChecks } from '../../src/verify/checks/index.js';
import type { TenantContext } from '../../src/verify/checks/samples.js';
import { CHECK_IDS, type CheckId, type Sample } from '../../src/verify/types.js';
import { runExp, samplesFor, tenantExp } from './fixtures.js';

const t1 = tenantExp('tenant-1', { 200: 3 });
const t2 = tenantExp('tenant-2', { 500: 2 });
const exp = runExp([t1, t2]);
const good = samplesFor('tenant-2', { 500: 2 });
const ctx: TenantContext = {
  runId: exp.runId,
  isolated: true,
  timeoutMs: exp.timeoutMs,
  splitByProcessAllowed: false,
  decreases: [],
  manifestClientIds: new Set(['tenant-1', 'tenant-2']),
};

/** Per check: what tenant-2's view shows, and the context, when exactly that check's condition breaks. */
// The kind check (run only when the manifest records its kind) has its own: test/verify/kinds.test.ts.
const BROKEN: Record<Exclude<CheckId, 'kind'>, { samples: Sample[]; decreases?: string[] }> = {
  presence: { samples: good.filter((s) => s.name !== PROM.durationBucket) },
  counts: {
    samples: good.map((s) => (s.name === PROM.requestTotal ? { ...s, value: s.value + 1 } : s)),
  },
  histogram: { samples: good.filter((s) => s.name !== PROM.durationSum) },
  latency: { samples: samplesFor('tenant-2', { 500: 2 }, 0.3) },
  isolation: { samples: [...good, ...samplesFor('tenant-1', { 200: 3 })] },
  names: { samples: good, decreases: ['http_server_request_total{} went down from 2 to 1'] },
  series: {
    samples: [
      ...good,
      ...good
        .filter((s) => s.name === PROM.requestTotal)
        .map((s) => ({ ...s, labels: { ...s.labels, pod: 'b' }, value: 0 })),
    ],
  },
};

describe('the table of checks', () => {
  it('holds the seven checks, in report order', () => {
    expect(CHECKS.map((c) => c.id)).toEqual([...CHECK_IDS]);
  });

  it.each(CHECKS.map((c) => [c.id, c] as const))(
    '%s passes on what a correct pipeline shows',
    (_id, check) => {
      const r = check.run(t2, { tenant: 'tenant-2', samples: good }, ctx);
      expect(r.problems).toEqual([]);
      expect(r.ok).toBe(true);
    },
  );

  it.each([...CHECK_IDS])('%s goes red when its condition breaks', (id) => {
    const broken = BROKEN[id];
    const results = runChecks({
      expectation: exp,
      observation: {
        isolated: true,
        views: [
          { tenant: 'tenant-1', samples: samplesFor('tenant-1', { 200: 3 }) },
          { tenant: 'tenant-2', samples: broken.samples },
        ],
      },
      decreases: new Map([['tenant-2', broken.decreases ?? []]]),
    });
    const row = results.find((r) => r.tenant === 'tenant-2' && r.check === id);
    expect(row, `runChecks gave no "${id}" row`).toBeDefined();
    expect(row!.ok).toBe(false);
    expect(row!.problems.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.tenant === 'tenant-1').every((r) => r.ok)).toBe(true);
  });
});
