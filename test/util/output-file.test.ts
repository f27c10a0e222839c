/** Output paths: checked before any work, written atomically, never a spinning mkdir. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/util/errors.js';
import { checkOutputPath, makeDirs, writeFileAtomic } from '../../src/util/output-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otelpoc-out-'));
  writeFileSync(join(dir, 'a-file'), 'x');
  mkdirSync(join(dir, 'a-dir'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const isRoot = process.getuid?.() === 0;

function problem(path: string, opts: { parentMayBeCreated?: boolean } = {}): string {
  try {
    checkOutputPath(path, '--out', { cwd: dir, ...opts });
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  return 'accepted';
}

describe('checkOutputPath', () => {
  it.each([
    ['', '--out: expected a file path, got ""'],
    ['a-dir/', '--out: expected a file path, got the directory "a-dir/"'],
    ['.', '--out: expected a file path, got the directory "."'],
    ['x/..', '--out: expected a file path, got the directory "x/.."'],
    ['a-dir', '--out: "a-dir" is a directory; expected a file path'],
    ['/dev/null', '--out: "/dev/null" exists and is not a regular file; expected a file path'],
  ])('%j → %s', (path, message) => {
    expect(problem(path)).toBe(message);
  });

  it('refuses a parent that is a file, or missing, and creates nothing', () => {
    expect(problem('a-file/x.json')).toBe(
      `--out: "a-file/x.json": ${join(dir, 'a-file')} is not a directory`,
    );
    expect(problem('missing/x.json')).toBe(
      `--out: the directory of "missing/x.json" (${join(dir, 'missing')}) does not exist; otelpoc creates no directories for a path you give`,
    );
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('is immediate under /proc (where a recursive mkdir used to spin)', () => {
    expect(problem('/proc/nope/x.json')).toMatch(
      /^--out: the directory of "\/proc\/nope\/x.json" .* does not exist/,
    );
  });

  it.skipIf(!existsSync('/proc/self'))(
    'makes a probe file where access() says yes but no file can be made (/proc, even as root)',
    async () => {
      expect(problem('/proc/x.json')).toMatch(
        /^--out: "\/proc\/x.json": cannot create a file in \/proc: ENOENT/,
      );
    },
  );

  it('leaves no probe file behind', async () => {
    checkOutputPath('probe-check.json', '--out', { cwd: dir });
    expect((await readdir(dir)).filter((f) => f.includes('probe'))).toEqual([]);
  });

  it('accepts a new or existing file in an existing directory, returning the absolute path', () => {
    expect(checkOutputPath('m.json', '--out', { cwd: dir })).toBe(join(dir, 'm.json'));
    expect(checkOutputPath('a-file', '--out', { cwd: dir })).toBe(join(dir, 'a-file'));
    expect(checkOutputPath(join(dir, 'a-dir/m.json'), '--out', { cwd: '/' })).toBe(join(dir, 'a-dir/m.json'));
  });

  it('with parentMayBeCreated, the nearest existing ancestor must be a writable directory', () => {
    expect(problem('new/deeper/x.json', { parentMayBeCreated: true })).toBe('accepted');
    expect(problem('a-file/deeper/x.json', { parentMayBeCreated: true })).toBe(
      `--out: "a-file/deeper/x.json": ${join(dir, 'a-file')} is not a directory`,
    );
  });

  it('refuses a read-only file and a read-only directory', async () => {
    if (isRoot) {
      // Root passes every mode bit (chmod 444/555 binds nobody here), so the check would pass on
      // nothing: use what root cannot write either. /proc takes no new file, so neither an existing
      // file in it nor a new path can be the output; the message names the directory and why.
      const cannot = (path: string) =>
        `--out: "${path}": cannot create a file in /proc: ENOENT: no such file or directory, open '/proc/.otelpoc-probe.${process.pid}.tmp'`;
      expect(problem('/proc/version')).toBe(cannot('/proc/version'));
      expect(problem('/proc/x.json')).toBe(cannot('/proc/x.json'));
      return;
    }
    await mkdir(join(dir, 'ro'));
    writeFileSync(join(dir, 'ro-file'), 'x');
    await chmod(join(dir, 'ro-file'), 0o444);
    await chmod(join(dir, 'ro'), 0o555);
    expect(problem('ro-file')).toBe('--out: "ro-file" exists and is not writable');
    expect(problem('ro/x.json')).toBe(`--out: "ro/x.json": the directory ${join(dir, 'ro')} is not writable`);
    await chmod(join(dir, 'ro'), 0o755);
  });
});

describe('writeFileAtomic', () => {
  it('writes through a temporary file and leaves none', async () => {
    const target = join(dir, 'atomic', 'out.json');
    await mkdir(join(dir, 'atomic'));
    await writeFileAtomic(target, '{"a":1}\n', '--out');
    expect(await readFile(target, 'utf8')).toBe('{"a":1}\n');
    expect(await readdir(join(dir, 'atomic'))).toEqual(['out.json']);
  });

  it('removes the temporary file when the rename fails, and names the flag', async () => {
    // The target became a directory after the check: the rename fails.
    const target = join(dir, 'race');
    await mkdir(join(target, 'inside'), { recursive: true });
    await expect(writeFileAtomic(target, 'x', '--junit')).rejects.toThrow(
      new RegExp(`^--junit: cannot write ${target}: `),
    );
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('makeDirs', () => {
  it('creates missing levels and accepts existing ones', async () => {
    await makeDirs(join(dir, 'm1', 'm2', 'm3'));
    await makeDirs(join(dir, 'm1', 'm2'));
    expect(existsSync(join(dir, 'm1', 'm2', 'm3'))).toBe(true);
  });

  it.skipIf(!existsSync('/proc/self'))(
    'fails at once where mkdir says ENOENT for a parent that exists (/proc), instead of looping',
    async () => {
      await expect(makeDirs('/proc/otelpoc-nope/x')).rejects.toMatchObject({ code: 'ENOENT' });
    },
    5_000,
  );
});
