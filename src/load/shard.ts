/**
 * Sharded runs: one run split over `count` processes (pods of a Kubernetes Indexed Job, jobs of a CI
 * matrix). Every flag describes the whole run; shard `index` (0-based) sends its part of the one
 * global, deterministic plan, so that the union of the shards is the unsharded run:
 *
 * - Requests: the shard sends the global requests k with k mod count = index — open model at their
 *   global due times (./schedule.ts), with the tenant × status the global round robin (./mix.ts)
 *   gives request k; closed model as the shard's loops ask for the next one. Both are computed from
 *   k alone (ArrivalIndex, ./mix-index.ts): a shard's CPU is its own share, not the whole schedule's.
 * - Bounds: --requests N and --duration bound the global run (shard i sends ⌈(N − i) / count⌉ of N).
 * - Shared resources (--connections, --max-inflight) are split the same way: ⌈(x − i) / count⌉ each,
 *   so the shards together open as many connections and allow as much in flight as one process would.
 */
import { UsageError } from '../util/errors.js';
import type { LoadConfig } from './config.js';
import { ArrivalIndex } from './schedule.js';

export interface Shard {
  /** 0-based, < count. */
  index: number;
  count: number;
}

/** The most shards a run may be split into. */
export const MAX_SHARDS = 10_000;

export const SHARD_EXPECTED = `i/n with 0 ≤ i < n ≤ ${MAX_SHARDS}, like 0/4 (i is 0-based)`;

/** `i/n` → a shard; anything else: a UsageError naming `what` (the flag). */
export function parseShard(text: string, what = '--shard'): Shard {
  const m = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || count > MAX_SHARDS || index >= count) {
    throw new UsageError(`${what}: expected ${SHARD_EXPECTED}, got ${JSON.stringify(text)}`);
  }
  return { index, count };
}

/** Whether global request `k` is this shard's. */
export function ownsRequest(shard: Shard | undefined, k: number): boolean {
  return shard === undefined || k % shard.count === shard.index;
}

/** This shard's part of `total` (requests, connections, the in-flight cap): ⌈(total − i) / n⌉. */
export function shareOf(total: number, shard: Shard | undefined): number {
  if (!shard) return total;
  return Math.max(0, Math.ceil((total - shard.index) / shard.count));
}

/** The in-process limits of this shard: its share of the connections and the in-flight cap. */
export function localLimits(config: Omit<LoadConfig, 'target'>, shard: Shard | undefined) {
  return {
    connections: config.connections === null ? null : shareOf(config.connections, shard),
    maxInflight: shareOf(config.maxInflight, shard),
  };
}

/** "shard 1/4" in messages. */
export function describeShard(shard: Shard): string {
  return `shard ${shard.index}/${shard.count}`;
}

/**
 * Where the shared limits came from, for the messages: a flag (the default), or a scenario file's
 * field (`"smoke.yaml: maxInflight"`).
 */
export interface LimitNames {
  connections: string;
  maxInflight: string;
  requests: string;
}

export const FLAG_NAMES: LimitNames = {
  connections: '--connections',
  maxInflight: '--max-inflight',
  requests: '--requests',
};

/**
 * Refuses a sharded run in which some shard would do nothing: no request of the global schedule is
 * its, or it gets no connection / no in-flight room. Almost always a mistake (e.g. --requests 2 over
 * 4 shards). Judged on the last shard (index count − 1), which gets the smallest share of
 * everything, whatever `shard.index` is: a run with an empty shard can never be verified complete,
 * so every shard must refuse it before sending anything, not only the empty one.
 */
export function checkShardFits(
  config: Omit<LoadConfig, 'target'>,
  shard: Shard | undefined,
  what = '--shard',
  names: LimitNames = FLAG_NAMES,
): void {
  if (!shard || shard.count === 1) return;
  const name = `${what} ${shard.index}/${shard.count}`;
  const last: Shard = { index: shard.count - 1, count: shard.count };
  const emptyShard = `shard ${last.index}/${last.count}`;
  const limits = localLimits(config, last);
  if (config.model === 'closed' && limits.connections! < 1) {
    throw new UsageError(
      `${name}: ${names.connections} ${config.connections} is split between ${shard.count} shards, so ${emptyShard} gets none; give at least ${shard.count}`,
    );
  }
  if (config.model === 'open' && limits.maxInflight < 1) {
    throw new UsageError(
      `${name}: ${names.maxInflight} ${config.maxInflight} is split between ${shard.count} shards, so ${emptyShard} gets none; give at least ${shard.count}`,
    );
  }
  if (config.requests !== null && shareOf(config.requests, last) < 1) {
    throw new UsageError(
      `${name}: ${names.requests} ${config.requests} over ${shard.count} shards leaves none for ${emptyShard} (shard i sends requests i, i+n, …); lower the shard count`,
    );
  }
  if (config.model === 'open' && !hasArrival(config, last.index)) {
    throw new UsageError(
      `${name}: the schedule has fewer than ${shard.count} requests (shard i sends requests i, i+n, …), so ${emptyShard} would send nothing; lower the shard count or raise --rps / --duration`,
    );
  }
}

/** Whether the open-model schedule, within its bounds, has a request with global index `k`. */
function hasArrival(config: Omit<LoadConfig, 'target'>, k: number): boolean {
  if (config.requests !== null && k >= config.requests) return false;
  const atMs = new ArrivalIndex(config.stages).atMs(k);
  return atMs !== null && (config.durationMs === null || atMs < config.durationMs);
}
