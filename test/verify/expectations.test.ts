import { describe, expect, it } from 'vitest';
import { MANIFEST_SCHEMA_VERSION, type RunManifest } from '../../src/manifest/schema.js';
import { UsageError } from '../../src/util/errors.js';
import { expectationsFrom } from '../../src/verify/expectations.js';

function manifest(runId: string, shard?: { index: number; count: number }, timeoutMs = 5000): RunManifest {
  const cell = (status: number, sent: number, unanswered = 0) => ({
    status,
    dropped: 0,
    sent,
    answered: sent - unanswered,
    mismatched: 0,
    unanswered,
    refused: 0,
    latencySumMs: (sent - unanswered) * 10,
    latencyMaxMs: 12,
  });
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    tool: { name: 'otelpoc', version: 't' },
    runId,
    ...(shard ? { shard } : {}),
    target: 'http://127.0.0.1:1/api',
    startedAt: '2026-11-25T10:00:00.000Z',
    endedAt: '2026-11-25T10:00:01.000Z',
    interrupted: false,
    config: {
      runId,
      target: 'http://127.0.0.1:1/api',
      model: 'open',
      stages: [{ durationMs: 1000, fromPerSec: 10, toPerSec: 10 }],
      durationMs: 1000,
      requests: null,
      connections: null,
      maxInflight: 10,
      timeoutMs,
      tenants: [
        { clientId: 'tenant-1', weight: 7 },
        { clientId: null, weight: 3 },
      ],
      statusMix: [{ status: 200, weight: 1 }],
      anonymousPercent: 30,
      scenario: null,
      thresholds: {},
    },
    tenants: [
      {
        clientId: 'tenant-1',
        byStatus: [cell(200, 5), cell(404, 2, 1)],
        receivedByStatus: { '200': 5, '404': 1 },
      },
      { clientId: null, byStatus: [cell(200, 3)], receivedByStatus: { '200': 3 } },
    ],
    totals: { scheduled: 10, dropped: 0, sent: 10, answered: 9, mismatched: 0, unanswered: 1, refused: 0 },
    errors: { refused: 0, reset: 0, timeout: 1, statusMismatch: 0, other: 0 },
    rate: { targetPerSec: 10, achievedPerSec: 10 },
    latency: {
      service: { count: 9, minMs: 1, meanMs: 10, p50Ms: 10, p90Ms: 11, p99Ms: 12, p999Ms: 12, maxMs: 12 },
      scheduleCorrected: {
        count: 9,
        minMs: 1,
        meanMs: 10,
        p50Ms: 10,
        p90Ms: 11,
        p99Ms: 12,
        p999Ms: 12,
        maxMs: 12,
      },
    },
  };
}

describe('expectationsFrom', () => {
  it('maps requests without Client-ID to the default tenant, and unanswered ones to a range', () => {
    const e = expectationsFrom([{ manifest: manifest('r'), source: 'a.json' }], 'anonymous');
    expect(e.tenants.map((t) => [t.tenant, t.clientIds, t.byStatus])).toEqual([
      ['anonymous', [''], [{ status: 200, min: 3, max: 3 }]],
      [
        'tenant-1',
        ['tenant-1'],
        [
          { status: 200, min: 5, max: 6 },
          { status: 404, min: 1, max: 2 },
        ],
      ],
    ]);
    expect(e.tenants[1]).toMatchObject({
      sent: 7,
      received: 6,
      unanswered: 1,
      latencySumMs: 60,
      latencyMaxMs: 12,
    });
  });

  it('sums the shards of one run', () => {
    const e = expectationsFrom(
      [
        { manifest: manifest('r', { index: 0, count: 2 }, 7000), source: 'a.json' },
        { manifest: manifest('r', { index: 1, count: 2 }, 7000), source: 'b.json' },
      ],
      'default',
    );
    expect(e.shards).toBe(2);
    expect(e.timeoutMs).toBe(7000);
    expect(e.tenants.find((t) => t.tenant === 'default')!.byStatus).toEqual([
      { status: 200, min: 6, max: 6 },
    ]);
    expect(e.tenants.find((t) => t.tenant === 'tenant-1')!.byStatus[0]).toEqual({
      status: 200,
      min: 10,
      max: 12,
    });
  });

  it('refuses manifests of different runs, the same shard twice, or the same file twice', () => {
    const a = { manifest: manifest('r1'), source: 'a.json' };
    expect(() => expectationsFrom([a, { manifest: manifest('r2'), source: 'b.json' }], 'x')).toThrow(
      /--manifest: b.json is run "r2" but a.json is run "r1"/,
    );
    expect(() =>
      expectationsFrom(
        [
          { manifest: manifest('r', { index: 0, count: 2 }), source: 'a.json' },
          { manifest: manifest('r', { index: 0, count: 2 }), source: 'b.json' },
        ],
        'x',
      ),
    ).toThrow(UsageError);
    expect(() => expectationsFrom([a, a], 'x')).toThrow(/same file was given more than once/);
  });
});

describe('failedWorkers', () => {
  it('names each manifest of a --workers run in which a worker died; nothing for the others', async () => {
    const { failedWorkers } = await import('../../src/verify/expectations.js');
    const { buildManifest } = await import('../../src/manifest/build.js');
    const { testPlan } = await import('../load/plan-fixture.js');
    const { runLoad } = await import('../../src/load/runner.js');
    const { FakeClock } = await import('../load/fake-clock.js');
    const { fakeClient } = await import('../load/fake-client.js');
    const clock = new FakeClock();
    const config = testPlan({
      stages: [{ durationMs: 100, fromPerSec: 100, toPerSec: 100 }],
      durationMs: 100,
    });
    const result = await clock.runUntil(runLoad(config, { clock, client: fakeClient(clock) }));
    const ok = { manifest: buildManifest(config, result), source: 'ok.json' };
    const died = {
      manifest: buildManifest(config, {
        ...result,
        workerFailures: ['worker 2 of 2 (shard 1/2) died (exit code 7)'],
      }),
      source: 'died.json',
    };
    expect(failedWorkers([ok])).toEqual([]);
    expect(failedWorkers([ok, died])).toEqual([
      'died.json: 1 load worker(s) failed, their requests are not in its counts — worker 2 of 2 (shard 1/2) died (exit code 7)',
    ]);
  });
});
