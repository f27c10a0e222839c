/**
 * --start-at against real processes (bin/otelpoc loading a counting server on loopback): two shards
 * started a second apart wait for the one instant and send their whole part (nothing dropped, never
 * before the instant); a process started after the instant counts what was already due as dropped
 * and sends only the rest. Bounded: 20 req/s for 3 s.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import { runCli } from '../helpers/cli.js';
import { type CountingServer, startCountingServer } from '../helpers/counting-server.js';

const readManifest = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as RunManifest;

describe('load --start-at: real processes', () => {
  let server: CountingServer;
  let dir: string;
  beforeAll(async () => {
    server = await startCountingServer();
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-start-at-'));
  });
  beforeEach(() => server.reset());
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const load = (runId: string, out: string, extra: string[], env: Record<string, string> = {}) =>
    runCli(
      [
        'load',
        '--target',
        server.url,
        '--run-id',
        runId,
        '--rps',
        '20',
        '--duration',
        '3s',
        '--quiet',
        '--out',
        out,
        ...extra,
      ],
      { env: { NO_COLOR: '1', PATH: process.env.PATH ?? '', ...env }, timeoutMs: 30_000 },
    );

  it('two shards started a second apart (one of them on 2 workers) start at the one instant and send everything', async () => {
    const at = new Date(Date.now() + 5000);
    const iso = at.toISOString();
    const first = load('start-at-shards', join(dir, 's0.json'), [
      '--shard',
      '0/2',
      '--start-at',
      iso,
      '--workers',
      '2',
    ]);
    await sleep(1000);
    // The second from the environment, as the Kubernetes Job and the workflow give it.
    const second = load('start-at-shards', join(dir, 's1.json'), ['--shard', '1/2'], {
      OTELPOC_START_AT: iso,
    });
    const results = await Promise.all([first, second]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const ms = await Promise.all([readManifest(join(dir, 's0.json')), readManifest(join(dir, 's1.json'))]);
    for (const m of ms) {
      expect(m.config.startAt).toBe(at.getTime());
      expect(m.plannedStartAt).toBe(iso);
      // Never before the instant, and nothing was due before it: nothing dropped.
      expect(Date.parse(m.startedAt)).toBeGreaterThanOrEqual(at.getTime());
      expect(m.totals.dropped).toBe(0);
      expect(m.totals.sent).toBe(30);
    }
    expect(server.requests).toBe(60);
    // Shard 0 ran on two workers: they started at the same instant, merged as one shard.
    expect(ms[0]!.workers).toBe(2);
  });

  it('a process started after the instant counts what was due as dropped and sends only the rest', async () => {
    const at = new Date(Date.now() - 1000);
    const r = await load('start-at-late', join(dir, 'late.json'), ['--start-at', at.toISOString()]);
    expect(r.code, r.stderr).toBe(0);
    const m = await readManifest(join(dir, 'late.json'));
    expect(m.totals.scheduled).toBe(60);
    expect(m.startLateMs).toBeGreaterThanOrEqual(1000);
    // At least the first second's 20 were already past: dropped, not sent in a burst.
    expect(m.totals.dropped).toBeGreaterThanOrEqual(20);
    expect(m.totals.sent + m.totals.dropped).toBe(60);
    expect(server.requests).toBe(m.totals.sent);
  });
});
