import { formatDurationMs, MAX_DURATION_MS } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import { newRunId } from '../util/ids.js';
import { LOAD_DEFAULTS, type LoadPlan, type Stage } from './plan.js';
import type { ScenarioSpec } from './scenario.js';
import { arrivals } from './schedule.js';
import {
  buildTenantWeights,
  integerStatusMix,
  parseStatusMix,
  parseTarget,
  type StatusWeight,
  ValueProblem,
} from './values.js';

/** Load settings given on the command line, already parsed; undefined = not given. */
export interface LoadSettings {
  target?: string | undefined;
  rate?: number | 'max' | undefined;
  durationMs?: number | undefined;
  requests?: number | undefined;
  connections?: number | undefined;
  maxInflight?: number | undefined;
  timeoutMs?: number | undefined;
  tenants?: number | undefined;
  clientIds?: string[] | undefined;
  tenantWeights?: number[] | undefined;
  anonymousPercent?: number | undefined;
  statusMix?: StatusWeight[] | undefined;
  runId?: string | undefined;
  seed?: number | undefined;
  maxErrorRate?: number | undefined;
  maxDropRate?: number | undefined;
}

/**
 * Flags over scenario values over defaults → a validated LoadPlan. Throws a UsageError naming the
 * flag for combinations that do not fit.
 */
export function resolvePlan(
  flags: LoadSettings,
  scenario?: { name: string; spec: ScenarioSpec },
  makeRunId: () => string = () => newRunId(),
): LoadPlan {
  const spec = scenario?.spec ?? {};
  const target = flags.target ?? spec.target ?? parseTarget(LOAD_DEFAULTS.target);

  // Tenants.
  let clientIds: string[];
  if (flags.clientIds) {
    if (flags.tenants !== undefined && flags.tenants !== flags.clientIds.length) {
      throw new UsageError(
        `--tenants: ${flags.tenants} does not match the ${flags.clientIds.length} --client-ids; give one of them`,
      );
    }
    clientIds = flags.clientIds;
  } else if (flags.tenants !== undefined) {
    clientIds = numbered(flags.tenants);
  } else if (Array.isArray(spec.tenants)) {
    clientIds = spec.tenants;
  } else {
    clientIds = numbered(spec.tenants ?? LOAD_DEFAULTS.tenants);
  }
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
    integerStatusMix(flags.statusMix ?? spec.statusMix ?? parseStatusMix(LOAD_DEFAULTS.statusMix)),
  );

  const requests = flags.requests ?? spec.requests ?? null;
  let durationMs = flags.durationMs ?? spec.durationMs ?? null;
  const rate = flags.rate ?? (spec.stages ? undefined : spec.rate);

  let model: LoadPlan['model'] = 'open';
  let stages: Stage[] = [];
  let connections: number | null = null;
  // Flags that only mean something in the other model are refused, not ignored. A scenario's value
  // that a flag overrides is not a conflict (flags win); a scenario value the model ignores is.
  const rateSource =
    flags.rate !== undefined
      ? `--rps ${flags.rate}`
      : scenario && (spec.stages || spec.rate !== undefined)
        ? `${scenario.name}'s ${spec.stages ? 'stages' : `rate ${spec.rate}`}`
        : `the default --rps ${LOAD_DEFAULTS.ratePerSec}`;
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
    connections = flags.connections ?? spec.connections ?? LOAD_DEFAULTS.connections;
    if (durationMs === null && requests === null) durationMs = LOAD_DEFAULTS.durationMs;
  } else if (rate === undefined && spec.stages) {
    stages = spec.stages.map((s) => ({
      durationMs: s.durationMs,
      fromPerSec: s.rate,
      toPerSec: s.rampTo ?? s.rate,
      statusMix: s.statusMix ? integerStatusMix(s.statusMix) : undefined,
    }));
    const total = stages.reduce((t, s) => t + s.durationMs, 0);
    durationMs = durationMs === null ? total : Math.min(durationMs, total);
    if (stages.every((s) => s.fromPerSec === 0 && s.toPerSec === 0)) {
      throw new UsageError(
        `${scenario?.name ?? 'scenario'}: stages: every stage has rate 0; nothing would be sent`,
      );
    }
  } else {
    const perSec = rate ?? LOAD_DEFAULTS.ratePerSec;
    if (durationMs === null && requests === null) durationMs = LOAD_DEFAULTS.durationMs;
    stages = [{ durationMs: durationMs ?? Number.POSITIVE_INFINITY, fromPerSec: perSec, toPerSec: perSec }];
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

  return {
    runId: flags.runId ?? spec.runId ?? makeRunId(),
    targetUrl: target,
    model,
    stages,
    durationMs,
    requests,
    connections,
    maxInflight: flags.maxInflight ?? spec.maxInflight ?? LOAD_DEFAULTS.maxInflight,
    timeoutMs: flags.timeoutMs ?? spec.timeoutMs ?? LOAD_DEFAULTS.timeoutMs,
    tenants,
    statusMix,
    scenario: scenario?.name ?? null,
    seed: flags.seed ?? null,
    thresholds: {
      maxErrorRate: flags.maxErrorRate ?? spec.thresholds?.maxErrorRate,
      maxDropRate: flags.maxDropRate ?? spec.thresholds?.maxDropRate,
    },
    extra: { anonymousPercent },
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

function numbered(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `tenant-${i + 1}`);
}
