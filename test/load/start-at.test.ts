/**
 * Aligned starts (--start-at, issue 21) on fake clocks: every process waits for the planned instant
 * on its Clock, so shards started at different times begin together; one started after the instant
 * counts what was already due as dropped and never bursts to catch up; the manifest records the
 * planned and the real start, and verify's line gives the spread of the shards' real starts.
 */
import { describe, expect, it } from 'vitest';

import type { LoadConfig } from '../../src/load/config.js';

import { runLoad } from '../../src/load/runner.js';

import type { Shard } from '../../src/load/shard.js';

import { parseStartAt } from '../../src/load/values.js';
import { buildManifest } from '../../src/manifest/build.js';

import { manifestInconsistency } from '../../src/manifest/consistency.js';
import { ValueProblem } from '../../src/util/value-problem.js';
import { shardStartSpread } from '../../src/verify/expectations.js';
import { fakeClient } from './fake-client.js';
import { FakeClock } from './fake-clock.js';
import { testPlan } from './plan-fixture.js';

/** A process whose wall clock reads `wallStart` when its monotonic clock reads 0. */
function clockAt(wallStart: number): FakeClock {
  return new (class extends FakeClock {
    override readonly wallStart = wallStart;
  })();
}

const T = Date.UTC(2026, 11, 3, 10, 0, 0);

function plan(startAt: number | undefined, durationMs = 1000): LoadConfig {
  return testPlan({
    stages: [{ durationMs, fromPerSec: 200, toPerSec: 200 }],
    durationMs,
    ...(startAt !== undefined ? { startAt } : {}),
  });
}

async function runOn(clock: FakeClock, config: LoadConfig, shard?: Shard) {
  const client = fakeClient(clock, { latencyMs: 2 });
  const result = await clock.runUntil(runLoad(config, { clock, client, shard }));
  // Each send as the wall-clock instant it happened at.
  return { result, sentWall: client.sent.map((s) => clock.wallStart + s.atMs), client };
}

describe('--start-at: aligned starts', () => {
  it('shards started at different times wait for the instant and begin together, on time', async () => {
    const config = plan(T);
    const a = await runOn(clockAt(T - 700), config, { index: 0, count: 2 });
    const b = await runOn(clockAt(T - 30), config, { index: 1, count: 2 });
    // Shard 0 sends request 0 at T, shard 1 request 1 at T + 5 ms (200 req/s): the global schedule.
    expect(a.sentWall[0]).toBe(T);
    expect(b.sentWall[0]).toBe(T + 5);
    for (const r of [a.result, b.result]) {
      expect(r.startedAt).toBe(new Date(T).toISOString());
      expect(r.plannedStartAt).toBe(new Date(T).toISOString());
      expect(r.startLateMs).toBe(0);
      expect(r.totals.dropped).toBe(0);
      expect(r.totals.sent).toBe(100);
    }
  });

  it('a process started after the instant skips what is past (dropped, never a burst) and sends the rest on time', async () => {
    const lateBy = 2250;
    const config = plan(T, 3000);
    const { result, sentWall } = await runOn(clockAt(T + lateBy), config);
    // 200 req/s for 3 s: the 450 requests due in the first 2.25 s are dropped, the other 150 sent.
    expect(result.totals.dropped).toBe(450);
    expect(result.totals.sent).toBe(150);
    expect(result.totals.scheduled).toBe(600);
    expect(sentWall[0]).toBe(T + lateBy);
    // No catch-up burst: every request went out at its own due time.
    expect(sentWall.map((w, i) => w - (T + lateBy + i * 5))).toEqual(sentWall.map(() => 0));
    expect(result.latency.sendLateness?.maxMs).toBe(0);
    expect(result.startLateMs).toBe(lateBy);
    expect(result.startedAt).toBe(new Date(T + lateBy).toISOString());
    expect(result.endedAt).toBe(new Date(T + 3000).toISOString());
    const manifest = buildManifest(config, result);
    // The timeline runs from the planned start (its first seconds: the dropped requests), and the
    // manifest with it is consistent: verify reads it.
    expect(result.timeline!.entries[0]!.dropped).toBe(200);
    expect(manifestInconsistency(manifest)).toBeUndefined();
    expect(manifest).toMatchObject({
      plannedStartAt: new Date(T).toISOString(),
      startLateMs: lateBy,
      startedAt: new Date(T + lateBy).toISOString(),
    });
  });

  it('without --start-at nothing waits and the manifest has no planned start', async () => {
    const { result, sentWall } = await runOn(clockAt(T + 5000), plan(undefined));
    expect(sentWall[0]).toBe(T + 5000);
    expect(result.totals.dropped).toBe(0);
    expect(result.plannedStartAt).toBeUndefined();
    expect(buildManifest(plan(undefined), result)).not.toHaveProperty('plannedStartAt');
  });

  it("verify's line gives the spread of the shards' real starts and how late the latest was", async () => {
    const config = plan(T);
    const runs = [
      await runOn(clockAt(T - 100), config, { index: 0, count: 3 }),
      await runOn(clockAt(T + 40), config, { index: 1, count: 3 }),
      await runOn(clockAt(T + 12), config, { index: 2, count: 3 }),
    ];
    const manifests = runs.map((r, i) => ({
      manifest: buildManifest(config, r.result, undefined, { index: i, count: 3 }),
      source: `shard-${i}-of-3.json`,
    }));
    expect(shardStartSpread(manifests)).toBe(
      `the 3 shards' real starts spread over 40 ms (first shard 0/3 at ${new Date(T).toISOString()}, last shard 1/3); planned start ${new Date(T).toISOString()}, the latest shard 40 ms late for it`,
    );
    expect(shardStartSpread(manifests.slice(0, 1))).toBeUndefined();
  });

  it('parses an RFC 3339 time with a zone; anything else names what is allowed', () => {
    expect(parseStartAt('2026-12-03T10:00:00Z')).toBe(T);
    expect(parseStartAt('2026-12-03T11:00:00.250+01:00')).toBe(T + 250);
    for (const bad of ['2026-12-03T10:00:00', '10:00', 'tomorrow', '2026-13-03T10:00:00Z', '']) {
      expect(() => parseStartAt(bad), bad).toThrow(ValueProblem);
    }
    expect(() => parseStartAt('10:00')).toThrow('expected an RFC 3339 time with a zone');
  });
});
