/**
 * `canary --target URL --service-profile P`: the canary against a service of the user's (no run
 * label in its metrics), window after window. Each window snapshots the service's counts (as `load
 * --service-profile` does), sends the canary's steady mix to the target for --interval, then reads
 * the counts since the snapshot by the profile (reset-aware, src/verify/service/) until they are
 * exactly what the service answered in the window, per tenant × status, or --max-lag passed.
 *
 * The traffic pauses while a window's counts are awaited: without a run label, the only boundary
 * the service's cumulative counters show is a quiet one (a request in flight at a boundary could be
 * counted on either side). Other traffic on the service in a window is named, as verify names it.
 */
import type { Outcome } from '../load/client.js';
import type { StatusWeight } from '../load/values.js';
import type { PrometheusBackend } from '../pipeline/types.js';
import { type Clock, realClock } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import { promClientFor } from '../verify/prom-client.js';
import { serviceTenant, takeServiceSnapshot } from '../verify/service/counts.js';
import type { ServiceProfile } from '../verify/service/profile.js';
import { type ServiceCell, verifyServiceCells } from '../verify/service/verify-service.js';
import { type CanaryEvent, type IntervalReport, transitionOf, type Verdict } from './canary.js';
import { startTraffic } from './traffic.js';
import type { TenantResult } from './window.js';

export interface ServiceCanaryConfig {
  runId: string;
  /** The service's URL (/api appended when no path was given). */
  target: string;
  profile: ServiceProfile;
  clientIds: string[];
  statusMix: StatusWeight[];
  ratePerSec: number;
  /** How long each window sends. */
  intervalMs: number;
  /** How long after a window's traffic its counts may take to arrive. */
  maxLagMs: number;
  once: boolean;
  backend: PrometheusBackend;
}

export interface ServiceCanaryDeps {
  signal: AbortSignal;
  warn(message: string): void;
  onEvent(event: CanaryEvent): void;
  clock?: Pick<Clock, 'now' | 'wallNow' | 'sleep' | 'sleepUntil' | 'yield'>;
}

/** Green only once a window's counts stayed exact this long: other traffic has time to show. */
export function serviceSettleMs(maxLagMs: number): number {
  return Math.min(5_000, Math.floor(maxLagMs / 4));
}

/** Per tenant × status: what the service answered in one window (the manifest's cells, live). */
class WindowCells {
  readonly #cells = new Map<string, ServiceCell>();
  constructor(readonly profile: ServiceProfile) {}
  cell(clientId: string, status: string): ServiceCell {
    const tenant = serviceTenant(this.profile, clientId);
    const key = `${tenant}\u0000${status}`;
    let c = this.#cells.get(key);
    if (!c) {
      c = { tenant, status, expected: 0, maybe: 0, found: 0 };
      this.#cells.set(key, c);
    }
    return c;
  }
  done(clientId: string, asked: number, outcome: Outcome): void {
    // Unanswered (a timeout, a reset): the service may have counted it under the status asked for.
    if (outcome.status !== undefined) this.cell(clientId, String(outcome.status)).expected++;
    else this.cell(clientId, String(asked)).maybe++;
  }
  get all(): ServiceCell[] {
    return [...this.#cells.values()];
  }
}

export async function runServiceCanary(
  c: ServiceCanaryConfig,
  deps: ServiceCanaryDeps,
): Promise<IntervalReport | undefined> {
  const clock = deps.clock ?? realClock;
  const client = promClientFor(c.backend);
  const startedAtMs = clock.wallNow();
  const tenants = c.clientIds.map((id) => serviceTenant(c.profile, id));
  const state = new Map<string, Verdict>();
  let last: IntervalReport | undefined;
  deps.onEvent({
    type: 'started',
    serverUrl: c.target,
    metricsUrl: null,
    windowMs: c.intervalMs,
    topology: 'service',
  });
  try {
    while (!deps.signal.aborted) {
      const report = await oneWindow(c, client, tenants, deps, clock).catch((err: unknown) => {
        if (!deps.signal.aborted) deps.warn(`canary window failed: ${errorMessage(err)}`);
        return undefined;
      });
      if (deps.signal.aborted) break;
      if (!report) {
        await clock.sleep(c.intervalMs, deps.signal).catch(() => {});
        continue;
      }
      last = report;
      for (const t of report.tenants) {
        const next = transitionOf(state.get(t.tenant), t, report.atMs, startedAtMs);
        if (!next) continue;
        state.set(t.tenant, next.verdict);
        deps.onEvent({ type: 'transition', transition: next.transition });
      }
      deps.onEvent({ type: 'interval', report });
      if (c.once) break;
    }
  } finally {
    deps.onEvent({ type: 'stopping' });
    await client.close();
  }
  return last;
}

async function oneWindow(
  c: ServiceCanaryConfig,
  client: ReturnType<typeof promClientFor>,
  tenants: string[],
  deps: ServiceCanaryDeps,
  clock: NonNullable<ServiceCanaryDeps['clock']>,
): Promise<IntervalReport | undefined> {
  const snapshot = await takeServiceSnapshot(client, c.profile, tenants, clock.wallNow(), deps.signal);
  const cells = new WindowCells(c.profile);
  for (const id of c.clientIds) for (const s of c.statusMix) cells.cell(id, String(s.status));
  const traffic = startTraffic({
    targetUrl: c.target,
    runId: c.runId,
    clientIds: c.clientIds,
    statusMix: c.statusMix,
    ratePerSec: c.ratePerSec,
    timeoutMs: 5_000,
    clock,
    tenantHeader: c.profile.tenantHeader,
    onSent: () => {},
    onDone: (id, asked, outcome) => cells.done(id, asked, outcome),
  });
  await clock.sleep(c.intervalMs, deps.signal).catch(() => {});
  await traffic.stop();
  if (deps.signal.aborted) return undefined;
  const r = await verifyServiceCells({
    client,
    profile: c.profile,
    snapshot,
    expected: cells.all,
    timeoutMs: c.maxLagMs,
    settleMs: serviceSettleMs(c.maxLagMs),
    signal: deps.signal,
  });
  const atMs = clock.wallNow();
  const results: TenantResult[] = tenants.map((tenant) => {
    const problems = r.problems.filter((p) => p.includes(` for ${tenant} `) || p.startsWith(`${tenant} `));
    const mine = r.cells.filter((x) => x.tenant === tenant);
    const ok = r.ok || problems.length === 0;
    const counted = mine.reduce((n, x) => n + x.found, 0);
    return {
      tenant,
      status: ok ? 'green' : 'red',
      ok,
      checks: [
        {
          check: 'correctness',
          status: ok ? 'pass' : 'fail',
          ok,
          reason: ok ? '' : problems.join('; ') || 'not exact by --max-lag',
          evidence: `${counted} request(s) counted, exactly as answered`,
        },
      ],
      lagMs: 0,
      lastSeenMs: undefined,
      exportsExpected: 0,
      exportsVisible: 0,
    };
  });
  const red = results.some((t) => !t.ok);
  return { atMs, topology: 'service', status: red ? 'red' : 'green', ok: !red, tenants: results };
}
