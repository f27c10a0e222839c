/** Where a run's manifest goes, checked before the run and written after it (load, run). */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Shard } from '../load/shard.js';
import { errorMessage, UsageError } from '../util/errors.js';
import { checkOutputPath, type NamedFile, writeFileAtomic } from '../util/output-file.js';
import { defaultManifestPath, LAST_RUN_FILE, MANIFEST_DIR, writeManifest } from './io.js';
import type { RunManifest } from './schema.js';

/**
 * A shard's default manifest: .otelpoc/runs/<run-id>/shard-<i>-of-<n>.json, so that shards run in
 * one directory do not overwrite each other and `verify --manifest .otelpoc/runs/<run-id>` finds
 * them all. A shard does not write last-run.json: it is one part of the run, not the run.
 */
export function defaultShardManifestPath(runId: string, shard: Shard): string {
  return join(MANIFEST_DIR, 'runs', runId, `shard-${shard.index}-of-${shard.count}.json`);
}

function defaultPaths(runId: string, shard: Shard | undefined): string[] {
  return shard ? [defaultShardManifestPath(runId, shard)] : [defaultManifestPath(runId), LAST_RUN_FILE];
}

/** The manifest's main path, as given (`out`, or the default of the run or its shard). */
export function manifestPath(runId: string, out: string | undefined, shard?: Shard): string {
  return out ?? defaultPaths(runId, shard)[0]!;
}

/**
 * Where the manifest goes: `out`, or by default .otelpoc/runs/<run-id>.json plus
 * .otelpoc/last-run.json (what `verify` reads when no --manifest is given), relative to `cwd`; a
 * shard's default is defaultShardManifestPath.
 * Called before the load starts: a path that cannot be written is a UsageError naming --out, before
 * any request is sent. The default directories may be created; a path given with --out gets none.
 */
export function checkManifestOut(
  runId: string | undefined,
  out: string | undefined,
  cwd: string,
  shard?: Shard,
): void {
  if (out !== undefined) {
    checkOutputPath(out, '--out', { cwd });
    return;
  }
  // The run id may not be known yet (generated later): its file sits beside last-run.json.
  for (const p of defaultPaths(runId ?? 'run', shard)) {
    checkOutputPath(p, '--out (default path)', { cwd, parentMayBeCreated: true });
  }
}

/**
 * The manifest files this run writes, named by their flag: what must not be another output's path.
 * Before the run id is known (generated later) only last-run.json can be named.
 */
export function manifestOutputs(
  runId: string | undefined,
  out: string | undefined,
  cwd: string,
  shard?: Shard,
): NamedFile[] {
  if (out !== undefined) return [{ flag: '--out', path: out, cwd }];
  const paths = runId === undefined ? (shard ? [] : [LAST_RUN_FILE]) : defaultPaths(runId, shard);
  return paths.map((path) => ({ flag: '--out (default path)', path, cwd }));
}

/**
 * Writes the manifest (see checkManifestOut for where). Returns the paths written, as given.
 * The work is done by now, so a write that fails anyway (disk full, the directory removed during the
 * run) must not lose the run: the manifest goes to a fallback file in `fallbackDir` (the OS's temp
 * directory), and the error names it, so that `verify --manifest <fallback>` still works. Only if
 * that fails too is the manifest lost, and the error says so.
 */
export async function writeRunManifest(
  manifest: RunManifest,
  out: string | undefined,
  cwd: string,
  fallbackDir = tmpdir(),
): Promise<string[]> {
  const paths = out !== undefined ? [out] : defaultPaths(manifest.runId, manifest.shard);
  for (const p of paths) {
    try {
      await writeManifest(resolve(cwd, p), manifest, {
        flag: out !== undefined ? '--out' : '--out (default path)',
        createDir: out === undefined,
      });
    } catch (err) {
      const fallback = join(fallbackDir, `otelpoc-manifest-${manifest.runId}-${process.pid}.json`);
      const saved = await writeFileAtomic(
        fallback,
        `${JSON.stringify(manifest, null, 2)}\n`,
        'fallback',
      ).then(
        () => `the manifest was saved to ${fallback} instead (verify --manifest ${fallback})`,
        (e2: unknown) => `the fallback ${fallback} failed too (${errorMessage(e2)}): the manifest is lost`,
      );
      throw new UsageError(`${errorMessage(err)}; ${saved}`, { cause: err });
    }
  }
  return paths;
}
