/**
 * The one place where the load engine's result becomes the run manifest: `runLoad` returns plain
 * data (a LoadResult), `buildManifest` combines it with the in-process server's settings and export
 * stats. Nothing fills a manifest by mutation.
 */
import type { LoadConfig } from '../load/config.js';
import { type LoadDeps, runLoad } from '../load/runner.js';
import type { Shard } from '../load/shard.js';
import { runWorkers } from '../load/workers.js';
import { buildManifest } from '../manifest/build.js';
import type { ManifestServer, RunManifest } from '../manifest/schema.js';

/** What the in-process server did with its metrics, and its settings, for the manifest's `server`. */
export type ServerStats = ManifestServer;

export type Loaded = Awaited<ReturnType<typeof runLoad>>;

/**
 * The load in this process, or with `workers` > 1 in that many worker processes merged as one
 * (their failures, if any, are in the result's workerFailures). Only when no worker finished is
 * there no result: then this throws, naming every failure.
 */
export async function loadOnce(config: LoadConfig, deps: LoadDeps, workers = 1): Promise<Loaded> {
  if (workers <= 1) return runLoad(config, deps);
  const { result, failures } = await runWorkers(config, {
    workers,
    shard: deps.shard,
    signal: deps.signal,
    onProgress: deps.onProgress,
    progressIntervalMs: deps.progressIntervalMs,
    sendBatchMs: deps.sendBatchMs,
  });
  if (!result) throw new Error(`every worker failed, nothing was counted:\n${failures.join('\n')}`);
  return result;
}

export function buildRunManifest(
  config: LoadConfig,
  loaded: Loaded,
  server?: ServerStats,
  shard?: Shard,
): RunManifest {
  return buildManifest(config, loaded, server, shard);
}
