/**
 * The one load configuration. Two shapes only:
 *
 * - `LoadInput`: the knobs a user sets, already parsed by the value parsers (./values.ts). The flags
 *   (src/pipeline/load.ts, only the flags given) and a scenario file (./scenario.ts) both produce
 *   it; everything is optional.
 * - `LoadConfig`: the resolved, validated configuration a run executes and its manifest records
 *   (`manifest.config`). `resolveLoadConfig(flags, scenario?)` goes from one to the other: flags over
 *   scenario over defaults, refusing combinations that do not fit with a UsageError naming both.
 */
import { z } from 'zod';

import { formatDurationMs, MAX_DURATION_MS } from '../util/duration.js';

import { UsageError } from '../util/errors.js';

import { newRunId } from '../util/ids.js';
import { ValueProblem } from '../util/value-problem.js';
import { arrivals, type Stage, StageSchema } from './schedule.js';
import {
  buildTenantWeights,
  integerStatusMix,
  parseStatusMix,
  parseTarget,
  StatusWeightSchema,
  TenantWeightSchema,
} from './values.js';

const fraction = z.number().min(0).max(1);

export const ThresholdsSchema = z.object({
  /** Fraction 0..1 of sent requests that failed at the client or got another status than asked. */
  maxErrorRate: fraction.optional(),
  /** Fraction 0..1 of scheduled requests that were dropped at the in-flight cap. */
  maxDropRate: fraction.optional(),
});

/** A stage as a user writes it: `rate`, or a linear ramp from `rate` to `rampTo`. */
export const StageInputSchema = z.object({
  durationMs: z.number().positive(),
  rate: z.number().nonnegative(),
  rampTo: z.number().nonnegative().optional(),
  statusMix: z.array(StatusWeightSchema).optional(),
});

/** What the flags and a scenario file set; undefined = not set. */
export const LoadInputSchema = z.object({
  /** Full URL, path included (the value parser appends /api to a bare host). */
  target: z.string().optional(),
  /** A constant rate (requests/s), or 'max' for the closed model. */
  rate: z.union([z.number().positive(), z.literal('max')]).optional(),
  stages: z.array(StageInputSchema).min(1).optional(),
  durationMs: z.number().positive().optional(),
  requests: z.number().int().positive().optional(),
  connections: z.number().int().positive().optional(),
  maxInflight: z.number().int().positive().optional(),
  timeoutMs: z.number().positive().optional(),
  /** tenant-1 … tenant-N. */
  tenants: z.number().int().positive().optional(),
  /** The Client-ID values, instead of `tenants`. */
  clientIds: z.array(z.string().min(1)).optional(),
  tenantWeights: z.array(z.number().positive()).optional(),
  /** Percent 0..100 of requests sent without a Client-ID. */
  anonymousPercent: z.number().min(0).max(100).optional(),
  statusMix: z.array(StatusWeightSchema).optional(),
  runId: z.string().optional(),
  thresholds: ThresholdsSchema.optional(),
});

/** Everything a load run needs, resolved and validated; also `manifest.config`. */
export const LoadConfigSchema = z.object({
  runId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** Full URL requests are sent to, path included, e.g. http://127.0.0.1:8088/api. */
  target: z.url({ protocol: /^https?$/ }),
  model: z.enum(['open', 'closed']),
  /** Open model: the arrival schedule. Empty for the closed model. */
  stages: z.array(StageSchema),
  /** Overall time bound (ms); null when only `requests` bounds the run. */
  durationMs: z.number().positive().nullable(),
  /** Exact number of requests to schedule; null when only the duration bounds the run. */
  requests: z.number().int().positive().nullable(),
  /** Closed model: concurrent connections each sending the next request when the last one is done. */
  connections: z.number().int().positive().nullable(),
  /** Open model: the in-flight cap; a scheduled request finding it reached is dropped and counted. */
  maxInflight: z.number().int().positive(),
  timeoutMs: z.number().positive(),
  /** Integer weights; clientId null = anonymous (no Client-ID header). */
  tenants: z.array(TenantWeightSchema).min(1),
  /** Integer weights. */
  statusMix: z.array(StatusWeightSchema).min(1),
  /** The share asked for (the tenants' weights already include it), for the record. */
  anonymousPercent: z.number().min(0).max(100),
  /** The scenario's name or path as given, or null. */
  scenario: z.string().nullable(),
  thresholds: ThresholdsSchema,
  /**
   * The instant the run starts (epoch ms; from an RFC 3339 time, --start-at), shared by every shard
   * so that their combined rate is the target from the first second. Absent: when the load is ready.
   */
  startAt: z.number().int().nonnegative().optional(),
});

export type Thresholds = z.infer<typeof ThresholdsSchema>;
export type LoadInput = z.infer<typeof LoadInputSchema>;
export type LoadConfig = z.infer<typeof LoadConfigSchema>;

/** A scenario file's input and how to name it in messages (its name or path as given). */
export interface ScenarioInput {
  name: string;
  spec: LoadInput;
  /** The file's description: what the scenario is for (not part of the configuration). */
  description?: string | undefined;
  /**
   * The file's `startAt` and `workers` (--start-at's and --workers' values): how the load is sent,
   * not what; src/pipeline/load.ts resolves them, a flag (or its env var) over the file.
   */
  startAt?: number | undefined;
  workers?: number | 'auto' | undefined;
}

/** What a knob not set by the flags nor the scenario gets. The option table shows these in --help. */
export interface LoadDefaults {
  target: string;
  ratePerSec: number;
  /** Unless `requests` bounds the run. */
  durationMs: number;
  connections: number;
  maxInflight: number;
  timeoutMs: number;
  tenants: number;
  statusMix: string;
}

export const LOAD_DEFAULTS: Readonly<LoadDefaults> = {
  target: 'http://127.0.0.1:8088/api',
  ratePerSec: 50,
  durationMs: 10_000,
  connections: 10,
  maxInflight: 1000,
  timeoutMs: 5000,
  tenants: 3,
  statusMix: '200:85,404:10,500:5',
};

/**
 * A load whose target is decided by the in-process server it loads (load --serve, run): null until
 * that server listens, then its URL (runPipeline fills it in). Everything else is resolved.
 */
export type LoadPlan = Omit<LoadConfig, 'target'> & { target: string | null };

/** Where a load's target comes from: the flags, the scenario and the defaults, or the serve part. */
export type TargetFrom = 'input' | 'serve-part';

/**
 * Flags over scenario values over defaults → a validated LoadConfig. `flags` holds only the flags
 * the user gave (a default must not override the scenario). Throws a UsageError naming the flag (or
 * the scenario's field) for combinations that do not fit. `defaults` is the lowest layer (a command
 * may have its own, e.g. `run`'s short run). `targetFrom` 'serve-part': the target is the in-process
 * server's (a LoadPlan, target null); the flags', the scenario's and the default target are not used.
 */
export function resolveLoadConfig(
  flags: LoadInput,
  scenario?: ScenarioInput,
  makeRunId?: () => string,
  defaults?: Readonly<LoadDefaults>,
  targetFrom?: 'input',
): LoadConfig;
export function resolveLoadConfig(
  flags: LoadInput,
  scenario: ScenarioInput | undefined,
  makeRunId: (() => string) | undefined,
  defaults: Readonly<LoadDefaults> | undefined,
  targetFrom: TargetFrom,
): LoadPlan;
export function resolveLoadConfig(
  flags: LoadInput,
  scenario?: ScenarioInput,
  makeRunId: () => string = () => newRunId(),
  defaults: Readonly<LoadDefaults> = LOAD_DEFAULTS,
  targetFrom: TargetFrom = 'input',
): LoadPlan {
  const spec = scenario?.spec ?? {};
  const target =
    targetFrom === 'serve-part' ? null : (flags.target ?? spec.target ?? parseTarget(defaults.target));

  // Tenants.
  const clientIds =
    givenClientIds(flags.tenants, flags.clientIds) ??
    spec.clientIds ??
    numbered(spec.tenants ?? defaults.tenants);
  const weights = flags.tenantWeights ?? (flags.tenants || flags.clientIds ? undefined : spec.tenantWeights);
  if (weights && weights.length !== clientIds.length) {
    throw new UsageError(
      `--tenant-weights: expected ${clientIds.length} weights (one per tenant), got ${weights.length}`,
    );
  }
  const anonymousPercent = flags.anonymousPercent ?? spec.anonymousPercent ?? 0;
  const where = (flag: string, field: string, fromFlag: boolean) =>
    fromFlag ? flag : `${scenario?.name ?? 'scenario'}: ${field}`;
  const tenants = named(where('--tenant-weights', 'tenantWeights', flags.tenantWeights !== undefined), () =>
    buildTenantWeights(clientIds, weights, anonymousPercent),
  );
  const statusMix = named(where('--status-mix', 'statusMix', flags.statusMix !== undefined), () =>
    integerStatusMix(flags.statusMix ?? spec.statusMix ?? parseStatusMix(defaults.statusMix)),
  );

  const requests = flags.requests ?? spec.requests ?? null;
  let durationMs = flags.durationMs ?? spec.durationMs ?? null;
  const rate = flags.rate ?? (spec.stages ? undefined : spec.rate);

  let model: LoadConfig['model'] = 'open';
  let stages: Stage[] = [];
  let connections: number | null = null;
  // Flags that only mean something in the other model are refused, not ignored. A scenario's value
  // that a flag overrides is not a conflict (flags win); a scenario value the model ignores is.
  const rateSource =
    flags.rate !== undefined
      ? `--rps ${flags.rate}`
      : scenario && (spec.stages || spec.rate !== undefined)
        ? `${scenario.name}'s ${spec.stages ? 'stages' : `rate ${spec.rate}`}`
        : `the default --rps ${defaults.ratePerSec}`;
  if (
    rate === 'max' &&
    (flags.maxInflight !== undefined || (spec.maxInflight !== undefined && flags.rate === undefined))
  ) {
    const what = flags.maxInflight !== undefined ? '--max-inflight' : `${scenario?.name}: maxInflight`;
    throw new UsageError(
      `${what} and ${rateSource}: the in-flight cap is for the open model; the closed model (--rps max) runs --connections loops, give one of them`,
    );
  }
  if (
    rate !== 'max' &&
    (flags.connections !== undefined || (spec.connections !== undefined && flags.rate === undefined))
  ) {
    const what = flags.connections !== undefined ? '--connections' : `${scenario?.name}: connections`;
    throw new UsageError(
      `${what} and ${rateSource}: connections are for the closed model (--rps max); the open model bounds concurrency with --max-inflight`,
    );
  }

  if (rate === 'max') {
    model = 'closed';
    connections = flags.connections ?? spec.connections ?? defaults.connections;
    if (durationMs === null && requests === null) durationMs = defaults.durationMs;
  } else if (rate === undefined && spec.stages) {
    stages = spec.stages.map((s) => ({
      durationMs: s.durationMs,
      fromPerSec: s.rate,
      toPerSec: s.rampTo ?? s.rate,
      statusMix: s.statusMix ? integerStatusMix(s.statusMix) : undefined,
    }));
    const total = stages.reduce((t, s) => t + (s.durationMs ?? 0), 0);
    durationMs = durationMs === null ? total : Math.min(durationMs, total);
    if (stages.every((s) => s.fromPerSec === 0 && s.toPerSec === 0)) {
      throw new UsageError(
        `${scenario?.name ?? 'scenario'}: stages: every stage has rate 0; nothing would be sent`,
      );
    }
  } else {
    const perSec = rate ?? defaults.ratePerSec;
    if (durationMs === null && requests === null) durationMs = defaults.durationMs;
    stages = [{ durationMs, fromPerSec: perSec, toPerSec: perSec }];
    if (durationMs === null && requests !== null && ((requests - 1) / perSec) * 1000 > MAX_DURATION_MS) {
      throw new UsageError(
        `--requests ${requests} at ${rateSource === `--rps ${perSec}` ? rateSource : `${perSec} req/s`}: the last request would be due after ${formatDurationMs(((requests - 1) / perSec) * 1000)}, more than the ${formatDurationMs(MAX_DURATION_MS)} (24 days) a run may last; raise the rate or lower --requests`,
      );
    }
  }
  if (model === 'open' && durationMs !== null) {
    const durationFrom = where('--duration', 'duration', flags.durationMs !== undefined);
    if (durationMs > MAX_DURATION_MS) {
      throw new UsageError(
        `${scenario?.name ?? 'scenario'}: stages: they last ${formatDurationMs(durationMs)} in all, more than the ${formatDurationMs(MAX_DURATION_MS)} (24 days) a run may last`,
      );
    }
    const first = arrivals(stages).next();
    if (first.done || first.value.atMs >= durationMs) {
      throw new UsageError(
        `${durationFrom}: ${formatDurationMs(durationMs)} ends before the first request is due; nothing would be sent`,
      );
    }
  }

  const thresholds: Thresholds = {};
  const maxErrorRate = flags.thresholds?.maxErrorRate ?? spec.thresholds?.maxErrorRate;
  const maxDropRate = flags.thresholds?.maxDropRate ?? spec.thresholds?.maxDropRate;
  if (maxErrorRate !== undefined) thresholds.maxErrorRate = maxErrorRate;
  if (maxDropRate !== undefined) thresholds.maxDropRate = maxDropRate;

  return {
    runId: flags.runId ?? spec.runId ?? makeRunId(),
    target,
    model,
    stages,
    durationMs,
    requests,
    connections,
    maxInflight: flags.maxInflight ?? spec.maxInflight ?? defaults.maxInflight,
    timeoutMs: flags.timeoutMs ?? spec.timeoutMs ?? defaults.timeoutMs,
    tenants,
    statusMix,
    anonymousPercent,
    scenario: scenario?.name ?? null,
    thresholds,
  };
}

/** Runs `fn`; its ValueProblem becomes a UsageError naming `what` (a flag, or a scenario's field). */
function named<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ValueProblem) throw new UsageError(`${what}: ${err.message}`);
    throw err;
  }
}

/**
 * The tenants the flags name: --client-ids, or tenant-1 … tenant-N of --tenants; given both, they
 * must agree (load and the canary). Undefined: neither given.
 */
export function givenClientIds(
  tenants: number | undefined,
  clientIds: string[] | undefined,
): string[] | undefined {
  if (clientIds) {
    if (tenants !== undefined && tenants !== clientIds.length) {
      throw new UsageError(
        `--tenants: ${tenants} does not match the ${clientIds.length} --client-ids; give one of them`,
      );
    }
    return clientIds;
  }
  return tenants === undefined ? undefined : numbered(tenants);
}

export function numbered(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `tenant-${i + 1}`);
}

/** Target rate of a constant-rate open run, or null (staged or closed). */
export function constantRate(config: LoadConfig): number | null {
  if (config.model !== 'open' || config.stages.length !== 1) return null;
  const [s] = config.stages;
  return s!.fromPerSec === s!.toPerSec && !s!.statusMix ? s!.fromPerSec : null;
}

/** Requests the stages plan to schedule (fractional for ramps), before the `requests` bound. */
export function plannedRequests(stages: readonly Stage[]): number {
  return stages.reduce(
    (n, s) => n + ((s.fromPerSec + s.toPerSec) / 2) * ((s.durationMs ?? Number.POSITIVE_INFINITY) / 1000),
    0,
  );
}

/** One line describing the configuration, printed before the run. */
export function describeLoadConfig(config: LoadConfig): string {
  const bound = [
    config.requests !== null ? `${config.requests} requests` : '',
    config.durationMs !== null ? `${config.durationMs / 1000}s` : '',
  ]
    .filter(Boolean)
    .join(' or ');
  const tenants = config.tenants.length;
  const mix = config.statusMix.map((s) => `${s.status}:${s.weight}`).join(',');
  if (config.model === 'closed') {
    return `closed model, ${config.connections} connections as fast as possible, ${bound}, ${tenants} tenant(s), mix ${mix}`;
  }
  const rate = constantRate(config);
  const shape =
    rate !== null
      ? `${rate} req/s`
      : `${config.stages
          .map((s) => (s.fromPerSec === s.toPerSec ? `${s.fromPerSec}` : `${s.fromPerSec}→${s.toPerSec}`))
          .join(' | ')} req/s`;
  return `open model, ${shape}, ${bound}, ${tenants} tenant(s), mix ${mix}, max in-flight ${config.maxInflight}`;
}
