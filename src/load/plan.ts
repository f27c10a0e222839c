import type { StatusWeight, TenantWeight } from './values.js';

/**
 * One stage of an open-model run: the arrival rate goes linearly from `fromPerSec` to `toPerSec`
 * over `durationMs` (equal rates: constant). A spike is a short stage at a high rate.
 */
export interface Stage {
  /** Infinity only for a constant-rate run bounded by --requests alone. */
  durationMs: number;
  fromPerSec: number;
  toPerSec: number;
  /** Overrides the plan's status mix during this stage. */
  statusMix?: StatusWeight[] | undefined;
}

export interface Thresholds {
  /** Fraction 0..1 of sent requests that failed at the client or got another status than asked. */
  maxErrorRate?: number | undefined;
  /** Fraction 0..1 of scheduled requests that were dropped at the in-flight cap. */
  maxDropRate?: number | undefined;
}

/** Everything a load run needs, resolved and validated (by the CLI or a scenario file). */
export interface LoadPlan {
  runId: string;
  /** Full URL of a loopback target, path included, e.g. http://127.0.0.1:8088/api. */
  targetUrl: string;
  model: 'open' | 'closed';
  /** Open model: the arrival schedule. Empty for the closed model. */
  stages: Stage[];
  /** Overall time bound (ms); null when only `requests` bounds the run. */
  durationMs: number | null;
  /** Exact number of requests to schedule; null when only the duration bounds the run. */
  requests: number | null;
  /** Closed model: concurrent connections each sending the next request when the last one is done. */
  connections: number | null;
  /** Open model: the in-flight cap; a scheduled request finding it reached is dropped and counted. */
  maxInflight: number;
  timeoutMs: number;
  /** Integer weights; clientId null = anonymous (no Client-ID header). */
  tenants: TenantWeight[];
  /** Integer weights. */
  statusMix: StatusWeight[];
  scenario: string | null;
  seed: number | null;
  thresholds: Thresholds;
  /** Free-form settings recorded in the manifest's config.extra (e.g. the serve options). */
  extra?: Record<string, unknown>;
}

export const LOAD_DEFAULTS = {
  target: 'http://127.0.0.1:8088/api',
  ratePerSec: 50,
  durationMs: 10_000,
  connections: 10,
  maxInflight: 1000,
  timeoutMs: 5000,
  tenants: 3,
  statusMix: '200:85,404:10,500:5',
} as const;

/** Target rate of a constant-rate open run, or null (staged or closed). */
export function constantRate(plan: LoadPlan): number | null {
  if (plan.model !== 'open' || plan.stages.length !== 1) return null;
  const [s] = plan.stages;
  return s!.fromPerSec === s!.toPerSec && !s!.statusMix ? s!.fromPerSec : null;
}

/** Requests the stages plan to schedule (fractional for ramps), before the --requests bound. */
export function plannedRequests(stages: readonly Stage[]): number {
  return stages.reduce((n, s) => n + ((s.fromPerSec + s.toPerSec) / 2) * (s.durationMs / 1000), 0);
}

/** One line describing the plan, printed before the run. */
export function describePlan(plan: LoadPlan): string {
  const bound = [
    plan.requests !== null ? `${plan.requests} requests` : '',
    plan.durationMs !== null ? `${plan.durationMs / 1000}s` : '',
  ]
    .filter(Boolean)
    .join(' or ');
  const tenants = plan.tenants.length;
  const mix = plan.statusMix.map((s) => `${s.status}:${s.weight}`).join(',');
  if (plan.model === 'closed') {
    return `closed model, ${plan.connections} connections as fast as possible, ${bound}, ${tenants} tenant(s), mix ${mix}`;
  }
  const rate = constantRate(plan);
  const shape =
    rate !== null
      ? `${rate} req/s`
      : `${plan.stages
          .map((s) => (s.fromPerSec === s.toPerSec ? `${s.fromPerSec}` : `${s.fromPerSec}→${s.toPerSec}`))
          .join(' | ')} req/s`;
  return `open model, ${shape}, ${bound}, ${tenants} tenant(s), mix ${mix}, max in-flight ${plan.maxInflight}`;
}
