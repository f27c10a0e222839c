/** The load runner on a fake clock and a fake client: exact schedules, ramp shape, drops, closed model, abort. */
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { formatProgress } from '../../src/cli/render/progress.js';
import { constantRate, type LoadConfig } from '../../src/load/config.js';
import { LoadResultSchema } from '../../src/load/result.js';
import { type LoadDeps, type LoadProgress, runLoad } from '../../src/load/runner.js';
import { arrivals } from '../../src/load/schedule.js';
import { buildManifest } from '../../src/manifest/build.js';
import { ManifestSchema, type RunManifest } from '../../src/manifest/schema.js';
import { fakeClient } from './fake-client.js';
import { FakeClock } from './fake-clock.js';
import { testPlan } from './plan-fixture.js';

/** runLoad, then the manifest of its result: the engine returns plain data, the builder records it. */
async function manifestOf(config: LoadConfig, deps: LoadDeps): Promise<RunManifest> {
  const result = await runLoad(config, deps);
  expect(LoadResultSchema.strict().parse(result)).toEqual(result);
  return buildManifest(config, result);
}

function checkSums(m: RunManifest): void {
  expect(ManifestSchema.parse(m)).toEqual(m);
  for (const t of m.tenants) {
    for (const c of t.byStatus) expect(c.sent).toBe(c.answered + c.mismatched + c.unanswered + c.refused);
  }
  const t = m.totals;
  expect(t.scheduled).toBe(t.sent + t.dropped);
  expect(t.sent).toBe(t.answered + t.mismatched + t.unanswered + t.refused);
}

describe('arrivals', () => {
  it('constant rate: request i at exactly i × period', () => {
    const times = [...arrivals([{ durationMs: 1000, fromPerSec: 50, toPerSec: 50 }])].map((a) => a.atMs);
    expect(times).toHaveLength(50);
    times.forEach((t, i) => {
      expect(t).toBeCloseTo(i * 20, 9);
    });
  });

  it('linear ramp 0 → 100 over 10 s: per-second counts follow the integral (5, 15, …, 95)', () => {
    const list = [...arrivals([{ durationMs: 10_000, fromPerSec: 0, toPerSec: 100 }])];
    expect(list).toHaveLength(500);
    const perSecond = Array.from(
      { length: 10 },
      (_, s) => list.filter((a) => Math.floor(a.atMs / 1000) === s).length,
    );
    expect(perSecond).toEqual([5, 15, 25, 35, 45, 55, 65, 75, 85, 95]);
    for (let i = 1; i < list.length; i++) expect(list[i]!.atMs).toBeGreaterThan(list[i - 1]!.atMs);
  });

  it('stages chain without gaps: a spike stage, a zero-rate pause, and stage indexes', () => {
    const list = [
      ...arrivals([
        { durationMs: 1000, fromPerSec: 10, toPerSec: 10 },
        { durationMs: 500, fromPerSec: 100, toPerSec: 100 },
        { durationMs: 1000, fromPerSec: 0, toPerSec: 0 },
        { durationMs: 1000, fromPerSec: 4, toPerSec: 4 },
      ]),
    ];
    expect(list.filter((a) => a.stage === 0)).toHaveLength(10);
    expect(list.filter((a) => a.stage === 1)).toHaveLength(50);
    expect(list.filter((a) => a.stage === 2)).toHaveLength(0);
    const last = list.filter((a) => a.stage === 3);
    expect(last.map((a) => a.atMs)).toEqual([2500, 2750, 3000, 3250]);
  });

  it('ramp down 100 → 0 schedules the same 500 requests, denser first', () => {
    const list = [...arrivals([{ durationMs: 10_000, fromPerSec: 100, toPerSec: 0 }])];
    expect(list).toHaveLength(500);
    expect(list.filter((a) => a.atMs < 1000)).toHaveLength(95);
  });
});

describe('runLoad (open model, fake clock)', () => {
  it('sends exactly rate × duration requests, each at its scheduled time, and counts them', async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock, { latencyMs: 7 });
    const m = await clock.runUntil(manifestOf(testPlan(), { clock, client }));
    expect(client.sent).toHaveLength(100);
    client.sent.forEach((s, i) => {
      expect(s.atMs).toBeCloseTo(i * 10, 6);
    });
    expect(m.totals).toEqual({
      scheduled: 100,
      dropped: 0,
      sent: 100,
      answered: 100,
      mismatched: 0,
      unanswered: 0,
      refused: 0,
    });
    expect(m.rate).toEqual({ targetPerSec: 100, achievedPerSec: 100 });
    expect(m.latency.service.p50Ms).toBeCloseTo(7, 1); // HDR, 3 significant digits
    expect(m.latency.sendLateness?.maxMs).toBe(0);
    expect(m.interrupted).toBe(false);
    expect(m.startedAt).toBe(new Date(clock.wallStart).toISOString());
    checkSums(m);
  });

  it('--requests bounds the run exactly, even with a long duration', async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock);
    const plan = testPlan({
      requests: 37,
      durationMs: 60_000,
      stages: [{ durationMs: 60_000, fromPerSec: 100, toPerSec: 100 }],
    });
    const m = await clock.runUntil(manifestOf(plan, { clock, client }));
    expect(client.sent).toHaveLength(37);
    expect(m.totals.scheduled).toBe(37);
    expect(m.rate.achievedPerSec).toBe(100);
    expect(clock.now()).toBeLessThan(1000);
  });

  it('drops (and counts) requests due while max-inflight are in flight; never delays them', async () => {
    const clock = new FakeClock();
    // Nothing answers for 2 s: the first 5 fill the cap, the other 95 due in the 1 s window are dropped.
    const client = fakeClient(clock, { latencyMs: 2000 });
    const plan = testPlan({
      maxInflight: 5,
      tenants: [
        { clientId: 'a', weight: 1 },
        { clientId: 'b', weight: 1 },
      ],
    });
    const m = await clock.runUntil(manifestOf(plan, { clock, client }));
    expect(client.sent.map((s) => s.atMs)).toEqual([0, 10, 20, 30, 40]);
    expect(m.totals).toMatchObject({ scheduled: 100, sent: 5, dropped: 95, answered: 5 });
    // The mix stays exact over scheduled requests, dropped ones included.
    expect(m.tenants.map((t) => t.byStatus[0]!.sent + t.byStatus[0]!.dropped)).toEqual([50, 50]);
    expect(m.tenants.map((t) => t.byStatus[0]!.dropped)).toEqual([47, 48]);
    checkSums(m);
  });

  it('frees the cap as responses come back: steady state with latency 30 ms and cap 3 drops exactly 0', async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock, { latencyMs: 25 });
    const m = await clock.runUntil(manifestOf(testPlan({ maxInflight: 3 }), { clock, client }));
    expect(m.totals.dropped).toBe(0);
    expect(m.totals.sent).toBe(100);
  });

  it('ramp: sends follow the ramp shape second by second', async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock, { latencyMs: 1 });
    const plan = testPlan({ stages: [{ durationMs: 4000, fromPerSec: 0, toPerSec: 100 }], durationMs: 4000 });
    const m = await clock.runUntil(manifestOf(plan, { clock, client }));
    const perSecond = [0, 1, 2, 3].map(
      (s) => client.sent.filter((x) => Math.floor(x.atMs / 1000) === s).length,
    );
    expect(perSecond).toEqual([13, 37, 63, 87]); // integral of 25t: 12.5, 37.5, 62.5, 87.5
    expect(m.totals.sent).toBe(200);
    expect(m.rate.targetPerSec).toBe(50);
    expect(constantRate(m.config)).toBeNull();
  });

  it('classifies outcomes per tenant × status: mismatched, timeouts, refused; receivedByStatus by actual status', async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock, {
      respond: (req, i) => {
        if (i % 10 === 1) return { error: 'timeout', message: 'headers timeout' };
        if (i % 10 === 2) return { error: 'refused', message: 'ECONNREFUSED' };
        if (i % 10 === 3) return { error: 'reset', message: 'ECONNRESET' };
        if (req.status === 404 && i % 10 === 5) return { status: 502 };
        return { status: req.status };
      },
    });
    const plan = testPlan({
      requests: 100,
      statusMix: [
        { status: 200, weight: 1 },
        { status: 404, weight: 1 },
      ],
    });
    const m = await clock.runUntil(manifestOf(plan, { clock, client }));
    expect(m.errors).toEqual({ refused: 10, reset: 10, timeout: 10, statusMismatch: 10, other: 0 });
    expect(m.totals).toMatchObject({ sent: 100, answered: 60, mismatched: 10, unanswered: 20, refused: 10 });
    const [t] = m.tenants;
    expect(t!.receivedByStatus).toEqual({ '200': 40, '404': 20, '502': 10 });
    const c404 = t!.byStatus.find((c) => c.status === 404)!;
    expect(c404).toMatchObject({ sent: 50, answered: 20, mismatched: 10 });
    checkSums(m);
  });

  it('reports progress on the clock', async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock);
    const seen: number[] = [];
    const plan = testPlan({ durationMs: 3000, stages: [{ durationMs: 3000, fromPerSec: 10, toPerSec: 10 }] });
    await clock.runUntil(manifestOf(plan, { clock, client, onProgress: (p) => seen.push(p.sent) }));
    expect(seen).toEqual([10, 20, 30]);
  });

  it("a ramp: progress sets the last second's rate against the rate due now, not the run average", async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock);
    const seen: LoadProgress[] = [];
    const plan = testPlan({
      durationMs: 13_000,
      stages: [
        { durationMs: 10_000, fromPerSec: 0, toPerSec: 200 },
        { durationMs: 3000, fromPerSec: 200, toPerSec: 200 },
      ],
    });
    await clock.runUntil(manifestOf(plan, { clock, client, onProgress: (p) => seen.push(p) }));
    const at = (s: number) => seen.find((p) => p.elapsedMs === s * 1000)!;
    // Mid-ramp: 90 requests were due in second 5 (the integral of 80 → 100 req/s); the target is 100.
    expect(at(5)).toMatchObject({ currentPerSec: 90, targetPerSec: 100 });
    // On the plateau: 200 of 200, while the whole-run average is still far below.
    expect(at(12)).toMatchObject({ currentPerSec: 200, targetPerSec: 200 });
    expect(at(12).achievedPerSec).toBeCloseTo(1400 / 12, 6);
    const line = formatProgress(at(12), new Chalk({ level: 0 }));
    expect(line).toContain('200/200 req/s');
  });

  it('abort: stops scheduling, waits for in-flight, marks the manifest interrupted', async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock, { latencyMs: 100 });
    const ac = new AbortController();
    const plan = testPlan({
      durationMs: 10_000,
      stages: [{ durationMs: 10_000, fromPerSec: 100, toPerSec: 100 }],
    });
    const run = manifestOf(plan, { clock, client, signal: ac.signal });
    await clock.advance(495);
    ac.abort();
    const m = await clock.runUntil(run);
    expect(m.interrupted).toBe(true);
    expect(m.totals.scheduled).toBe(50);
    expect(m.totals.answered).toBe(50); // in-flight ones were waited for
    expect(client.closed).toBe(true);
    checkSums(m);
  });
});

describe('runLoad (closed model, fake clock)', () => {
  it('runs `connections` loops back to back, bounded by --requests', async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock, { latencyMs: 10 });
    const plan = testPlan({ model: 'closed', stages: [], connections: 4, requests: 100, durationMs: null });
    const m = await clock.runUntil(manifestOf(plan, { clock, client }));
    expect(client.sent).toHaveLength(100);
    // 4 at a time, every 10 ms.
    expect(client.sent.filter((s) => s.atMs === 0)).toHaveLength(4);
    expect(client.sent.at(-1)!.atMs).toBe(240);
    expect(m.config).toMatchObject({ model: 'closed', connections: 4 });
    expect(constantRate(m.config)).toBeNull();
    expect(m.latency.sendLateness).toBeUndefined();
    checkSums(m);
  });

  it('bounded by duration', async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock, { latencyMs: 10 });
    const plan = testPlan({ model: 'closed', stages: [], connections: 2, durationMs: 1000 });
    const m = await clock.runUntil(manifestOf(plan, { clock, client }));
    expect(m.totals.sent).toBe(200);
    expect(m.rate.achievedPerSec).toBe(200);
  });
});
