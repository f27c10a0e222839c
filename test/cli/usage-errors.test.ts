/** Parse errors and input problems are one `otelpoc:` line on stderr and exit 2. In process. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CountingServer, startCountingServer } from '../helpers/counting-server.js';
import { mainInProcess, writeLoadManifest } from '../helpers/main-in-process.js';

describe('commander parse errors: one line, like every other error', () => {
  it.each([
    [['load', '--x'], `unknown option '--x' (run "otelpoc load --help" for usage)`],
    [['nope'], `unknown command 'nope' (run "otelpoc --help" for usage)`],
    [['--bogus'], `unknown option '--bogus' (run "otelpoc --help" for usage)`],
    [
      ['load', '--rpss', '5'],
      `unknown option '--rpss' (did you mean --rps?) (run "otelpoc load --help" for usage)`,
    ],
    [['load', '--rps'], `option '--rps <rate>' argument missing (run "otelpoc load --help" for usage)`],
    [
      ['verify', 'extra'],
      `too many arguments for 'verify'. Expected 0 arguments but got 1. (run "otelpoc verify --help" for usage)`,
    ],
  ])('%j → exit 2', async (args, message) => {
    const r = await mainInProcess(args);
    expect(r.stderr).toBe(`otelpoc: ${message}\n`);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });

  it('--help and --version still exit 0 on stdout', async () => {
    const help = await mainInProcess(['load', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: otelpoc load');
    const version = await mainInProcess(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('run --target: run loads its own server', () => {
  it('--help does not offer --target (which run refuses)', async () => {
    const help = await mainInProcess(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: otelpoc run');
    expect(help.stdout).not.toContain('--target');
  });

  it('--target given is one line naming it, exit 2', async () => {
    const r = await mainInProcess(['run', '--target', 'http://127.0.0.1:1']);
    expect(r.stderr).toBe('otelpoc: --target: not allowed with run, which loads its own in-process server\n');
    expect(r.code).toBe(2);
  });
});

describe('verify: the same manifest given twice', () => {
  let dir: string;
  let server: CountingServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-usage-'));
    server = await startCountingServer();
    await writeLoadManifest(dir, server.url, 2);
    server.reset();
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('by two paths is refused with one line naming both, before any query', async () => {
    const r = await mainInProcess(
      ['verify', '--url', server.url, '--manifest', 'm.json', '--manifest', './m.json'],
      { cwd: dir },
    );
    expect(r.stderr).toBe(
      'otelpoc: --manifest: "m.json" and "./m.json" are the same file; give each shard of the run once\n',
    );
    expect(r.code).toBe(2);
    expect(server.connections).toBe(0);
  });
  it.each([
    ['a CRLF', 'acme\r\nX-Evil: 1'],
    ['markup', '<script>alert(1)</script>'],
  ])('a manifest whose Client-ID has %s is refused on reading, before any query', async (_what, id) => {
    const m = JSON.parse(await readFile(join(dir, 'm.json'), 'utf8'));
    const old = m.tenants[0].clientId;
    m.tenants[0].clientId = id;
    for (const t of m.config.tenants) if (t.clientId === old) t.clientId = id;
    await writeFile(join(dir, 'bad.json'), JSON.stringify(m));
    const r = await mainInProcess(['verify', '--url', server.url, '--manifest', 'bad.json'], { cwd: dir });
    expect(r.stderr).toMatch(/^otelpoc: [^\n]*\n$/);
    expect(r.stderr).toContain(
      `otelpoc: bad.json: config.tenants[0].clientId: ${JSON.stringify(id)} has characters other than letters, digits and !-_.*'(); a Client-ID is 1–150 characters`,
    );
    expect(r.code).toBe(2);
    expect(server.connections).toBe(0);
  });
});
