import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../src/load/resolve.js';
import { UsageError } from '../../src/util/errors.js';

const id = () => 'rid';

describe('resolvePlan', () => {
  it('defaults: 50 req/s for 10 s, 3 tenants, 200:85,404:10,500:5, loopback :8088/api', () => {
    const plan = resolvePlan({}, undefined, id);
    expect(plan).toMatchObject({
      runId: 'rid',
      targetUrl: 'http://127.0.0.1:8088/api',
      model: 'open',
      durationMs: 10_000,
      requests: null,
      maxInflight: 1000,
      timeoutMs: 5000,
      stages: [{ durationMs: 10_000, fromPerSec: 50, toPerSec: 50 }],
    });
    expect(plan.tenants.map((t) => t.clientId)).toEqual(['tenant-1', 'tenant-2', 'tenant-3']);
  });

  it('--requests alone bounds the run (no default duration)', () => {
    const plan = resolvePlan({ requests: 300, rate: 100 }, undefined, id);
    expect(plan.durationMs).toBeNull();
    expect(plan.stages[0]!.durationMs).toBe(Number.POSITIVE_INFINITY);
  });

  it('--rps max: the closed model with connections', () => {
    const plan = resolvePlan({ rate: 'max', connections: 8 }, undefined, id);
    expect(plan).toMatchObject({ model: 'closed', connections: 8, stages: [], durationMs: 10_000 });
  });

  it('conflicting tenant flags are usage errors naming the flag', () => {
    expect(() => resolvePlan({ tenants: 2, clientIds: ['a', 'b', 'c'] }, undefined, id)).toThrow(
      new UsageError('--tenants: 2 does not match the 3 --client-ids; give one of them'),
    );
    expect(() => resolvePlan({ tenants: 3, tenantWeights: [1, 2] }, undefined, id)).toThrow(
      /^--tenant-weights: expected 3 weights \(one per tenant\), got 2$/,
    );
  });
});
