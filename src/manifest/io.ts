import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { makeDirs, writeFileAtomic } from '../util/output-file.js';
import { parseManifest } from './parse.js';
import type { RunManifest } from './schema.js';

export const MANIFEST_DIR = '.otelpoc';
export const LAST_RUN_FILE = join(MANIFEST_DIR, 'last-run.json');

export function defaultManifestPath(runId: string): string {
  return join(MANIFEST_DIR, 'runs', `${runId}.json`);
}

/**
 * Writes atomically (temp file + rename), so a reader never sees half a manifest. `createDir`: the
 * parent may be created (otelpoc's own .otelpoc/ directory only; a path the user gives was checked
 * up front by checkOutputPath and gets no directories made). Errors name `flag`.
 */
export async function writeManifest(
  absPath: string,
  manifest: RunManifest,
  opts: { flag: string; createDir: boolean },
): Promise<void> {
  if (opts.createDir) await makeDirs(dirname(resolve(absPath)));
  await writeFileAtomic(absPath, `${JSON.stringify(manifest, null, 2)}\n`, opts.flag);
}

/** Reads and validates one manifest; `path` is relative to `cwd` and named as given in messages. */
export async function readManifest(path: string, cwd = process.cwd()): Promise<RunManifest> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, path), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UsageError(
        `--manifest: ${path} does not exist${path === LAST_RUN_FILE ? ' (run `otelpoc load` first, or pass --manifest FILE)' : ''}`,
      );
    }
    throw new UsageError(`--manifest: cannot read ${path}: ${(err as Error).message}`);
  }
  // Editors on Windows save UTF-8 with a byte order mark; JSON.parse would refuse it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    // V8 quotes the text around the problem, newlines included: keep the message on one line.
    const why = (err as Error).message.replace(/\s*\n\s*/g, ' ');
    throw new UsageError(`${path}: not valid JSON (${why})`);
  }
  return parseManifest(data, path);
}

/**
 * Reads the manifests of one run (its shards). A directory stands for every *.json file directly in
 * it (the shards' manifests gathered in one place: a CI job's downloaded artifacts, a shared volume).
 * The same file given twice under two names (m.json, ./m.json, a symlink) would be counted twice:
 * refused, naming both.
 */
export async function readManifests(
  given: readonly string[],
  cwd = process.cwd(),
): Promise<{ manifest: RunManifest; source: string }[]> {
  const paths: string[] = [];
  for (const p of given) {
    // "" resolves to the working directory, whose *.json files would all be read as shards.
    if (p.trim() === '') {
      throw new UsageError(
        `--manifest: expected a manifest file or a directory of them, got ${JSON.stringify(p)}`,
      );
    }
    paths.push(...(await expandDirectory(p, cwd)));
  }
  const seen = new Map<string, string>();
  for (const p of paths) {
    const abs = resolve(cwd, p);
    // A missing file is reported by readManifest; compare it by its plain absolute path meanwhile.
    const real = await realpath(abs).catch(() => abs);
    const earlier = seen.get(real);
    if (earlier !== undefined) {
      throw new UsageError(
        `--manifest: "${earlier}" and "${p}" are the same file; give each shard of the run once`,
      );
    }
    seen.set(real, p);
  }
  return Promise.all(paths.map(async (p) => ({ manifest: await readManifest(p, cwd), source: p })));
}

/** `p` itself, or, when it is a directory, its *.json files (sorted, named as `p/<file>`). */
async function expandDirectory(p: string, cwd: string): Promise<string[]> {
  const abs = resolve(cwd, p);
  const info = await stat(abs).catch(() => undefined);
  if (!info?.isDirectory()) return [p]; // a missing file is reported by readManifest
  let names: string[];
  try {
    names = await readdir(abs);
  } catch (err) {
    throw new UsageError(`--manifest: cannot read the directory ${p}: ${(err as Error).message}`);
  }
  const files = names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  if (files.length === 0) {
    throw new UsageError(`--manifest: the directory ${p} holds no *.json manifest`);
  }
  return files.map((n) => join(p, n));
}
