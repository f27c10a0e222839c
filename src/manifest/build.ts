import type { LoadConfig } from '../load/config.js';
import type { LoadResult } from '../load/result.js';
import type { Shard } from '../load/shard.js';
import { VERSION } from '../version.js';
import { MANIFEST_SCHEMA_VERSION, type ManifestServer, type RunManifest } from './schema.js';

/**
 * The one place a run manifest is made: the configuration a load executed, what it counted, and,
 * when it loaded an in-process server, that server's settings and export stats (stopped and
 * flushed first, so the stats are final). Pure: the manifest is returned, not written (see
 * src/manifest/write.ts). `shard`: the part of the run this process sent (`config` is the whole plan).
 */
export function buildManifest(
  config: LoadConfig,
  result: LoadResult,
  server?: ManifestServer,
  shard?: Shard,
): RunManifest {
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    tool: { name: 'otelpoc', version: VERSION },
    runId: config.runId,
    ...(shard ? { shard: { index: shard.index, count: shard.count } } : {}),
    target: config.target,
    config,
    startedAt: result.startedAt,
    endedAt: result.endedAt,
    ...(result.plannedStartAt !== undefined
      ? { plannedStartAt: result.plannedStartAt, startLateMs: result.startLateMs }
      : {}),
    interrupted: result.interrupted,
    ...(result.workers !== undefined ? { workers: result.workers } : {}),
    ...(result.workerFailures ? { workerFailures: result.workerFailures } : {}),
    ...(result.lostWorkers ? { lostWorkers: result.lostWorkers } : {}),
    tenants: result.tenants,
    totals: result.totals,
    errors: result.errors,
    rate: result.rate,
    latency: result.latency,
    ...(result.timeline ? { timeline: result.timeline } : {}),
    ...(server ? { server } : {}),
  };
}
