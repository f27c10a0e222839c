/**
 * --shard / --shards on load and run, in process: bad values are one line and exit 2 before any
 * work; the index may come from JOB_COMPLETION_INDEX; a shard's default manifest path; verify over a
 * directory of shard manifests.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import { type CountingServer, startCountingServer } from '../helpers/counting-server.js';
import { mainInProcess } from '../helpers/main-in-process.js';

describe('shard flags: one line, exit 2, before any request', () => {
  let server: CountingServer;
  let dir: string;
  beforeAll(async () => {
    server = await startCountingServer();
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-shard-flags-'));
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const load = (args: string[], env: Record<string, string> = {}) =>
    mainInProcess(['load', '--target', server.url, '--quiet', ...args], {
      cwd: dir,
      env: { NO_COLOR: '1', ...env },
    });

  it.each<[string[], Record<string, string>, string]>([
    [
      ['--shard', '3/3', '--run-id', 'r'],
      {},
      '--shard: expected i/n with 0 ≤ i < n ≤ 10000, like 0/4 (i is 0-based), got "3/3"',
    ],
    [
      ['--shard', '1', '--run-id', 'r'],
      {},
      '--shard: expected i/n with 0 ≤ i < n ≤ 10000, like 0/4 (i is 0-based), got "1"',
    ],
    [['--shards', '0', '--run-id', 'r'], {}, '--shards: expected an integer from 1 to 10000, got "0"'],
    [
      ['--shards', '3', '--run-id', 'r'],
      {},
      '--shards 3: the shard index comes from $JOB_COMPLETION_INDEX, which is not set; give --shard i/3 instead',
    ],
    [
      ['--shards', '3', '--run-id', 'r'],
      { JOB_COMPLETION_INDEX: '3' },
      'JOB_COMPLETION_INDEX: expected an integer from 0 to 2 (--shards 3), got "3"',
    ],
    [
      ['--shard', '0/2', '--shards', '2', '--run-id', 'r'],
      {},
      '--shard and --shards: give one of them (--shard i/n names the shard, --shards n takes i from $JOB_COMPLETION_INDEX)',
    ],
    [
      ['--shard', '0/2'],
      {},
      "--shard 0/2: give --run-id (or the scenario's runId): every shard of a run must carry the same run id, so none can be generated",
    ],
    [
      ['--shard', '3/4', '--run-id', 'r', '--requests', '3'],
      {},
      '--shard 3/4: --requests 3 over 4 shards leaves none for shard 3/4 (shard i sends requests i, i+n, …); lower the shard count',
    ],
    [
      // Shard 0 has a request of its own, but the run can never be verified complete: refused too.
      ['--shard', '0/4', '--run-id', 'r', '--requests', '3'],
      {},
      '--shard 0/4: --requests 3 over 4 shards leaves none for shard 3/4 (shard i sends requests i, i+n, …); lower the shard count',
    ],
  ])('load %j %j', async (args, env, message) => {
    const r = await load(args, env);
    expect(r.stderr).toBe(`otelpoc: ${message}\n`);
    expect(r.code).toBe(2);
    expect(server.connections).toBe(0);
  });

  it('run --shard with --url is refused: a backend holds every shard', async () => {
    const r = await mainInProcess(
      ['run', '--shard', '0/2', '--run-id', 'r', '--url', 'http://127.0.0.1:9/prometheus'],
      {
        cwd: dir,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^otelpoc: --shard and --url: a backend holds every shard's metrics/);
  });
});

describe('a shard from JOB_COMPLETION_INDEX, its manifest, and verify over the directory', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-shard-run-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('run --shards 2 sends its half, checks it in process, and writes .otelpoc/runs/<id>/shard-1-of-2.json', async () => {
    const r = await mainInProcess(
      [
        'run',
        '--shards',
        '2',
        '--run-id',
        'sh-run',
        '--rps',
        '100',
        '--requests',
        '20',
        '--delay',
        '0',
        '--quiet',
      ],
      { cwd: dir, env: { NO_COLOR: '1', JOB_COMPLETION_INDEX: '1' } },
    );
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const m = JSON.parse(
      await readFile(join(dir, '.otelpoc/runs/sh-run/shard-1-of-2.json'), 'utf8'),
    ) as RunManifest;
    expect(m.shard).toEqual({ index: 1, count: 2 });
    expect(m.totals.sent).toBe(10);
    expect(m.config.requests).toBe(20); // the manifest keeps the whole plan
    expect(m.rate.targetPerSec).toBe(50); // the shard's share of the rate

    // verify over the directory: shard 0 is not there.
    const v = await mainInProcess(
      ['verify', '--manifest', '.otelpoc/runs/sh-run', '--url', 'http://127.0.0.1:9/prometheus'],
      {
        cwd: dir,
      },
    );
    expect(v.code).toBe(2);
    expect(v.stderr).toBe(
      'otelpoc: --manifest: run "sh-run" has 2 shards but shard 0/2 is missing (found 1: .otelpoc/runs/sh-run/shard-1-of-2.json); give every shard\'s manifest\n',
    );
  });

  it('verify --manifest DIR with no *.json in it', async () => {
    await writeFile(join(dir, 'notes.txt'), 'x');
    const v = await mainInProcess(['verify', '--manifest', '.', '--url', 'http://127.0.0.1:9/prometheus'], {
      cwd: join(dir),
    });
    // The directory holds .otelpoc/ (a directory) and notes.txt: no manifest.
    expect(v.stderr).toBe('otelpoc: --manifest: the directory . holds no *.json manifest\n');
    expect(v.code).toBe(2);
  });
});
