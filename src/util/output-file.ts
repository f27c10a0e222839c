import {
  accessSync,
  closeSync,
  constants,
  openSync,
  realpathSync,
  rmSync,
  type Stats,
  statSync,
  unlinkSync,
} from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import atomicWrite from 'write-file-atomic';
import { errorMessage, UsageError } from './errors.js';

/**
 * Output files (--out, --junit) are checked before any work starts, so that a load or a poll is never
 * run only to lose its result at the end; and written atomically, so that a reader never sees half a
 * file and no temporary file outlives a failed write.
 */

export interface OutputCheckOptions {
  /** What relative paths are relative to. */
  cwd: string;
  /**
   * The parent directory may be missing because otelpoc creates it (its own .otelpoc/ directory):
   * then the nearest existing ancestor must be a writable directory. A path the user gives gets no
   * directories created: its parent must exist.
   */
  parentMayBeCreated?: boolean;
}

/**
 * Checks that `path` can be written as a file: not a directory (nor spelled like one, with a trailing
 * slash), not a device or other special file, writable if it exists, and its parent an existing,
 * writable directory (a probe file is made and removed in it). Throws a UsageError naming `flag`;
 * returns the absolute path. Synchronous and bounded: a handful of calls, no retries.
 */
export function checkOutputPath(path: string, flag: string, opts: OutputCheckOptions): string {
  if (path === '') throw new UsageError(`${flag}: expected a file path, got ""`);
  if (/[/\\]$/.test(path) || /(^|[/\\])\.{1,2}$/.test(path)) {
    throw new UsageError(`${flag}: expected a file path, got the directory "${path}"`);
  }
  const abs = resolve(opts.cwd, path);
  const file = statIfAny(abs, flag, path);
  if (file?.isDirectory()) throw new UsageError(`${flag}: "${path}" is a directory; expected a file path`);
  if (file && !file.isFile()) {
    throw new UsageError(`${flag}: "${path}" exists and is not a regular file; expected a file path`);
  }
  if (file && !writable(abs)) throw new UsageError(`${flag}: "${path}" exists and is not writable`);

  let dir = dirname(abs);
  let dirStat = statIfAny(dir, flag, path);
  if (opts.parentMayBeCreated) {
    // Walk up to the directory that exists; every step shortens the path, so this ends at the root.
    while (!dirStat && dirname(dir) !== dir) {
      dir = dirname(dir);
      dirStat = statIfAny(dir, flag, path);
    }
  }
  if (!dirStat) {
    throw new UsageError(
      `${flag}: the directory of "${path}" (${dir}) does not exist; otelpoc creates no directories for a path you give`,
    );
  }
  if (!dirStat.isDirectory()) throw new UsageError(`${flag}: "${path}": ${dir} is not a directory`);
  if (!writable(dir)) throw new UsageError(`${flag}: "${path}": the directory ${dir} is not writable`);
  // access() trusts the mode bits (and root passes it everywhere): /proc, a read-only bind mount or a
  // full disk only show when a file is made. Make and remove one, as the real write will.
  const probe = join(dir, `.otelpoc-probe.${process.pid}.tmp`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (err) {
    rmSync(probe, { force: true });
    throw new UsageError(`${flag}: "${path}": cannot create a file in ${dir}: ${errorMessage(err)}`);
  }
  return abs;
}

/** A file a command reads or writes, with the flag that names it. */
export interface NamedFile {
  flag: string;
  /** As given (for the message). */
  path: string;
  /** Relative paths are relative to this. */
  cwd: string;
}

/**
 * Refuses two outputs that name the same file (`--out same.json --report same.json`: the last write
 * wins and the manifest is HTML) and an output that is one of the inputs (`--report m.json
 * --manifest m.json` overwrites the manifest). Files are compared after resolving symlinks: the file
 * itself when it exists, else its existing parent directory (m.json, ./m.json, dir-link/m.json are
 * one file). Throws a UsageError naming both flags. Call after the paths' own checks, before work.
 */
export function checkDistinctFiles(outputs: readonly NamedFile[], inputs: readonly NamedFile[] = []): void {
  const seen = new Map<string, NamedFile>();
  for (const input of inputs) seen.set(canonicalPath(input), input);
  for (const output of outputs) {
    const key = canonicalPath(output);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      const isInput = inputs.includes(earlier);
      throw new UsageError(
        isInput
          ? `${output.flag} and ${earlier.flag}: "${output.path}" is the ${earlier.flag} input ("${earlier.path}"); writing it would destroy it: give ${output.flag} another file`
          : `${earlier.flag} and ${output.flag}: "${earlier.path}" and "${output.path}" are the same file; give each output its own file`,
      );
    }
    seen.set(key, output);
  }
}

/** The files of `[flag, path]` pairs that were given (an undefined path is an output not asked for). */
export function namedFiles(cwd: string, entries: readonly [string, string | undefined][]): NamedFile[] {
  return entries.flatMap(([flag, path]) => (path === undefined ? [] : [{ flag, path, cwd }]));
}

function canonicalPath(file: NamedFile): string {
  const abs = resolve(file.cwd, file.path);
  try {
    return realpathSync(abs);
  } catch {
    try {
      return join(realpathSync(dirname(abs)), basename(abs));
    } catch {
      return abs;
    }
  }
}

/**
 * Writes `data` to `absPath` through a temporary file in the same directory and a rename. On any
 * failure the temporary file is removed and a UsageError naming `flag` is thrown.
 */
export async function writeFileAtomic(absPath: string, data: string, flag: string): Promise<void> {
  try {
    // write-file-atomic: a unique temporary file beside it, fsync, rename; the temporary removed on failure.
    await atomicWrite(absPath, data);
  } catch (err) {
    throw new UsageError(`${flag}: cannot write ${absPath}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * mkdir -p without Node's `recursive: true`, which loops forever where mkdir answers ENOENT for a
 * parent that exists (e.g. under /proc: 90 % CPU, deaf to the first SIGINT). One level at a time,
 * each tried at most twice, so it always ends.
 */
export async function makeDirs(absDir: string): Promise<void> {
  try {
    await mkdir(absDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(absDir);
    if (code !== 'ENOENT' || parent === absDir) throw err;
    await makeDirs(parent);
    try {
      await mkdir(absDir);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again;
    }
  }
}

function statIfAny(abs: string, flag: string, path: string): Stats | undefined {
  try {
    return statSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a component of the path is a file (FILE/x.json); reported when its parent is checked.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new UsageError(`${flag}: cannot use "${path}": ${errorMessage(err)}`);
  }
}

function writable(abs: string): boolean {
  try {
    accessSync(abs, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
