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
 */
import { PROM } from '../telemetry/names.js';
import { diagnoseName } from '../verify/checks/index.js';
import { describeClientIds, fmtNumber } from '../verify/checks/samples.js';
import type { SeriesPoints } from '../verify/prom-client.js';
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

export interface CheckOutcome {
  check: CanaryCheck;
  ok: boolean;
  /** Why it failed (empty when ok): the first problems, as verify words them. */
  reason: string;
}

export interface TenantResult {
  tenant: string;
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
  for (const x of own) {
    if (!(COMPARED_NAMES as readonly string[]).includes(x.name)) continue;
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
  const correctness = outcome('correctness', wrong);

  // completeness: every export of the window's mature part is visible
  const from = Math.max(nowMs - s.windowMs + s.exportIntervalMs, s.startedAtMs);
  const to = nowMs - s.maxLagMs;
  const expected = log.records.filter(
    (r) =>
      r.atMs >= from && r.atMs <= to && r.ok !== undefined && input.clientIds.some((c) => r.clientIds.has(c)),
  );
  const visible = new Set<number>();
  for (const x of own) if (x.name === PROM.requestTotal) for (const p of x.points) visible.add(p.atMs);
  const missing = expected.filter((r) => !visible.has(r.atMs) && !visible.has(r.atMs - 1));
  const completeness = outcome('completeness', missing.length ? [missingText(missing, expected.length)] : []);

  // isolation
  const leaks: string[] = [];
  if (s.isolated && foreign.length > 0) {
    leaks.push(
      `leak: ${foreign.length} series of run "${s.runId}" with ${describeClientIds(foreign.map(asSample))} are visible in tenant "${input.tenant}"`,
    );
  }
  const isolation = outcome('isolation', leaks);

  // names: the canary's own series under the names verify expects
  const names = outcome('names', renamed(own));

  const checks = [correctness, freshness, completeness, isolation, names];
  return {
    tenant: input.tenant,
    ok: checks.every((c) => c.ok),
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
  if (lagMs > s.maxLagMs) {
    return outcome('freshness', [
      `delivery lag ${fmtSeconds(lagMs)} over --max-lag ${fmtSeconds(s.maxLagMs)}: the newest sample visible is from ${iso(newest!)}`,
    ]);
  }
  return outcome('freshness', []);
}

/** The backend did not answer: every check fails with that reason; the lag keeps growing. */
function unavailable(input: TenantInput, error: string, s: WindowSettings, nowMs: number): TenantResult {
  const reason = `the backend did not answer for tenant "${input.tenant}": ${error}`;
  return {
    tenant: input.tenant,
    ok: false,
    checks: (['correctness', 'freshness', 'completeness', 'isolation', 'names'] as const).map((check) => ({
      check,
      ok: false,
      reason,
    })),
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

function outcome(check: CanaryCheck, problems: string[]): CheckOutcome {
  const shown = problems.slice(0, MAX_PROBLEMS_SHOWN);
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : '';
  return { check, ok: problems.length === 0, reason: shown.join('; ') + more };
}

function asSample(x: SeriesPoints): Sample {
  return { name: x.name, labels: x.labels, value: x.points.at(-1)?.value ?? Number.NaN };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function fmtSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
