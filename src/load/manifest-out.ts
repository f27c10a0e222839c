import { resolve } from 'node:path';
import { defaultManifestPath, LAST_RUN_FILE, writeManifest } from '../manifest/io.js';
import type { RunManifest } from '../manifest/schema.js';
import { checkOutputPath } from '../util/output-file.js';

/**
 * Where the manifest goes: `out`, or by default .otelpoc/runs/<run-id>.json plus
 * .otelpoc/last-run.json (what `verify` reads when no --manifest is given), relative to `cwd`.
 * Called before the load starts: a path that cannot be written is a UsageError naming --out, before
 * any request is sent. The default directories may be created; a path given with --out gets none.
 */
export function checkManifestOut(runId: string | undefined, out: string | undefined, cwd: string): void {
  if (out !== undefined) {
    checkOutputPath(out, '--out', { cwd });
    return;
  }
  // The run id may not be known yet (generated later): its file sits beside last-run.json.
  for (const p of [defaultManifestPath(runId ?? 'run'), LAST_RUN_FILE]) {
    checkOutputPath(p, '--out (default path)', { cwd, parentMayBeCreated: true });
  }
}

/** Writes the manifest (see checkManifestOut for where). Returns the paths written, as given. */
export async function writeRunManifest(
  manifest: RunManifest,
  out: string | undefined,
  cwd: string,
): Promise<string[]> {
  const paths = out !== undefined ? [out] : [defaultManifestPath(manifest.runId), LAST_RUN_FILE];
  for (const p of paths) {
    await writeManifest(resolve(cwd, p), manifest, {
      flag: out !== undefined ? '--out' : '--out (default path)',
      createDir: out === undefined,
    });
  }
  return paths;
}
