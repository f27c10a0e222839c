/** The per-second timeline of a run, on a fake clock: exact per-second counts, bounds, coarsening, and its check. */
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../src/load/runner.js';
import { TimelineRecorder } from '../../src/load/timeline.js';
import { buildManifest } from '../../src/manifest/build.js';
import { parseManifest } from '../../src/manifest/parse.js';
import { MANIFEST_SCHEMA_VERSION, type RunManifest } from '../../src/manifest/schema.js';
import { fakeClient } from './fake-client.js';
import { FakeClock } from './fake-clock.js';
import { testPlan } from './plan-fixture.js';

const sum = (m: RunManifest, f: (e: NonNullable<RunManifest['timeline']>['entries'][number]) => number) =>
  m.timeline!.entries.reduce((a, e) => a + f(e), 0);

describe('the timeline of a run (fake clock)', () => {
  it('one entry per second: target vs achieved, drops, errors by kind and latency per second', async () => {
    const clock = new FakeClock();
    // 3 s at 20/s; requests sent in the second second are slow (1475 ms): 10 of them fill the cap of
    // 10 in flight, so the next 20 due (1.5 s to 2.45 s) are dropped; from 2.5 s on they are sent again.
    const client = fakeClient(clock, {
      latencyMs: () => (clock.now() >= 1000 && clock.now() < 2000 ? 1475 : 40),
      respond: (req, i) => {
        if (i === 5) return { error: 'timeout', message: 'headers timeout' };
        if (i === 6) return { error: 'refused', message: 'ECONNREFUSED' };
        if (i === 7) return { status: 500 };
        return { status: req.status };
      },
    });
    const config = testPlan({
      stages: [{ durationMs: 3000, fromPerSec: 20, toPerSec: 20 }],
      durationMs: 3000,
      maxInflight: 10,
    });
    const result = await clock.runUntil(runLoad(config, { clock, client }));
    const m = buildManifest(config, result);
    expect(m.schemaVersion).toBe(MANIFEST_SCHEMA_VERSION);
    // It passes the reader's consistency check, timeline included.
    expect(parseManifest(JSON.parse(JSON.stringify(m)), 'm.json')).toEqual(m);

    const { bucketMs, entries } = m.timeline!;
    expect(bucketMs).toBe(1000);
    // Bounded by the run's length (3 s and the last answers: 4 entries, the last one empty).
    const runMs = Date.parse(m.endedAt) - Date.parse(m.startedAt);
    expect(entries.length).toBeLessThanOrEqual(Math.floor(runMs / 1000) + 1);
    expect(entries.map((e) => e.t)).toEqual([0, 1, 2, 3]);
    // The schedule (target) is 20 every second; drops only in the slow second.
    expect(entries.map((e) => e.scheduled)).toEqual([20, 20, 20, 0]);
    expect(entries.map((e) => e.dropped)).toEqual([0, 10, 10, 0]);
    expect(entries.map((e) => e.sent)).toEqual([20, 10, 10, 0]);
    expect(entries[0]!.errors).toEqual({ refused: 1, reset: 0, timeout: 1, statusMismatch: 1, other: 0 });
    // Sums are the totals.
    expect(sum(m, (e) => e.scheduled)).toBe(m.totals.scheduled);
    expect(sum(m, (e) => e.dropped)).toBe(m.totals.dropped);
    expect(sum(m, (e) => e.sent)).toBe(m.totals.sent);
    expect(sum(m, (e) => e.answered)).toBe(m.totals.answered);
    expect(sum(m, (e) => e.errors.timeout)).toBe(m.errors.timeout);
    // Latency per second, of the responses that came in that second: 40 ms in the first; none in the
    // second; the slow ones (1475 ms) all end in the third, next to 10 fast ones; none in the last.
    expect(entries[0]!.service).toEqual({ p50Ms: 40, p90Ms: 40, p99Ms: 40, maxMs: 40 });
    expect(entries[1]!.service).toBeNull();
    expect(entries[2]!.service!.p50Ms).toBeCloseTo(40, 0);
    expect(entries[2]!.service!.p90Ms).toBeCloseTo(1475, -1);
    expect(entries[2]!.service!.maxMs).toBe(1475);
    expect(entries[3]!.service).toBeNull();
    // Schedule-corrected includes the lateness of the sender (none here): the same as the service time.
    expect(entries[2]!.scheduleCorrected).toEqual(entries[2]!.service);
  });

  it('the closed model: scheduled = sent per second', async () => {
    const clock = new FakeClock();
    const client = fakeClient(clock, { latencyMs: 100 });
    const config = testPlan({ model: 'closed', stages: [], connections: 2, durationMs: 2000 });
    const m = buildManifest(config, await clock.runUntil(runLoad(config, { clock, client })));
    expect(parseManifest(JSON.parse(JSON.stringify(m)), 'm.json')).toEqual(m);
    const entries = m.timeline!.entries;
    expect(entries.slice(0, 2).map((e) => [e.scheduled, e.sent, e.answered])).toEqual([
      [20, 20, 18],
      [20, 20, 20],
    ]);
  });
});

describe('TimelineRecorder', () => {
  it('beyond its entry cap, doubles the bucket width: counts exact, percentiles an upper bound', () => {
    const r = new TimelineRecorder(4);
    // 10 s, one request per second answered after 10 ms, the one of second 7 after 900 ms.
    for (let s = 0; s < 10; s++) {
      const at = s * 1000;
      r.scheduled(at);
      r.sent(at);
      const latency = s === 7 ? 900 : 10;
      r.completed(at + latency, null, { serviceMs: latency, correctedMs: latency });
    }
    const t = r.finish(10_000);
    expect(t.bucketMs).toBe(4000);
    expect(t.entries.map((e) => [e.t, e.sent, e.answered])).toEqual([
      [0, 4, 4],
      [4, 4, 4],
      [8, 2, 2],
    ]);
    expect(t.entries[1]!.service!.maxMs).toBe(900);
    expect(t.entries[0]!.service!.maxMs).toBe(10);
  });
});

describe('a tampered timeline', () => {
  async function realManifest(): Promise<RunManifest> {
    const clock = new FakeClock();
    const client = fakeClient(clock, { latencyMs: 5 });
    const config = testPlan({
      stages: [{ durationMs: 2000, fromPerSec: 10, toPerSec: 10 }],
      durationMs: 2000,
    });
    return JSON.parse(
      JSON.stringify(buildManifest(config, await clock.runUntil(runLoad(config, { clock, client })))),
    );
  }

  it.each([
    [
      'one more sent in a second',
      (m: RunManifest) => m.timeline!.entries[1]!.sent++,
      /Σ timeline\.entries\[\]\.sent 21 ≠ totals\.sent 20/,
    ],
    [
      'an error moved away',
      (m: RunManifest) => m.timeline!.entries[0]!.errors.timeout++,
      /errors\.timeout 1 ≠ errors\.timeout 0/,
    ],
    ['a gap', (m: RunManifest) => (m.timeline!.entries[1]!.t = 5), /timeline\.entries\[1\]\.t 5 ≠ 1/],
    [
      'more seconds than the run lasted',
      (m: RunManifest) =>
        m.timeline!.entries.push(...m.timeline!.entries.map((e, i) => ({ ...e, t: 3 + i }))),
      /timeline: \d+ entries of 1000 ms for a run of \d+ ms/,
    ],
    [
      'latency without responses',
      (m: RunManifest) => (m.timeline!.entries.at(-1)!.service = { p50Ms: 1, p90Ms: 1, p99Ms: 1, maxMs: 1 }),
      /timeline\.entries\[2\]\.service: percentiles without responses/,
    ],
  ])('%s: refused, naming the timeline', async (_, tamper, message) => {
    const m = await realManifest();
    expect(() => parseManifest(m, 'm.json')).not.toThrow();
    tamper(m);
    expect(() => parseManifest(m, 'm.json')).toThrow(message);
  });
});
