/**
 * The one place where the load engine's result becomes the run manifest: `runLoad` returns plain
 * data (a LoadResult), `buildManifest` combines it with the in-process server's settings and export
 * stats. Nothing fills a manifest by mutation.
 */
import type { LoadConfig } from '../load/config.js';
import { type LoadDeps, runLoad } from '../load/runner.js';
import type { Shard } from '../load/shard.js';
import { buildManifest } from '../manifest/build.js';
import type { ManifestServer, RunManifest } from '../manifest/schema.js';

/** What the in-process server did with its metrics, and its settings, for the manifest's `server`. */
export type ServerStats = ManifestServer;

export type Loaded = Awaited<ReturnType<typeof runLoad>>;

export function loadOnce(config: LoadConfig, deps: LoadDeps): Promise<Loaded> {
  return runLoad(config, deps);
}

export function buildRunManifest(
  config: LoadConfig,
  loaded: Loaded,
  server?: ServerStats,
  shard?: Shard,
): RunManifest {
  return buildManifest(config, loaded, server, shard);
}
