/**
 * The one place where the load engine's result becomes the run manifest. The engine still returns
 * a manifest today; once it returns a LoadResult, `buildRunManifest` is where `buildManifest(config,
 * loadResult, serverStats)` is called, and nothing else in the pipeline changes.
 */
import type { LoadPlan } from '../load/plan.js';
import { type LoadDeps, runLoad } from '../load/runner.js';
import type { RunManifest } from '../manifest/schema.js';

/** What the in-process server did with its metrics, for the manifest's `server`. */
export interface ServerStats {
  url: string;
  metricsTarget: string;
  exports: number;
  failedExports: number;
  /** Whether the final flush after the run reached the metrics target. */
  finalFlushOk: boolean;
}

export type Loaded = Awaited<ReturnType<typeof runLoad>>;

export function loadOnce(plan: LoadPlan, deps: LoadDeps): Promise<Loaded> {
  return runLoad(plan, deps);
}

export function buildRunManifest(_plan: LoadPlan, loaded: Loaded, server?: ServerStats): RunManifest {
  return server ? { ...loaded, server } : loaded;
}
