/**
 * --shard i/n and --shards n (load and run): this process sends one shard of a run split over n
 * processes (src/load/shard.ts). With --shards n the index comes from JOB_COMPLETION_INDEX, which a
 * Kubernetes Indexed Job sets in each pod (0 … completions−1), so one pod template serves every shard.
 */
import { type Command, Option } from 'commander';

import { MAX_SHARDS, parseShard, type Shard } from '../load/shard.js';
import type { Env } from '../util/env.js';
import { UsageError } from '../util/errors.js';
import { parseIntegerIn } from './options.js';

export const SHARD_INDEX_ENV = 'JOB_COMPLETION_INDEX';

export interface ShardFlags {
  shard?: Shard;
  shards?: number;
}

export function addShardOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--shard <i/n>',
        'send shard i (0-based) of a run split over n processes: global requests i, i+n, … at their global times; every other flag describes the whole run (needs --run-id)',
      ).argParser((v) => parseShard(v, '--shard')),
    )
    .addOption(
      new Option(
        '--shards <n>',
        `split over n processes; this one is shard $${SHARD_INDEX_ENV} (set by Kubernetes Indexed Jobs)`,
      ).argParser(parseIntegerIn('--shards', 1, MAX_SHARDS)),
    );
}

/** The shard this process sends, from --shard or --shards + JOB_COMPLETION_INDEX; undefined: the whole run. */
export function shardFrom(flags: ShardFlags, env: Env): Shard | undefined {
  if (flags.shard && flags.shards !== undefined) {
    throw new UsageError(
      '--shard and --shards: give one of them (--shard i/n names the shard, --shards n takes i from $JOB_COMPLETION_INDEX)',
    );
  }
  if (flags.shard) return flags.shard;
  if (flags.shards === undefined) return undefined;
  const raw = env[SHARD_INDEX_ENV];
  if (raw === undefined || raw === '') {
    throw new UsageError(
      `--shards ${flags.shards}: the shard index comes from $${SHARD_INDEX_ENV}, which is not set; give --shard i/${flags.shards} instead`,
    );
  }
  if (!/^\d{1,6}$/.test(raw) || Number(raw) >= flags.shards) {
    throw new UsageError(
      `${SHARD_INDEX_ENV}: expected an integer from 0 to ${flags.shards - 1} (--shards ${flags.shards}), got ${JSON.stringify(raw)}`,
    );
  }
  return { index: Number(raw), count: flags.shards };
}

/** For resolveLoadConfig: a shard needs the run id given, since every shard must carry the same one. */
export function shardRunId(shard: Shard | undefined): (() => string) | undefined {
  if (!shard || shard.count === 1) return undefined;
  return () => {
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: give --run-id (or the scenario's runId): every shard of a run must carry the same run id, so none can be generated`,
    );
  };
}
