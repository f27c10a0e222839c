/**
 * --start-at, --workers and --send-batch on load and run, in process: a bad value (flag or env var)
 * is one line naming it and what is allowed, exit 2, before any request; `auto` and a split that
 * leaves a worker nothing are decided by the core before anything starts. A scenario file's
 * startAt and workers take the same values, a flag or env var over them, and a bad one names the
 * file and field.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLoad } from '../../src/pipeline/load.js';
import { resolveRun } from '../../src/pipeline/run.js';
import { type CountingServer, startCountingServer } from '../helpers/counting-server.js';
import { mainInProcess } from '../helpers/main-in-process.js';

const WORKERS =
  'expected an integer from 1 to 256, or "auto" (the cores, minus one when the server runs in this process)';

describe('scale flags: one line, exit 2, before any request', () => {
  let server: CountingServer;
  let dir: string;
  beforeAll(async () => {
    server = await startCountingServer();
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-scale-flags-'));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, string[], Record<string, string>, string]>([
    ['load', ['--workers', '0'], {}, `--workers: ${WORKERS}, got "0"`],
    ['load', ['--workers', '2.5'], {}, `--workers: ${WORKERS}, got "2.5"`],
    ['run', [], { OTELPOC_WORKERS: 'all' }, `OTELPOC_WORKERS: ${WORKERS}, got "all"`],
    [
      'load',
      ['--send-batch', '101'],
      {},
      '--send-batch: expected milliseconds from 0 to 100, like 2 or 2ms (0: each request at its own due time), got "101"',
    ],
    [
      'run',
      [],
      { OTELPOC_SEND_BATCH: '-1' },
      'OTELPOC_SEND_BATCH: expected milliseconds from 0 to 100, like 2 or 2ms (0: each request at its own due time), got "-1"',
    ],
    [
      'load',
      ['--start-at', '2026-12-03T10:00:00'],
      {},
      '--start-at: expected an RFC 3339 time with a zone, like 2026-12-03T10:00:00Z or 2026-12-03T11:00:00.250+01:00, got "2026-12-03T10:00:00"',
    ],
    [
      'run',
      [],
      { OTELPOC_START_AT: 'now' },
      'OTELPOC_START_AT: expected an RFC 3339 time with a zone, like 2026-12-03T10:00:00Z or 2026-12-03T11:00:00.250+01:00, got "now"',
    ],
    [
      'load',
      ['--start-at', '2099-01-01T00:00:00Z'],
      {},
      '--start-at: 2099-01-01T00:00:00.000Z is more than 24 h ahead; give an instant within the next 24 hours (a shard started late counts what was due as dropped)',
    ],
    [
      'load',
      ['--workers', '3', '--max-inflight', '2'],
      {},
      '--workers 3: each worker sends one shard of the run, and one would get nothing — --workers split 2/3: --max-inflight 2 is split between 3 shards, so shard 2/3 gets none; give at least 3',
    ],
    [
      'load',
      ['--workers', '2', '--shard', '1/2', '--run-id', 'r', '--requests', '3'],
      {},
      '--workers 2: each worker sends one shard of shard 1/2, and one would get nothing — --workers split 3/4: --requests 3 over 4 shards leaves none for shard 3/4 (shard i sends requests i, i+n, …); lower the shard count',
    ],
  ])('%s %j %j', async (command, args, env, message) => {
    const target = command === 'load' ? ['--target', server.url] : [];
    const r = await mainInProcess([command, ...target, '--quiet', ...args], {
      cwd: dir,
      env: { NO_COLOR: '1', ...env },
    });
    expect(r.stderr).toBe(`otelpoc: ${message}\n`);
    expect(r.code).toBe(2);
    expect(server.connections).toBe(0);
  });

  it('--workers auto is the cores, minus one for the server in this process (load --serve, run)', async () => {
    const { availableParallelism } = await import('node:os');
    const cores = availableParallelism();
    const env = { OTELPOC_WORKERS: 'auto' };
    expect((await resolveLoad({ target: server.url }, env, dir)).load.part.workers).toBe(cores);
    expect((await resolveLoad({ serve: true }, env, dir)).load.part.workers).toBe(Math.max(1, cores - 1));
    expect((await resolveRun({}, env, dir)).config.load?.workers).toBe(Math.max(1, cores - 1));
    expect((await resolveLoad({ target: server.url }, {}, dir)).load.part.workers).toBe(1);
  });

  it('the values reach the load part and its plan: --start-at in config.startAt, --send-batch in ms', async () => {
    const c = await resolveLoad(
      { target: server.url, startAt: '2026-12-03T11:00:00.250+01:00', sendBatch: '2ms', workers: '2' },
      {},
      dir,
    );
    expect(c.load.part.config.startAt).toBe(Date.parse('2026-12-03T10:00:00.250Z'));
    expect(c.load.part.sendBatchMs).toBe(2);
    expect(c.load.part.workers).toBe(2);
    const plain = await resolveLoad({ target: server.url }, {}, dir);
    expect(plain.load.part.config.startAt).toBeUndefined();
    expect(plain.load.part.sendBatchMs).toBe(0);
  });

  describe('startAt and workers in a scenario file', () => {
    /** An instant within the next 24 hours, as RFC 3339 (whole seconds). */
    const soon = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000).toISOString();
    beforeAll(async () => {
      await writeFile(join(dir, 'scaled.yaml'), `rate: 20\nduration: 1s\nstartAt: ${soon}\nworkers: 2\n`);
      await writeFile(join(dir, 'auto.yaml'), 'rate: 20\nduration: 1s\nworkers: auto\n');
      await writeFile(join(dir, 'far.yaml'), 'rate: 20\nstartAt: 2099-01-01T00:00:00Z\n');
      await writeFile(join(dir, 'split.yaml'), 'rate: 20\nmaxInflight: 2\nworkers: 3\n');
      await writeFile(join(dir, 'bad.yaml'), 'rate: 20\nworkers: all\n');
      await writeFile(join(dir, 'workers3.yaml'), 'rate: 20\nworkers: 3\n');
    });

    it('the file gives them; the flag, then its env var, overrides the file; the default otherwise', async () => {
      const target = server.url;
      const file = await resolveLoad({ target, scenario: './scaled.yaml' }, {}, dir);
      expect(file.load.part.config.startAt).toBe(Date.parse(soon));
      expect(file.load.part.workers).toBe(2);
      const flags = await resolveLoad(
        { target, scenario: './scaled.yaml', startAt: '2026-12-03T10:00:00Z', workers: '1' },
        {},
        dir,
      );
      expect(flags.load.part.config.startAt).toBe(Date.parse('2026-12-03T10:00:00Z'));
      expect(flags.load.part.workers).toBe(1);
      const env = await resolveLoad(
        { target, scenario: './scaled.yaml' },
        { OTELPOC_WORKERS: '3', OTELPOC_START_AT: '2026-12-03T10:00:00Z' },
        dir,
      );
      expect(env.load.part.workers).toBe(3);
      expect(env.load.part.config.startAt).toBe(Date.parse('2026-12-03T10:00:00Z'));
      const { availableParallelism } = await import('node:os');
      const auto = await resolveLoad({ serve: true, scenario: './auto.yaml' }, {}, dir);
      expect(auto.load.part.workers).toBe(Math.max(1, availableParallelism() - 1));
      expect((await resolveRun({ scenario: './scaled.yaml' }, {}, dir)).config.load?.workers).toBe(2);
    });

    it.each([
      ['./bad.yaml', `./bad.yaml: workers: ${WORKERS}, got "all"`],
      [
        './far.yaml',
        './far.yaml: startAt: 2099-01-01T00:00:00.000Z is more than 24 h ahead; give an instant within the next 24 hours (a shard started late counts what was due as dropped)',
      ],
      [
        './split.yaml',
        './split.yaml: workers 3: each worker sends one shard of the run, and one would get nothing — ./split.yaml: workers split 2/3: ./split.yaml: maxInflight 2 is split between 3 shards, so shard 2/3 gets none; give at least 3',
      ],
    ])('%s: one line naming the file and field, exit 2, before any request', async (file, message) => {
      const r = await mainInProcess(['load', '--target', server.url, '--quiet', '--scenario', file], {
        cwd: dir,
        env: { NO_COLOR: '1' },
      });
      expect(r.stderr).toBe(`otelpoc: ${message}\n`);
      expect(r.code).toBe(2);
      expect(server.connections).toBe(0);
    });

    it('a limit the flag gives is named by the flag, though the file gives the workers', async () => {
      const r = await mainInProcess(
        ['load', '--target', server.url, '--quiet', '--scenario', './workers3.yaml', '--max-inflight', '2'],
        { cwd: dir, env: { NO_COLOR: '1' } },
      );
      expect(r.stderr).toBe(
        'otelpoc: ./workers3.yaml: workers 3: each worker sends one shard of the run, and one would get nothing — ./workers3.yaml: workers split 2/3: --max-inflight 2 is split between 3 shards, so shard 2/3 gets none; give at least 3\n',
      );
      expect(r.code).toBe(2);
    });
  });
});
