import { describe, expect, it } from 'vitest';
import { resolveLoadConfig } from '../../src/load/config.js';
import { UsageError } from '../../src/util/errors.js';

const id = () => 'rid';

describe('resolveLoadConfig', () => {
  it('defaults: 50 req/s for 10 s, 3 tenants, 200:85,404:10,500:5, loopback :8088/api', () => {
    const plan = resolveLoadConfig({}, undefined, id);
    expect(plan).toMatchObject({
      runId: 'rid',
      target: 'http://127.0.0.1:8088/api',
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
    const plan = resolveLoadConfig({ requests: 300, rate: 100 }, undefined, id);
    expect(plan.durationMs).toBeNull();
    expect(plan.stages[0]!.durationMs).toBeNull(); // unbounded: --requests ends it
  });

  it('--rps max: the closed model with connections', () => {
    const plan = resolveLoadConfig({ rate: 'max', connections: 8 }, undefined, id);
    expect(plan).toMatchObject({ model: 'closed', connections: 8, stages: [], durationMs: 10_000 });
  });

  it('conflicting tenant flags are usage errors naming the flag', () => {
    expect(() => resolveLoadConfig({ tenants: 2, clientIds: ['a', 'b', 'c'] }, undefined, id)).toThrow(
      new UsageError('--tenants: 2 does not match the 3 --client-ids; give one of them'),
    );
    expect(() => resolveLoadConfig({ tenants: 3, tenantWeights: [1, 2] }, undefined, id)).toThrow(
      /^--tenant-weights: expected 3 weights \(one per tenant\), got 2$/,
    );
  });
});
