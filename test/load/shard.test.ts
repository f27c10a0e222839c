/**
 * Sharded runs on a fake clock: the union of n shards is the unsharded run, request for request
 * (tenant × status, due time), for the open model (constant, staged with a per-stage mix, ramp) and
 * the closed model with --requests.
 */
import { describe, expect, it } from 'vitest';
import type { LoadConfig } from '../../src/load/config.js';
import { runLoad } from '../../src/load/runner.js';
import { checkShardFits, parseShard, type Shard, shareOf } from '../../src/load/shard.js';
import { UsageError } from '../../src/util/errors.js';
import { fakeClient, type SentRecord } from './fake-client.js';
import { FakeClock } from './fake-clock.js';
import { testPlan } from './plan-fixture.js';

const TENANTS = [
  { clientId: 'acme', weight: 5 },
  { clientId: 'globex', weight: 2 },
  { clientId: null, weight: 1 },
];
const MIX = [
  { status: 200, weight: 85 },
  { status: 404, weight: 10 },
  { status: 500, weight: 5 },
];

/** One process's run on its own fake clock: what it sent (tenant × status) and when (ms since t0). */
async function sendsOf(
  plan: LoadConfig,
  shard?: Shard,
): Promise<{ sent: SentRecord[]; result: Awaited<ReturnType<typeof runLoad>> }> {
  const clock = new FakeClock();
  const client = fakeClient(clock, { latencyMs: 3 });
  const result = await clock.runUntil(runLoad(plan, { clock, client, shard }));
  return { sent: client.sent, result };
}

const key = (s: SentRecord) => `${s.clientId ?? '-'}|${s.status}|${s.atMs.toFixed(6)}`;
const cells = (sent: SentRecord[]) => {
  const out = new Map<string, number>();
  for (const s of sent)
    out.set(`${s.clientId ?? '-'}|${s.status}`, (out.get(`${s.clientId ?? '-'}|${s.status}`) ?? 0) + 1);
  return Object.fromEntries([...out].sort());
};

async function expectUnionEqualsWhole(plan: LoadConfig, n: number, opts: { times: boolean }) {
  const whole = await sendsOf(plan);
  const parts = [];
  for (let i = 0; i < n; i++) parts.push(await sendsOf(plan, { index: i, count: n }));
  const union = parts.flatMap((p) => p.sent);
  expect(union).toHaveLength(whole.sent.length);
  expect(cells(union)).toEqual(cells(whole.sent));
  if (opts.times) expect(union.map(key).sort()).toEqual(whole.sent.map(key).sort());
  // Each shard sends its share, and counts only its own.
  parts.forEach((p, i) => {
    expect(p.sent).toHaveLength(shareOf(whole.sent.length, { index: i, count: n }));
    expect(p.result.totals.sent).toBe(p.sent.length);
  });
  return { whole, parts };
}

describe('sharded runs: the union of the shards is the unsharded run', () => {
  it('open model, 3 shards: same requests, tenant × status, due times; each shard every 3rd request', async () => {
    const plan = testPlan({
      tenants: TENANTS,
      statusMix: MIX,
      stages: [{ durationMs: 2000, fromPerSec: 200, toPerSec: 200 }],
      durationMs: 2000,
    });
    const { whole, parts } = await expectUnionEqualsWhole(plan, 3, { times: true });
    expect(whole.sent).toHaveLength(400);
    // Shard i sends global requests i, i+3, …, at their global due times (5 ms apart at 200 req/s).
    parts.forEach((p, i) => {
      p.sent.forEach((s, k) => {
        expect(s.atMs).toBeCloseTo((i + 3 * k) * 5, 6);
      });
    });
    expect(parts.map((p) => p.result.rate.targetPerSec)).toEqual([66.667, 66.667, 66.667]);
  });

  it('open model, --requests 1000 split 4 ways (250 each), the exact status mix in the union', async () => {
    const plan = testPlan({
      tenants: TENANTS,
      statusMix: MIX,
      stages: [{ durationMs: null, fromPerSec: 400, toPerSec: 400 }],
      durationMs: null,
      requests: 1000,
    });
    const { whole, parts } = await expectUnionEqualsWhole(plan, 4, { times: true });
    expect(parts.map((p) => p.sent.length)).toEqual([250, 250, 250, 250]);
    const byStatus = (st: number) => whole.sent.filter((s) => s.status === st).length;
    expect([byStatus(200), byStatus(404), byStatus(500)]).toEqual([850, 100, 50]);
  });

  it('staged plan with a ramp and a per-stage status mix, 3 shards of an uneven count', async () => {
    const plan = testPlan({
      tenants: TENANTS,
      statusMix: MIX,
      stages: [
        { durationMs: 1000, fromPerSec: 10, toPerSec: 90 },
        {
          durationMs: 500,
          fromPerSec: 40,
          toPerSec: 40,
          statusMix: [
            { status: 503, weight: 1 },
            { status: 200, weight: 3 },
          ],
        },
      ],
      durationMs: 1500,
    });
    const { whole } = await expectUnionEqualsWhole(plan, 3, { times: true });
    expect(whole.sent).toHaveLength(70);
  });

  it('closed model with --requests: the union is the global mix of N requests; connections are split', async () => {
    const plan = testPlan({
      tenants: TENANTS,
      statusMix: MIX,
      model: 'closed',
      stages: [],
      connections: 5,
      requests: 301,
      durationMs: null,
    });
    const { parts } = await expectUnionEqualsWhole(plan, 3, { times: false });
    expect(parts.map((p) => p.sent.length)).toEqual([101, 100, 100]);
  });
});

describe('shard values', () => {
  it('parses i/n, 0-based', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/3', '1', '-1/3', '0/0', 'a/b', '1/2/3', '']) {
      expect(() => parseShard(bad)).toThrow(UsageError);
    }
    expect(() => parseShard('3/3')).toThrow(
      '--shard: expected i/n with 0 ≤ i < n ≤ 10000, like 0/4 (i is 0-based), got "3/3"',
    );
  });

  it('refuses a shard that would send nothing', () => {
    const open = testPlan({
      stages: [{ durationMs: null, fromPerSec: 10, toPerSec: 10 }],
      durationMs: null,
      requests: 2,
    });
    expect(() => checkShardFits(open, { index: 2, count: 3 })).toThrow(
      /--requests 2 over 3 shards leaves none/,
    );
    // Every shard refuses, not only the empty one: the run as a whole can never be verified.
    for (const index of [0, 1]) {
      expect(() => checkShardFits(open, { index, count: 3 })).toThrow(
        `--shard ${index}/3: --requests 2 over 3 shards leaves none for shard 2/3`,
      );
    }
    expect(() => checkShardFits(open, { index: 1, count: 2 })).not.toThrow();
    const short = testPlan({ stages: [{ durationMs: 200, fromPerSec: 10, toPerSec: 10 }], durationMs: 200 });
    expect(() => checkShardFits(short, { index: 2, count: 3 })).toThrow(/fewer than 3 requests/);
    expect(() => checkShardFits(short, { index: 0, count: 3 })).toThrow(/shard 2\/3 would send nothing/);
    const closed = testPlan({ model: 'closed', stages: [], connections: 2, requests: null });
    expect(() => checkShardFits(closed, { index: 2, count: 3 })).toThrow(
      /--connections 2 is split between 3 shards/,
    );
    expect(() => checkShardFits(closed, { index: 0, count: 3 })).toThrow(
      '--shard 0/3: --connections 2 is split between 3 shards, so shard 2/3 gets none',
    );
  });
});
