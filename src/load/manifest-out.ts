import { defaultManifestPath, LAST_RUN_FILE, writeManifest } from '../manifest/io.js';
import type { RunManifest } from '../manifest/schema.js';

/**
 * Writes the manifest to `out`, or by default to .otelpoc/runs/<run-id>.json plus
 * .otelpoc/last-run.json (what `verify` reads when no --manifest is given). Paths are relative to
 * the working directory. Returns the paths written.
 */
export async function writeRunManifest(manifest: RunManifest, out?: string): Promise<string[]> {
  const paths = out ? [out] : [defaultManifestPath(manifest.runId), LAST_RUN_FILE];
  for (const p of paths) await writeManifest(p, manifest);
  return paths;
}
