/**
 * `load --workers N` with real worker processes (dist/load/worker-entry.js, built by `npm run
 * build`) against a real loopback HTTP server that counts what reaches it: the merged result is the
 * run one process would have sent (same tenant × status cells, every request counted at the server),
 * progress sums the workers, a stop reaches every worker, and a dying worker fails the run while
 * every other worker's part is kept.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadConfig } from '../../src/load/config.js';
import type { LoadProgress } from '../../src/load/runner.js';
import { runLoad } from '../../src/load/runner.js';
import { shareOf } from '../../src/load/shard.js';
import { checkWorkersFit, parseWorkers, runWorkers, workerShard } from '../../src/load/workers.js';
import { buildManifest } from '../../src/manifest/build.js';
import { manifestInconsistency } from '../../src/manifest/consistency.js';
import { UsageError } from '../../src/util/errors.js';
import { type CountingServer, startCountingServer } from '../helpers/counting-server.js';
import { fakeClient } from './fake-client.js';
import { FakeClock } from './fake-clock.js';
import { testPlan } from './plan-fixture.js';

const ROOT = join(import.meta.dirname, '../..');
const ENTRY = join(ROOT, 'dist/load/worker-entry.js');
const DYING = join(import.meta.dirname, 'fixtures/dying-worker.mjs');

let server: CountingServer;
beforeAll(async () => {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first (npm test does)`);
  server = await startCountingServer();
});
afterAll(() => server.close());

function plan(over: Partial<LoadConfig> = {}): LoadConfig {
  return testPlan({
    target: `${server.url}/api`,
    tenants: [
      { clientId: 'acme', weight: 5 },
      { clientId: 'globex', weight: 2 },
      { clientId: null, weight: 1 },
    ],
    statusMix: [
      { status: 200, weight: 85 },
      { status: 404, weight: 10 },
      { status: 500, weight: 5 },
    ],
    stages: [{ durationMs: 1000, fromPerSec: 400, toPerSec: 400 }],
    durationMs: 1000,
    ...over,
  });
}

/** tenant|status → requests scheduled, of a result. */
const cells = (r: {
  tenants: { clientId: string | null; byStatus: { status: number; sent: number; dropped: number }[] }[];
}) =>
  Object.fromEntries(
    r.tenants
      .flatMap((t) => t.byStatus.map((c) => [`${t.clientId ?? '-'}|${c.status}`, c.sent + c.dropped]))
      .sort(),
  );

describe('load --workers: real worker processes, merged as one', () => {
  it('worker j of N sends shard (i + n·j)/(n·N) of this process shard i/n', () => {
    expect([0, 1, 2].map((j) => workerShard(undefined, j, 3))).toEqual([
      { index: 0, count: 3 },
      { index: 1, count: 3 },
      { index: 2, count: 3 },
    ]);
    expect([0, 1].map((j) => workerShard({ index: 1, count: 4 }, j, 2))).toEqual([
      { index: 1, count: 8 },
      { index: 5, count: 8 },
    ]);
  });

  it('2 workers: one result with the cells of the one-process run, every request at the server, progress summed', async () => {
    server.reset();
    const config = plan();
    const progress: LoadProgress[] = [];
    const { result, failures } = await runWorkers(config, {
      workers: 2,
      entry: ENTRY,
      progressIntervalMs: 250,
      onProgress: (p) => progress.push(p),
    });
    expect(failures).toEqual([]);
    // The same run on one process (fake clock, fake client): the same requests, tenant × status.
    const clock = new FakeClock();
    const one = await clock.runUntil(runLoad(config, { clock, client: fakeClient(clock) }));
    expect(cells(result!)).toEqual(cells(one));
    expect(result!.totals.scheduled).toBe(400);
    expect(result!.totals.sent + result!.totals.dropped).toBe(400);
    expect(result!.totals.answered + result!.totals.mismatched).toBe(server.requests);
    expect(result!.latency.service.count).toBe(result!.totals.answered + result!.totals.mismatched);
    expect(result!.latency.sendLateness!.count).toBe(result!.totals.sent);
    expect(result!.rate.targetPerSec).toBe(400);
    expect(result!.interrupted).toBe(false);
    expect(result!.workers).toBe(2);
    const timelineSent = result!.timeline!.entries.reduce((a, e) => a + e.sent, 0);
    expect(timelineSent).toBe(result!.totals.sent);
    // One manifest of it is consistent (counts, latency counts, timeline): verify reads it.
    expect(manifestInconsistency(buildManifest(config, result!))).toBeUndefined();
    // Progress covers both workers: the target is the whole rate, not one worker's half.
    expect(progress.length).toBeGreaterThan(0);
    // (null once the schedule is over, as for one process)
    expect(progress.every((p) => p.targetPerSec === 400 || p.targetPerSec === null)).toBe(true);
    expect(progress.filter((p) => p.targetPerSec === 400).length).toBeGreaterThan(0);
  });

  it('within a shard of its own (--shard 1/2 --workers 2): the shard share, split again', async () => {
    server.reset();
    const config = plan({
      requests: 301,
      stages: [{ durationMs: null, fromPerSec: 600, toPerSec: 600 }],
      durationMs: null,
    });
    const { result, failures } = await runWorkers(config, {
      workers: 2,
      shard: { index: 1, count: 2 },
      entry: ENTRY,
    });
    expect(failures).toEqual([]);
    expect(result!.totals.scheduled).toBe(shareOf(301, { index: 1, count: 2 }));
    // The requests of shard 1/2 run by one process, tenant × status for tenant × status.
    const clock = new FakeClock();
    const one = await clock.runUntil(
      runLoad(config, { clock, client: fakeClient(clock), shard: { index: 1, count: 2 } }),
    );
    expect(cells(result!)).toEqual(cells(one));
  });

  it('a stop reaches every worker: the run ends early, interrupted, with both parts merged', async () => {
    server.reset();
    const stop = new AbortController();
    const config = plan({
      stages: [{ durationMs: 30_000, fromPerSec: 200, toPerSec: 200 }],
      durationMs: 30_000,
    });
    let stopped = false;
    const { result, failures } = await runWorkers(config, {
      workers: 2,
      entry: ENTRY,
      signal: stop.signal,
      progressIntervalMs: 200,
      onProgress: (p) => {
        if (!stopped && p.sent >= 100) {
          stopped = true;
          stop.abort();
        }
      },
    });
    expect(failures).toEqual([]);
    expect(result!.interrupted).toBe(true);
    expect(result!.totals.sent).toBeGreaterThanOrEqual(100);
    expect(result!.totals.sent).toBeLessThan(2000);
    // The counting server answers 200 to everything: the 404/500 asked for come back mismatched.
    expect(result!.totals.answered + result!.totals.mismatched).toBe(server.requests);
  });

  it.each([
    ['exits (code 7)', 'exit', /^worker 2 of 2 \(shard 1\/2\) died \(exit code 7\) before reporting: /],
    [
      'breaks the protocol',
      'garbage',
      /^worker 2 of 2 \(shard 1\/2\) sent a message that is not of the protocol: .*; its requests are not in the result/,
    ],
    [
      'reports that its run failed, then exits 1',
      'failed',
      /^worker 2 of 2 \(shard 1\/2\) failed: the run threw: on purpose; its requests are not in the result/,
    ],
  ])(
    'a worker that %s stops its sibling at once: exit-1 failure, the sibling part kept, the dead one last known',
    async (_, how, named) => {
      server.reset();
      process.env.OTELPOC_TEST_DIE_SHARDS = '1';
      process.env.OTELPOC_TEST_DIE_AFTER_MS = '600';
      process.env.OTELPOC_TEST_DIE_HOW = how;
      try {
        // 20 s planned: the run must end within a few seconds of the death, not at the schedule's end.
        const config = plan({
          stages: [{ durationMs: 20_000, fromPerSec: 200, toPerSec: 200 }],
          durationMs: 20_000,
        });
        const t0 = Date.now();
        const { result, failures } = await runWorkers(config, {
          workers: 2,
          entry: DYING,
          progressIntervalMs: 100,
        });
        expect(Date.now() - t0).toBeLessThan(8000);
        expect(failures).toHaveLength(1);
        expect(failures[0]).toMatch(named);
        expect(failures[0]).toMatch(
          /last known \(its progress at \d+\.\d s, not in the totals\): \d+ scheduled, \d+ sent/,
        );
        // Worker 1's part up to its stop: sent and answered, far short of its 2000 (the server
        // answers 200 to everything: 404/500 asked for come back mismatched).
        expect(result!.totals.sent).toBeGreaterThan(20);
        expect(result!.totals.sent).toBeLessThan(1000);
        expect(result!.totals.answered + result!.totals.mismatched).toBe(result!.totals.sent);
        // What the dead worker sent reached the server too, but is not in the result.
        expect(server.requests).toBeGreaterThan(result!.totals.sent);
        // Not an interruption (exit 130) but a failure the result and its manifest name.
        expect(result!.interrupted).toBe(false);
        expect(result!.workerFailures).toEqual(failures);
        const lost = result!.lostWorkers!;
        expect(lost).toHaveLength(1);
        expect(lost[0]!.worker).toBe('worker 2 of 2 (shard 1/2)');
        expect(lost[0]!.lastKnown!.sent).toBeGreaterThan(0);
        const manifest = buildManifest(plan(), result!);
        expect(manifest.workerFailures).toEqual(failures);
        expect(manifest.lostWorkers).toEqual(lost);
      } finally {
        delete process.env.OTELPOC_TEST_DIE_SHARDS;
        delete process.env.OTELPOC_TEST_DIE_AFTER_MS;
        delete process.env.OTELPOC_TEST_DIE_HOW;
      }
    },
  );

  it('a worker that dies before any progress reached the parent: named as lost', async () => {
    server.reset();
    process.env.OTELPOC_TEST_DIE_SHARDS = '0';
    process.env.OTELPOC_TEST_DIE_AFTER_MS = '50';
    try {
      const config = plan({
        stages: [{ durationMs: 20_000, fromPerSec: 200, toPerSec: 200 }],
        durationMs: 20_000,
      });
      const { result, failures } = await runWorkers(config, { workers: 2, entry: DYING });
      expect(failures).toEqual([
        'worker 1 of 2 (shard 0/2) died (exit code 7) before reporting: its requests are not in the result, and no progress of it reached this process: its part is lost',
      ]);
      expect(result!.lostWorkers).toEqual([
        {
          worker: 'worker 1 of 2 (shard 0/2)',
          why: 'worker 1 of 2 (shard 0/2) died (exit code 7)',
          lastKnown: null,
        },
      ]);
      expect(result!.totals.sent).toBeLessThan(1000);
    } finally {
      delete process.env.OTELPOC_TEST_DIE_SHARDS;
      delete process.env.OTELPOC_TEST_DIE_AFTER_MS;
    }
  });
});

describe('--workers values', () => {
  it('auto is the cores, minus one for an in-process server, at least 1; a bad value names what is allowed', () => {
    expect(parseWorkers('auto', { serveInProcess: false, cores: 16 })).toBe(16);
    expect(parseWorkers('auto', { serveInProcess: true, cores: 16 })).toBe(15);
    expect(parseWorkers('auto', { serveInProcess: true, cores: 1 })).toBe(1);
    expect(parseWorkers('3', { serveInProcess: false })).toBe(3);
    for (const bad of ['0', '-1', '2.5', 'many', '', '257']) {
      expect(() => parseWorkers(bad, { serveInProcess: false }), bad).toThrow(UsageError);
    }
    expect(() => parseWorkers('0', { serveInProcess: false })).toThrow(
      '--workers: expected an integer from 1 to 256, or "auto"',
    );
  });

  it('refuses a split in which a worker would get nothing, before anything is sent', () => {
    const closed = testPlan({
      model: 'closed',
      stages: [],
      connections: 3,
      requests: null,
      durationMs: 1000,
    });
    expect(() => checkWorkersFit(closed, undefined, 3)).not.toThrow();
    expect(() => checkWorkersFit(closed, undefined, 4)).toThrow(
      /--workers 4: each worker sends one shard of the run/,
    );
    expect(() => checkWorkersFit(closed, { index: 0, count: 2 }, 2)).toThrow(/--connections 3/);
  });
});
