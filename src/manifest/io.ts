import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';
import { makeDirs, writeFileAtomic } from '../util/output-file.js';
import { parseManifest, type RunManifest } from './schema.js';

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

export async function readManifest(path: string): Promise<RunManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UsageError(
        `--manifest: ${path} does not exist${path === LAST_RUN_FILE ? ' (run `otelpoc load` first, or pass --manifest FILE)' : ''}`,
      );
    }
    throw new UsageError(`--manifest: cannot read ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseManifest(data, path);
}
