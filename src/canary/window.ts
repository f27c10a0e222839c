/**
 * The canary's judgement of one tenant at one interval: what its exporter sent (ExportLog), what the
 * backend shows (the raw samples of the canary's series in the checked window), and which checks are
 * red, with the reason. Plain data in and out, no I/O and no clock: `nowMs` is passed in, so the unit
 * tests build both sides by hand (test/canary/window.test.ts).
 *
 * The window: the backend is asked for the samples of the last `windowMs`. Exports newer than
 * `maxLagMs` may legitimately not have arrived yet (that is freshness's business), so completeness
 * only counts the exports between the window's start (plus one export interval, the edge) and
 * `now − maxLag`. Samples older than the canary's start belong to an earlier instance with the same
 * --name (a restart: its counters started again at 0) and are not judged.
 *
 * Pending: a check with nothing to judge yet (correctness and names with no sample of this instance,
 * freshness with none seen while --max-lag has not passed since the start, completeness with no
 * export old enough to count) has not passed: it is `pending`, and so is its tenant, until the
 * evidence is there. A green must mean that the data really arrived, never that nothing was due yet.
 * Pending does not last: freshness turns red by itself --max-lag after the start, and with --once
 * (no later interval to wait for) whatever is still pending is red. Pending is the canary's word for
 * verify's no-data (src/verify/status.ts): nothing to check yet, so not a pass. Isolation without a
 * tenant header (one store) is not-testable, as verify says; so is completeness with --once before
 * any export is due (one interval is shorter than --max-lag: none can be missing yet). Neither is a
 * pass: they do not count as passes on /metrics (metrics.ts), and a tenant is green only when every
 * check passed or was not testable, and at least one passed on evidence.
 */
import { PROM } from '../telemetry/names.js';
import { formatSeconds } from '../util/duration.js';
import { diagnoseName } from '../verify/checks/index.js';
import { describeClientIds, fmtNumber } from '../verify/checks/samples.js';
import type { SeriesPoints } from '../verify/prom-client.js';
import { okOfStatus, type CheckStatus as SharedStatus, verdictPasses } from '../verify/status.js';
import type { Sample } from '../verify/types.js';
import { COMPARED_NAMES, type ExportLog, type ExportRecord, seriesKey } from './export-log.js';
import type { CanaryCheck } from './metric-names.js';

export interface WindowSettings {
  runId: string;
  /** How far back the backend is asked (ms). */
  windowMs: number;
  maxLagMs: number;
  exportIntervalMs: number;
  /** Wall time the canary started (epoch ms). */
  startedAtMs: number;
  /** Whether each tenant's view comes from the backend's own isolation (a tenant header). */
  isolated: boolean;
  /** --once: nothing seen after one interval is red at once (there is no later interval to wait for). */
  once?: boolean;
}

export interface TenantInput {
  tenant: string;
  /** The client_id values the canary sends for this tenant. */
  clientIds: readonly string[];
  /** The backend's answer, or why there was none. */
  backend: { series: SeriesPoints[] } | { error: string };
  /** Newest sample of this instance seen at an earlier interval (epoch ms), if any. */
  lastSeenMs: number | undefined;
}

/**
 * pass: judged on evidence and right; fail: judged and wrong; not-testable: this setup cannot judge
 * it (said why); pending: nothing to judge yet (no data). The canary's own words (its --json and
 * log lines say `pending`), each one of the shared vocabulary's states: CANARY_STATES.
 */
export type CheckStatus = 'pass' | 'fail' | 'not-testable' | 'pending';

/** Each canary check status in the shared vocabulary (src/verify/status.ts), as doctor's DOCTOR_STATES. */
export const CANARY_STATES: Record<CheckStatus, SharedStatus> = {
  pass: 'pass',
  fail: 'fail',
  'not-testable': 'not-testable',
  pending: 'no-data',
};
/** red: a check failed; pending: none failed but one is not proven yet; green: every check passed. */
export type TenantStatus = 'green' | 'red' | 'pending';

export interface CheckOutcome {
  check: CanaryCheck;
  status: CheckStatus;
  /** pass or not-testable (as verify's `ok`): not held against the tenant. Not a pass on /metrics. */
  ok: boolean;
  /**
   * Why it failed, what it waits for, or why it cannot be tested (empty when passed): the first
   * problems, as verify words them.
   */
  reason: string;
  /** When passed: what it passed on ("12 sample(s) equal to the exports"). */
  evidence?: string;
}

export interface TenantResult {
  tenant: string;
  status: TenantStatus;
  /** status === 'green': proven, not merely not failed. */
  ok: boolean;
  checks: CheckOutcome[];
  /** now − newest sample of this instance (or − the start, when none was seen yet), ms. */
  lagMs: number;
  /** The newest sample seen so far: the next interval's `lastSeenMs`. */
  lastSeenMs: number | undefined;
  /** Exports expected / visible in the completeness window. */
  exportsExpected: number;
  exportsVisible: number;
}

const MAX_PROBLEMS_SHOWN = 3;

export function evaluateTenant(
  input: TenantInput,
  log: ExportLog,
  s: WindowSettings,
  nowMs: number,
): TenantResult {
  if ('error' in input.backend) return unavailable(input, input.backend.error, s, nowMs);
  const mine = input.backend.series.map((series) => ({
    ...series,
    points: series.points.filter((p) => p.atMs >= s.startedAtMs),
  }));
  const own = mine.filter((x) => input.clientIds.includes(x.labels[PROM.labels.clientId] ?? ''));
  const foreign = mine.filter(
    (x) => x.points.length > 0 && !input.clientIds.includes(x.labels[PROM.labels.clientId] ?? ''),
  );

  // freshness
  let newest = input.lastSeenMs;
  for (const x of own) for (const p of x.points) if (newest === undefined || p.atMs > newest) newest = p.atMs;
  const lagMs = Math.max(0, nowMs - (newest ?? s.startedAtMs));
  const freshness = freshnessOf(lagMs, newest, s);

  // correctness: every own sample equals what was exported with its timestamp
  const wrong: string[] = [];
  let compared = 0;
  for (const x of own) {
    if (!(COMPARED_NAMES as readonly string[]).includes(x.name)) continue;
    compared += x.points.length;
    const key = seriesKey(
      x.name,
      x.labels[PROM.labels.clientId] ?? '',
      x.labels[PROM.labels.statusCode] ?? '',
    );
    for (const p of x.points) {
      const rec = log.at(p.atMs);
      const what = `${x.name}{client_id="${x.labels[PROM.labels.clientId]}", status "${x.labels[PROM.labels.statusCode]}"} at ${iso(p.atMs)}`;
      if (!rec) {
        wrong.push(
          `${what} = ${fmtNumber(p.value)}, but this canary exported nothing with that timestamp (is another canary running with the same --name?)`,
        );
      } else if (!rec.values.has(key)) {
        wrong.push(`${what} = ${fmtNumber(p.value)}, but the export of that time had no such series`);
      } else if (rec.values.get(key) !== p.value) {
        wrong.push(
          `${what}: the backend has ${fmtNumber(p.value)}, the canary exported ${fmtNumber(rec.values.get(key)!)}`,
        );
      }
    }
  }
  const correctness =
    compared === 0
      ? pending('correctness', "nothing to compare yet: no sample of this canary's series in the window")
      : outcome('correctness', wrong, `${compared} sample(s) equal to what was exported`);

  // completeness: every export of the window's mature part is visible.
  const from = Math.max(nowMs - s.windowMs + s.exportIntervalMs, s.startedAtMs);
  const to = nowMs - s.maxLagMs;
  const exports = log.records.filter(
    (r) => r.atMs >= from && r.ok !== undefined && input.clientIds.some((c) => r.clientIds.has(c)),
  );
  const expected = exports.filter((r) => r.atMs <= to);
  const visible = new Set<number>();
  for (const x of own) if (x.name === PROM.requestTotal) for (const p of x.points) visible.add(p.atMs);
  const seen = (r: ExportRecord) => visible.has(r.atMs) || visible.has(r.atMs - 1);
  const missing = expected.filter((r) => !seen(r));
  // --once has one interval, usually shorter than --max-lag: no export is due yet, and none can be
  // missing. Its evidence is then an export of this canary that did arrive; a red for a younger export
  // not seen yet would be a guess (a backend can make a newer sample searchable before an older one).
  // It does not prove completeness, though (0 of 0 due): not testable, not a pass.
  const arrived = exports.filter(seen).length;
  const completeness =
    expected.length === 0 && s.once && arrived > 0
      ? notTestable(
          'completeness',
          `--once: no export is older than --max-lag ${fmtSeconds(s.maxLagMs)} yet, so none can be missing (${arrived} arrived)`,
        )
      : expected.length === 0
        ? pending(
            'completeness',
            s.once
              ? 'nothing to count: no export of this canary is visible in the backend'
              : `nothing to count yet: no export in the window is older than --max-lag ${fmtSeconds(s.maxLagMs)}`,
          )
        : outcome(
            'completeness',
            missing.length ? [missingText(missing, expected.length)] : [],
            `${expected.length} of ${expected.length} exports visible`,
          );

  // isolation
  const leaks: string[] = [];
  if (s.isolated && foreign.length > 0) {
    leaks.push(
      `leak: ${foreign.length} series of run "${s.runId}" with ${describeClientIds(foreign.map(asSample))} are visible in tenant "${input.tenant}"`,
    );
  }
  const ownVisible = own.some((x) => x.points.length > 0);
  const isolation = !s.isolated
    ? notTestable('isolation', 'one store for every tenant (no tenant header): a leak cannot show')
    : !ownVisible && foreign.length === 0
      ? // Nothing visible in the tenant: no leak shows because nothing does.
        pending('isolation', 'nothing to check yet: no sample of the run in this tenant')
      : outcome('isolation', leaks, 'no other tenant’s series');

  // names: the canary's own series under the names verify expects
  const names = ownVisible
    ? outcome('names', renamed(own), 'the names verify expects')
    : pending('names', "nothing to check yet: no sample of this canary's series in the window");

  // --once: what is still unproven at its one interval never will be.
  const checks = [correctness, freshness, completeness, isolation, names].map((c) =>
    s.once && c.status === 'pending'
      ? failed(c.check, `${c.reason} (--once: no later interval to wait for)`)
      : c,
  );
  const status: TenantStatus = checks.some((c) => c.status === 'fail')
    ? 'red'
    : verdictPasses(checks.map((c) => CANARY_STATES[c.status]))
      ? 'green'
      : 'pending';
  return {
    tenant: input.tenant,
    status,
    ok: status === 'green',
    checks,
    lagMs,
    lastSeenMs: newest,
    exportsExpected: expected.length,
    exportsVisible: expected.length - missing.length,
  };
}

function freshnessOf(lagMs: number, newest: number | undefined, s: WindowSettings): CheckOutcome {
  if (newest === undefined && (lagMs > s.maxLagMs || s.once)) {
    return outcome('freshness', [
      `no sample of the canary's series visible ${fmtSeconds(lagMs)} after its start (--max-lag ${fmtSeconds(s.maxLagMs)})`,
    ]);
  }
  if (newest === undefined) {
    return pending(
      'freshness',
      `no sample of the canary's series visible yet, ${fmtSeconds(lagMs)} after its start (red after --max-lag ${fmtSeconds(s.maxLagMs)})`,
    );
  }
  if (lagMs > s.maxLagMs) {
    return outcome('freshness', [
      `delivery lag ${fmtSeconds(lagMs)} over --max-lag ${fmtSeconds(s.maxLagMs)}: the newest sample visible is from ${iso(newest)}`,
    ]);
  }
  return outcome('freshness', [], `newest sample ${fmtSeconds(lagMs)} old`);
}

/** The backend did not answer: every check fails with that reason; the lag keeps growing. */
function unavailable(input: TenantInput, error: string, s: WindowSettings, nowMs: number): TenantResult {
  const reason = `the backend did not answer for tenant "${input.tenant}": ${error}`;
  return {
    tenant: input.tenant,
    status: 'red',
    ok: false,
    checks: (['correctness', 'freshness', 'completeness', 'isolation', 'names'] as const).map((check) =>
      failed(check, reason),
    ),
    lagMs: Math.max(0, nowMs - (input.lastSeenMs ?? s.startedAtMs)),
    lastSeenMs: input.lastSeenMs,
    exportsExpected: 0,
    exportsVisible: 0,
  };
}

function renamed(own: SeriesPoints[]): string[] {
  const expected = [PROM.requestTotal, PROM.durationSum, PROM.durationCount];
  const present = new Set(own.filter((x) => x.points.length > 0).map((x) => x.name));
  const problems: string[] = [];
  for (const name of expected) {
    if (present.has(name)) continue;
    for (const other of present) {
      const why = diagnoseName(name, other);
      if (why) problems.push(`found ${other} instead of ${name}: ${why}`);
    }
  }
  return problems;
}

function missingText(missing: ExportRecord[], of: number): string {
  const failed = missing.filter((r) => r.ok === false);
  const shown = missing.slice(0, MAX_PROBLEMS_SHOWN).map((r) => iso(r.atMs));
  const more = missing.length > shown.length ? ` and ${missing.length - shown.length} more` : '';
  const why = failed.length
    ? `; the canary's exporter failed ${failed.length} of them (${failed[0]!.error ?? 'export failed'})`
    : '';
  return `${missing.length} of ${of} exports in the window are missing (${shown.join(', ')}${more})${why}`;
}

/** Passed on `evidence` when no problem, else failed with the first problems. */
function outcome(check: CanaryCheck, problems: string[], evidence = ''): CheckOutcome {
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
  if (problems.length === 0) return { ...checkOutcome(check, 'pass', ''), evidence };
  return failed(check, shown.join('; ') + more);
}

/** A check's outcome; its `ok` is the shared vocabulary's (okOfStatus of its CANARY_STATES state). */
export function checkOutcome(check: CanaryCheck, status: CheckStatus, reason: string): CheckOutcome {
  return { check, status, ok: okOfStatus(CANARY_STATES[status]), reason };
}

/** This setup cannot judge it: not held against the tenant, but not a pass either. */
const notTestable = (check: CanaryCheck, reason: string) => checkOutcome(check, 'not-testable', reason);
const failed = (check: CanaryCheck, reason: string) => checkOutcome(check, 'fail', reason);
/** Nothing to judge yet: not a pass. */
const pending = (check: CanaryCheck, reason: string) => checkOutcome(check, 'pending', reason);

function asSample(x: SeriesPoints): Sample {
  return { name: x.name, labels: x.labels, value: x.points.at(-1)?.value ?? Number.NaN };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function fmtSeconds(ms: number): string {
  return formatSeconds(ms, { trim: true });
}
