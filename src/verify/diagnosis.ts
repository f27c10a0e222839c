/**
 * Failure signatures: reds that cannot turn green by waiting, recognised from the polls so far, so
 * that verify ends at once with why and the fix instead of polling to its timeout. Pure functions of
 * (poll history + expectation + timing) → an optional verdict; no I/O, no clock of their own (the
 * poller passes the times). A red that can still turn green (data late, a leak seen only briefly, no
 * data yet within the pipeline's delay) gives no verdict: the poller keeps polling.
 *
 * 401/403/404 from the backend need no signature: the Prometheus client throws a BackendError with
 * the fix (check --url / --basic-auth / --bearer-token), which ends the polling at its first answer.
 */
import type { RunManifest } from '../manifest/schema.js';
import { formatDurationMs } from '../util/duration.js';
import type { RunExpectation } from './expectations.js';
import { okOfStatus } from './status.js';
import { type CheckResult, statusOf } from './types.js';

export type SignatureId =
  | 'embedded-manifest'
  | 'single-tenant-backend'
  | 'names-mismatch'
  | 'steady-leak'
  | 'no-data'
  | 'tenant-unanswered';

/** Why verify ended before its timeout, and what to change. */
export interface EarlyVerdict {
  signature: SignatureId;
  why: string;
  fix: string;
}

/** One answered poll, as the diagnosis sees it. */
export interface PollRecord {
  /** ms since verify began. */
  elapsedMs: number;
  results: CheckResult[];
  /**
   * Per tenant queried (backend with tenant isolation only): the distinct client_id values of the
   * run's series visible in it, sorted. Absent for a shared store, where views are split by client_id.
   */
  views?: ReadonlyMap<string, readonly string[]>;
}

export interface DiagnosisInput {
  history: readonly PollRecord[];
  expectation: Pick<RunExpectation, 'runId' | 'tenants' | 'endedAtMs'>;
  /** The backend isolates tenants (a tenant header is sent). */
  isolated: boolean;
  tenantHeader: string | null;
  /** The export interval of the run's server(s), when every manifest recorded it. */
  exportIntervalMs?: number;
  settleMs: number;
  /** Where the run's server(s) sent their metrics (the manifests' server.metricsTarget), for the fix. */
  metricsTargets?: readonly string[];
  /** Wall clock now, epoch ms. */
  nowMs: number;
}

/**
 * No series at all is certain only once every delay a healthy pipeline may add is over: the export
 * interval and the settle window, plus this for queues and indexing. 35 s covers VictoriaMetrics'
 * default -search.latencyOffset (30 s hide the newest samples) with 5 s to spare, so a backend that
 * is merely slow is waited for.
 */
export const NO_DATA_SLACK_MS = 35_000;

/** Polls in a row that must show the same single-tenant or renamed picture: one poll may be a moment. */
export const CONFIRMING_POLLS = 2;

/** A steady leak must be seen on at least this many polls (and over the settle window). */
export const STEADY_LEAK_POLLS = 3;

/** The signatures, most specific first; the first that fires is the verdict. */
export function diagnose(input: DiagnosisInput): EarlyVerdict | undefined {
  return (
    singleTenantBackend(input) ??
    namesMismatch(input) ??
    steadyLeak(input) ??
    noData(input) ??
    tenantUnanswered(input)
  );
}

/**
 * A tenant none of whose requests reached the server has nothing in the pipeline to prove: its
 * checks stay "no data" however long verify waits. Once every other check is decided green, that is
 * the whole verdict, so waiting for the timeout would only delay it.
 */
function tenantUnanswered(input: DiagnosisInput): EarlyVerdict | undefined {
  const last = input.history.at(-1);
  if (!last) return undefined;
  const empty = input.expectation.tenants.filter((t) => t.received + t.unanswered === 0);
  if (empty.length === 0) return undefined;
  const names = new Set(empty.map((t) => t.tenant));
  const rest = last.results.filter((r) => !names.has(r.tenant));
  if (!rest.some((r) => statusOf(r) === 'pass') || !rest.every((r) => okOfStatus(statusOf(r))))
    return undefined;
  const shown = empty.map((t) => `${t.tenant} (${t.sent} sent, ${t.refused} refused)`).join(', ');
  return {
    signature: 'tenant-unanswered',
    why: `no request of tenant(s) ${shown} was answered by the server, so nothing of theirs reached the pipeline to prove; every other tenant's checks passed`,
    fix: 'see the load summary for why the server refused them (not listening, overloaded, a --max-inflight cap) and run again',
  };
}

/** What the diagnosis needs from the manifests, known before any poll. */
export interface DiagnosisSetup {
  exportIntervalMs?: number;
  /** Manifests written by an embedded run (metrics captured in process, never exported). */
  embedded: string[];
  /** Where the manifests' servers sent their metrics. */
  metricsTargets: string[];
}

export function diagnosisSetup(
  manifests: readonly { manifest: RunManifest; source: string }[],
): DiagnosisSetup {
  const intervals = manifests.map((m) => m.manifest.server?.exportIntervalMs);
  const known = intervals.filter((i): i is number => i !== undefined);
  return {
    ...(known.length > 0 && known.length === intervals.length
      ? { exportIntervalMs: Math.max(...known) }
      : {}),
    embedded: manifests
      .filter((m) => m.manifest.server?.embedded === true || m.manifest.server?.topology === 'embedded')
      .map((m) => m.source),
    metricsTargets: [
      ...new Set(
        manifests.flatMap((m) => (m.manifest.server?.metricsTarget ? [m.manifest.server.metricsTarget] : [])),
      ),
    ],
  };
}

/**
 * Before any poll: a manifest of an embedded run names metrics that never left its process, so no
 * backend can ever show them.
 */
export function embeddedManifest(setup: DiagnosisSetup): EarlyVerdict | undefined {
  if (setup.embedded.length === 0) return undefined;
  const which =
    setup.embedded.length === 1
      ? setup.embedded[0]
      : `${setup.embedded.length} manifests (${setup.embedded.join(', ')})`;
  return {
    signature: 'embedded-manifest',
    why: `${which} was written by an embedded run ("embedded": true): its metrics were captured in that process and never left it, so the data never left the server and no backend can show it`,
    fix: 'run through a pipeline: `otelpoc run --url <Prometheus API> --otlp-endpoint <OTLP endpoint>`, or `otelpoc load --serve` with an OTLP endpoint (--otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT), then verify that manifest',
  };
}

/**
 * Every tenant's view holds the same series, those of several tenants' client_ids: the backend
 * ignored the tenant header and answered every tenant from one store.
 */
function singleTenantBackend(input: DiagnosisInput): EarlyVerdict | undefined {
  const { history, expectation } = input;
  if (!input.isolated) return undefined;
  const tenants = expectation.tenants.map((t) => t.tenant);
  if (tenants.length < 2) return undefined;
  const owner = new Map<string, string>();
  for (const t of expectation.tenants) for (const c of t.clientIds) owner.set(c, t.tenant);
  const last = history.slice(-CONFIRMING_POLLS);
  if (last.length < CONFIRMING_POLLS) return undefined;
  let shared: readonly string[] | undefined;
  for (const poll of last) {
    if (!poll.views) return undefined;
    const first = poll.views.get(tenants[0]!);
    if (!first) return undefined;
    const key = first.join('\u0000');
    if (!tenants.every((t) => poll.views!.get(t)?.join('\u0000') === key)) return undefined;
    // Several tenants' data in every view: not one tenant's data gone astray, everything everywhere.
    const owners = new Set(first.map((c) => owner.get(c)).filter((o) => o !== undefined));
    if (owners.size < 2) return undefined;
    shared = first;
  }
  const header = input.tenantHeader ?? 'the tenant header';
  return {
    signature: 'single-tenant-backend',
    why: `every tenant (${tenants.join(', ')}) sees the same series, those of ${shared!.length} client_id values of several tenants, on ${CONFIRMING_POLLS} polls in a row: the backend ignores ${header} and answers every tenant from one store, i.e. it is single-tenant (e.g. one VictoriaMetrics)`,
    fix: 'verify a single-tenant backend with --no-tenant-header (verify, run), which splits its one store by client_id (isolation is then not testable); or point --url at a multi-tenant backend (Mimir, or vmauth routing each tenant)',
  };
}

/** The names check found the run's series under other names: stored so, they will not be renamed. */
function namesMismatch(input: DiagnosisInput): EarlyVerdict | undefined {
  const last = input.history.slice(-CONFIRMING_POLLS);
  if (last.length < CONFIRMING_POLLS) return undefined;
  const renamedOf = (p: PollRecord) =>
    p.results
      .filter((r) => r.check === 'names' && !r.ok)
      .flatMap((r) => r.problems.filter((x) => x.startsWith('found ')).map((x) => `${r.tenant}: ${x}`));
  const now = renamedOf(last[last.length - 1]!);
  if (now.length === 0) return undefined;
  if (!last.every((p) => renamedOf(p).join('\n') === now.join('\n'))) return undefined;
  return {
    signature: 'names-mismatch',
    why: `the run's series are stored under other names, on ${CONFIRMING_POLLS} polls in a row (${now[0]}${now.length > 1 ? `; and ${now.length - 1} more` : ''}): stored names do not change, so waiting cannot fix it`,
    fix: 'make the pipeline translate OTLP names to Prometheus names with suffixes (Mimir: otel_metric_suffixes_enabled: true; VictoriaMetrics: -opentelemetry.usePrometheusNaming; Alloy: keep add_metric_suffixes on), then run again with a new run id',
  };
}

/** The same foreign series in a tenant over the whole settle window: a leak does not go away. */
function steadyLeak(input: DiagnosisInput): EarlyVerdict | undefined {
  const { history, settleMs } = input;
  const latest = history[history.length - 1];
  if (!latest) return undefined;
  const leakOf = (p: PollRecord) =>
    p.results
      .filter((r) => r.check === 'isolation' && !r.ok && !r.skipped && r.problems.length > 0)
      .map((r) => `${r.tenant}\u0000${r.found}\u0000${r.problems.join('\n')}`)
      .join('\n\u0001');
  const key = leakOf(latest);
  if (key === '') return undefined;
  // The streak of polls, back from the latest, that showed exactly these foreign series.
  let first = history.length - 1;
  while (first > 0 && leakOf(history[first - 1]!) === key) first--;
  const polls = history.length - first;
  const spanMs = latest.elapsedMs - history[first]!.elapsedMs;
  if (polls < STEADY_LEAK_POLLS || spanMs < settleMs) return undefined;
  const failing = latest.results.filter((r) => r.check === 'isolation' && !r.ok && r.problems.length > 0);
  const problem = failing[0]!;
  return {
    signature: 'steady-leak',
    why: `${problem.tenant}: ${problem.problems[0]} — the same on ${polls} polls over ${formatDurationMs(Math.round(spanMs))}${settleMs > 0 ? `, longer than the ${formatDurationMs(settleMs)} settle window` : ''}${failing.length > 1 ? ` (and ${failing.length - 1} more tenant(s))` : ''}: series in the wrong tenant stay there`,
    fix: 'fix the tenant routing (cortex-tenant: tenant label client_id; the per-tenant export header; requests with a Client-ID outside the manifest), then run again with a new run id',
  };
}

/** No series of the run anywhere, after every delay a working pipeline could add is over. */
function noData(input: DiagnosisInput): EarlyVerdict | undefined {
  const { history, expectation } = input;
  if (input.exportIntervalMs === undefined) return undefined; // the user's server: its interval is unknown
  const latest = history[history.length - 1];
  if (!latest || history.length < CONFIRMING_POLLS) return undefined;
  const waitMs = input.exportIntervalMs + input.settleMs + NO_DATA_SLACK_MS;
  const sinceEndMs = input.nowMs - expectation.endedAtMs;
  if (sinceEndMs < waitMs) return undefined;
  const expected = new Set(expectation.tenants.filter((t) => t.received > 0).map((t) => t.tenant));
  if (expected.size === 0) return undefined;
  const empty = (p: PollRecord) =>
    p.results.every((r) =>
      r.check === 'presence' && expected.has(r.tenant)
        ? r.found === 'none'
        : r.check !== 'isolation' || statusOf(r) !== 'fail',
    ) && p.results.some((r) => r.check === 'presence' && expected.has(r.tenant));
  if (!history.slice(-CONFIRMING_POLLS).every(empty)) return undefined;
  return {
    signature: 'no-data',
    why: `no series of run "${expectation.runId}" in any tenant ${formatDurationMs(Math.round(sinceEndMs))} after the run ended, longer than its export interval (${formatDurationMs(input.exportIntervalMs)}) + the settle window (${formatDurationMs(input.settleMs)}) + ${formatDurationMs(NO_DATA_SLACK_MS)} for the pipeline: the data did not reach this backend`,
    fix: `check that the run's server exported where this backend reads (it sent to ${input.metricsTargets?.length ? input.metricsTargets.join(', ') : "the manifest's server.metricsTarget"}; compare with --url), the run id (--manifest), and every hop with \`otelpoc doctor\``,
  };
}
