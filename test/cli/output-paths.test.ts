/**
 * Every output path (--out, --junit, the default .otelpoc/ files) is checked before any server starts
 * or any request is sent: exit 2, one line naming the flag, nothing sent, no directory created, no
 * temporary file left. In process, through main(argv, runtime).
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CountingServer, startCountingServer } from '../helpers/counting-server.js';
import { mainInProcess, writeLoadManifest } from '../helpers/main-in-process.js';

let dir: string;
let server: CountingServer;
let base: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otelpoc-outpaths-'));
  writeFileSync(join(dir, 'a-file'), 'x');
  mkdirSync(join(dir, 'a-dir'));
  server = await startCountingServer();
  base = server.url;
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => server.reset());

function otelpoc(args: string[], cwd = dir) {
  return mainInProcess(args, { cwd });
}

async function tmpFilesUnder(d: string): Promise<string[]> {
  const all = await readdir(d, { recursive: true });
  return all.filter((f) => f.endsWith('.tmp'));
}

const load = () => ['load', '--target', `${base}/api`, '--rps', '50', '--requests', '5', '--quiet'];
const run = () => ['run', '--url', base, '--otlp-endpoint', base, '--requests', '5', '--quiet'];
const verify = () => ['verify', '--url', base, '--manifest', join(dir, 'no-manifest.json')];

describe('a bad output path is refused before any work', () => {
  const missing = (p: string) =>
    `the directory of "${p}" (${join(dir, p, '..')}) does not exist; otelpoc creates no directories for a path you give`;
  const cases: [string, () => string[], () => string][] = [
    [
      'load --out DIR/',
      () => [...load(), '--out', `${dir}/`],
      () => `--out: expected a file path, got the directory "${dir}/"`,
    ],
    [
      'load --out DIR',
      () => [...load(), '--out', 'a-dir'],
      () => '--out: "a-dir" is a directory; expected a file path',
    ],
    [
      'load --out FILE/x.json',
      () => [...load(), '--out', 'a-file/x.json'],
      () => `--out: "a-file/x.json": ${join(dir, 'a-file')} is not a directory`,
    ],
    [
      'load --out /proc/nope/x.json',
      () => [...load(), '--out', '/proc/nope/x.json'],
      () =>
        `--out: the directory of "/proc/nope/x.json" (/proc/nope) does not exist; otelpoc creates no directories for a path you give`,
    ],
    [
      'load --serve --out missing/x.json',
      () => ['load', '--serve', '--requests', '5', '--quiet', '--out', 'missing/x.json'],
      () => `--out: ${missing('missing/x.json')}`,
    ],
    [
      'run --out nonexistent/dir/',
      () => [...run(), '--out', 'nonexistent/dir/'],
      () => '--out: expected a file path, got the directory "nonexistent/dir/"',
    ],
    [
      'run --out nonexistent/dir/m.json',
      () => [...run(), '--out', 'nonexistent/dir/m.json'],
      () => `--out: ${missing('nonexistent/dir/m.json')}`,
    ],
    [
      'run --junit DIR/',
      () => [...run(), '--junit', 'a-dir/'],
      () => '--junit: expected a file path, got the directory "a-dir/"',
    ],
    [
      'verify --junit DIR/',
      () => [...verify(), '--junit', `${dir}/`],
      () => `--junit: expected a file path, got the directory "${dir}/"`,
    ],
    [
      'verify --junit FILE/x.xml',
      () => [...verify(), '--junit', 'a-file/x.xml'],
      () => `--junit: "a-file/x.xml": ${join(dir, 'a-file')} is not a directory`,
    ],
  ];
  it.each(cases)('%s → exit 2, one line, nothing sent, nothing created', async (_name, args, message) => {
    const before = (await readdir(dir)).sort();
    const r = await otelpoc(args());
    expect(r.stderr).toBe(`otelpoc: ${message()}\n`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(server.connections).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('the default .otelpoc/ path is checked too (here .otelpoc is a file)', async () => {
    const cwd = await mkdtemp(join(dir, 'cwd-'));
    writeFileSync(join(cwd, '.otelpoc'), 'not a directory');
    const r = await otelpoc([...load(), '--run-id', 'r1'], cwd);
    expect(r.stderr).toBe(
      `otelpoc: --out (default path): ".otelpoc/runs/r1.json": ${join(cwd, '.otelpoc')} is not a directory\n`,
    );
    expect(r.code).toBe(2);
    expect(server.connections).toBe(0);
  });
});

describe('a good output path is written, with no temporary file left', () => {
  it('load --out FILE in an existing directory', async () => {
    const r = await otelpoc([...load(), '--out', 'a-dir/m.json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(server.connections).toBeGreaterThan(0);
    expect(await readdir(join(dir, 'a-dir'))).toEqual(['m.json']);
  });

  it('load with no --out creates .otelpoc/runs/ under the working directory', async () => {
    const cwd = await mkdtemp(join(dir, 'cwd-'));
    const r = await otelpoc([...load(), '--run-id', 'r1'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(cwd, '.otelpoc/runs/r1.json'))).toBe(true);
    expect(existsSync(join(cwd, '.otelpoc/last-run.json'))).toBe(true);
    expect(await tmpFilesUnder(cwd)).toEqual([]);
  });
});

describe('two outputs naming one file, or an output that is an input: refused before any work', () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(dir, 'same-'));
    await writeLoadManifest(cwd, base, 2, 'm.json');
    mkdirSync(join(cwd, 'sub'));
    mkdirSync(join(cwd, '.otelpoc'));
    writeFileSync(join(cwd, 's.yaml'), 'rate: 50\nrequests: 2\n');
    symlinkSync(join(cwd, 'sub'), join(cwd, 'sub-link'));
  });
  const cases: [string, () => string[], string][] = [
    [
      'load --out same.json --report same.json',
      () => [...load(), '--out', 'same.json', '--report', 'same.json'],
      '--out and --report: "same.json" and "same.json" are the same file; give each output its own file',
    ],
    [
      'load --report .otelpoc/last-run.json (the default manifest)',
      () => [...load(), '--report', './.otelpoc/last-run.json'],
      '--out (default path) and --report: ".otelpoc/last-run.json" and "./.otelpoc/last-run.json" are the same file; give each output its own file',
    ],
    [
      'run --report r.html --junit ./r.html',
      () => [...run(), '--report', 'r.html', '--junit', './r.html'],
      '--junit and --report: "./r.html" and "r.html" are the same file; give each output its own file',
    ],
    [
      'run --out sub/m.json --junit sub-link/m.json (one directory through a symlink)',
      () => [...run(), '--out', 'sub/m.json', '--junit', 'sub-link/m.json'],
      '--out and --junit: "sub/m.json" and "sub-link/m.json" are the same file; give each output its own file',
    ],
    [
      'load --scenario ./s.yaml --out s.yaml (an output that is the scenario)',
      () => [...load(), '--scenario', './s.yaml', '--out', 's.yaml'],
      '--out and --scenario: "s.yaml" is the --scenario input ("./s.yaml"); writing it would destroy it: give --out another file',
    ],
    [
      'run --scenario s.yaml --report ./s.yaml',
      () => [...run(), '--scenario', 's.yaml', '--report', './s.yaml'],
      '--report and --scenario: "./s.yaml" is the --scenario input ("s.yaml"); writing it would destroy it: give --report another file',
    ],
    [
      'verify --manifest m.json --report m.json',
      () => ['verify', '--url', base, '--manifest', 'm.json', '--report', 'm.json'],
      '--report and --manifest: "m.json" is the --manifest input ("m.json"); writing it would destroy it: give --report another file',
    ],
    [
      'verify --manifest m.json --junit ./m.json',
      () => ['verify', '--url', base, '--manifest', 'm.json', '--junit', './m.json'],
      '--junit and --manifest: "./m.json" is the --manifest input ("m.json"); writing it would destroy it: give --junit another file',
    ],
    [
      'verify --report r.html --junit r.html',
      () => ['verify', '--url', base, '--manifest', 'm.json', '--report', 'r.html', '--junit', 'r.html'],
      '--junit and --report: "r.html" and "r.html" are the same file; give each output its own file',
    ],
  ];
  it.each(cases)('%s → exit 2, one line naming both flags, nothing sent', async (_name, args, message) => {
    const manifestBefore = readFileSync(join(cwd, 'm.json'), 'utf8');
    server.reset();
    const r = await otelpoc(args(), cwd);
    expect(r.stderr).toBe(`otelpoc: ${message}\n`);
    expect(r.code).toBe(2);
    expect(server.connections).toBe(0);
    expect(readFileSync(join(cwd, 'm.json'), 'utf8')).toBe(manifestBefore);
    expect(readFileSync(join(cwd, 's.yaml'), 'utf8')).toBe('rate: 50\nrequests: 2\n');
    expect(existsSync(join(cwd, 'same.json'))).toBe(false);
    expect(existsSync(join(cwd, 'r.html'))).toBe(false);
  });

  it('distinct outputs are still written', async () => {
    const r = await otelpoc([...load(), '--out', 'a.json', '--report', 'a.html'], cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'a.json'), 'utf8')).toMatch(/^\{/);
    expect(readFileSync(join(cwd, 'a.html'), 'utf8')).toMatch(/^<!doctype html>/i);
  });
});
