/**
 * `load --workers 2` against real processes: the parent bin/otelpoc and its two forked workers,
 * loading a counting server on loopback (every request counted where it arrives). The workers'
 * parts merge into one manifest and one summary as if one process had sent everything; a SIGINT to
 * the parent alone (twice, too) stops every worker gracefully with every part in the manifest,
 * exit 130; a worker killed with SIGKILL stops the others at once (as a first Ctrl-C) and fails the
 * run (exit 1 naming it), and the manifest keeps the others' parts and the dead one's last
 * counts. Every load is bounded in count or time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import { type CliProcess, runCli, spawnCli } from '../helpers/cli.js';
import { type CountingServer, startCountingServer } from '../helpers/counting-server.js';

const readManifest = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as RunManifest;

/** The pids of a process's children (the load workers). */
function childrenOf(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are none (yet)
  }
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => n > 0);
}

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Per tenant × status: what was sent, the part of a manifest one process's run must equal. */
const sentByTenant = (m: RunManifest) =>
  Object.fromEntries(
    Object.entries(m.tenants).map(([t, v]) => [
      t,
      Object.fromEntries(Object.entries(v.byStatus).map(([s, c]) => [s, c.sent])),
    ]),
  );

describe('load --workers 2: real worker processes', () => {
  let server: CountingServer;
  /** Slow answers: a graceful stop waits for those in flight, so a second signal arrives during it. */
  let slow: CountingServer;
  let dir: string;
  let proc: CliProcess | undefined;
  beforeAll(async () => {
    server = await startCountingServer();
    slow = await startCountingServer({ delayMs: 2000 });
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-workers-'));
  });
  beforeEach(() => {
    server.reset();
    slow.reset();
  });
  afterEach(() => {
    proc?.kill('SIGKILL');
    proc = undefined;
  });
  afterAll(async () => {
    await server?.close();
    await slow?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const loadArgs = (runId: string, rest: string[], target = server) => [
    'load',
    '--target',
    target.url,
    '--run-id',
    runId,
    '--out',
    join(dir, `${runId}.json`),
    ...rest,
  ];

  it('merges into one manifest and one summary, as if one process had sent everything', async () => {
    const args = ['--rps', '200', '--requests', '300'];
    const one = await runCli(loadArgs('workers-one', [...args, '--quiet']));
    expect(one.code, one.stderr).toBe(0);
    expect(server.requests).toBe(300);
    server.reset();
    const two = await runCli(loadArgs('workers-two', [...args, '--workers', '2']));
    expect(two.code, two.stderr).toBe(0);
    const m = await readManifest(join(dir, 'workers-two.json'));
    expect(m.workers).toBe(2);
    expect(m.workerFailures).toBeUndefined();
    expect(m.totals.sent).toBe(300);
    expect(server.requests).toBe(300);
    // The same tenant × status mix, request for request, as the one-process run.
    expect(sentByTenant(m)).toEqual(sentByTenant(await readManifest(join(dir, 'workers-one.json'))));
    // One summary: one header (naming the workers), one total row.
    expect(two.stdout.match(/otelpoc load /g)).toHaveLength(1);
    expect(two.stdout).toMatch(/ · open model · 2 workers\n/);
    expect(two.stdout.match(/^total\s+300\s/gm)).toHaveLength(1);
  });

  it.each([
    ['once', 1],
    ['twice, 300 ms apart (the second keeps the graceful stop)', 2],
  ])(
    'SIGINT to the parent %s reaches every worker: every part in the manifest, exit 130',
    async (_, times) => {
      const runId = `workers-sigint-${times}`;
      proc = spawnCli(loadArgs(runId, ['--rps', '100', '--duration', '60s', '--workers', '2'], slow));
      const pid = proc.child.pid!;
      await until('both workers and 20 requests', () => slow.requests >= 20 && childrenOf(pid).length === 2);
      for (let i = 0; i < times; i++) {
        if (i > 0) await sleep(300);
        proc.kill('SIGINT');
      }
      const r = await proc.exited;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/otelpoc: interrupted; partial manifest written to /);
      if (times > 1) expect(r.stderr).toMatch(/SIGINT again within 2 s: taken as the same request/);
      expect(r.stderr).not.toMatch(/stopping now|died/);
      const m = await readManifest(join(dir, `${runId}.json`));
      expect(m.interrupted).toBe(true);
      expect(m.workers).toBe(2);
      expect(m.workerFailures).toBeUndefined();
      // Every request that reached the server is in the manifest: both workers' parts.
      expect(m.totals.sent).toBe(slow.requests);
      // The graceful stop waited for the slow answers: every request sent was answered.
      expect(m.totals.unanswered).toBe(0);
      expect(m.totals.sent).toBeGreaterThanOrEqual(20);
    },
  );

  it("a worker killed (SIGKILL) stops its sibling: the run ends long before its 60 s, exit 1 naming it, the sibling's part and the dead one's last counts in the manifest", async () => {
    const runId = 'workers-killed';
    proc = spawnCli(loadArgs(runId, ['--rps', '100', '--duration', '60s', '--workers', '2', '--quiet']));
    const pid = proc.child.pid!;
    // 1.5 s in: each worker has reported its progress (every second) at least once.
    await until(
      'both workers and 150 requests',
      () => server.requests >= 150 && childrenOf(pid).length === 2,
    );
    const killedAt = Date.now();
    process.kill(childrenOf(pid)[0]!, 'SIGKILL');
    const r = await proc.exited;
    // The sibling's graceful stop (drain bounded by the request timeout), not the 58 s left.
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /otelpoc: 1 of 2 load workers failed; the manifest \(.*workers-killed\.json\) holds the others' parts:/,
    );
    expect(r.stderr).toMatch(
      /worker [12] of 2 \(shard [01]\/2\) died \(signal SIGKILL\) before reporting: its requests are not in the result; last known \(its progress at /,
    );
    expect(r.stderr).not.toMatch(/interrupted/);
    const m = await readManifest(join(dir, `${runId}.json`));
    expect(m.interrupted).toBe(false);
    expect(m.workerFailures).toHaveLength(1);
    expect(m.workers).toBe(2);
    expect(m.lostWorkers).toHaveLength(1);
    expect(m.lostWorkers![0]!.why).toMatch(/died \(signal SIGKILL\)/);
    expect(m.lostWorkers![0]!.lastKnown!.sent).toBeGreaterThan(0);
    // The survivor's part, all counted, about half of what reached the server; the dead one's are not in it.
    expect(m.totals.sent).toBeGreaterThan(50);
    expect(m.totals.sent).toBeLessThan(server.requests);
    expect(m.totals.sent).toBeLessThan(3000);
  });

  it('SIGINT twice during the stop a dead worker started: the signals work as ever (exit 130, the death still named in the manifest)', async () => {
    const runId = 'workers-killed-then-sigint';
    proc = spawnCli(loadArgs(runId, ['--rps', '100', '--duration', '60s', '--workers', '2'], slow));
    const pid = proc.child.pid!;
    await until('both workers and 20 requests', () => slow.requests >= 20 && childrenOf(pid).length === 2);
    process.kill(childrenOf(pid)[0]!, 'SIGKILL');
    // The sibling drains answers that take 2 s: the signals arrive during its stop.
    await sleep(300);
    proc.kill('SIGINT');
    await sleep(300);
    proc.kill('SIGINT');
    const r = await proc.exited;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/SIGINT again within 2 s: taken as the same request/);
    expect(r.stderr).toMatch(/otelpoc: interrupted; partial manifest written to /);
    const m = await readManifest(join(dir, `${runId}.json`));
    expect(m.interrupted).toBe(true);
    expect(m.workerFailures).toHaveLength(1);
    expect(m.totals.unanswered).toBe(0);
  });

  it("run --workers 2: the workers load run's own server, verified exact in process; a killed worker → exit 1 naming it, nothing verified", async () => {
    const ok = await runCli([
      'run',
      '--embedded',
      '--workers',
      '2',
      '--requests',
      '120',
      '--rps',
      '60',
      '--out',
      join(dir, 'run-ok.json'),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/PASS run /);
    expect((await readManifest(join(dir, 'run-ok.json'))).workers).toBe(2);

    proc = spawnCli([
      'run',
      '--embedded',
      '--workers',
      '2',
      '--rps',
      '50',
      '--duration',
      '5s',
      '--quiet',
      '--out',
      join(dir, 'run-killed.json'),
    ]);
    const pid = proc.child.pid!;
    await until('both workers', () => childrenOf(pid).length === 2);
    await sleep(1000);
    process.kill(childrenOf(pid)[1]!, 'SIGKILL');
    const r = await proc.exited;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /otelpoc: 1 of 2 load workers failed; the manifest \(.*run-killed\.json\) holds the others' parts:/,
    );
    expect(r.stderr).toMatch(/worker [12] of 2 \(shard [01]\/2\) died \(signal SIGKILL\)/);
    expect(r.stdout).not.toMatch(/PASS|FAIL/);
    expect((await readManifest(join(dir, 'run-killed.json'))).workerFailures).toHaveLength(1);
  });
});
