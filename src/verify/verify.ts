/**
 * `otelpoc verify` as a library call: expectation + source → polled checks → VerifyReport (plain
 * data; rendered by cli/render/verify-report.ts).
 */
import type { RunManifest } from '../manifest/schema.js';
import { formatDurationMs } from '../util/duration.js';
import { runChecks } from './checks/index.js';
import { type KindContext, kindVerdictOf } from './checks/kind.js';
import { clientIdOf } from './checks/samples.js';
import { type DiagnosisSetup, diagnose, type EarlyVerdict, embeddedManifest } from './diagnosis.js';
import type { RunExpectation } from './expectations.js';
import { SeriesHistory } from './history.js';
import { type KindVerdict, parseAcceptChanges } from './kinds/assess.js';
import { readDropCounters } from './kinds/backend-drops.js';
import { readDeltaStorage } from './kinds/delta-storage.js';
import { normaliseObservation } from './kinds/forms.js';
import { isDefaultForm, isDelta } from './kinds/kind.js';
import type { PollClock } from './poll.js';
import { type Backoff, type PollEvent, pollChecks } from './poll.js';
import {
  CHECK_IDS,
  type CheckResult,
  type Observation,
  type SeriesSource,
  type VerifyReport,
} from './types.js';

export interface VerifyOptions {
  expectation: RunExpectation;
  source: SeriesSource;
  clock: PollClock;
  timeoutMs: number;
  backoff?: Backoff;
  signal?: AbortSignal;
  onEvent?: (event: PollEvent) => void;
  /** Put the queries made into the report. */
  explain?: boolean;
  /**
   * Tenants to look in besides the manifest's, for data of the run that went astray: the default
   * tenant always (requests without Client-ID land there), plus --also-tenants. With a source that
   * can list its tenants (--all-tenants), every listed tenant too.
   */
  alsoTenants?: readonly string[];
  /** The header naming the tenant, for the report (null: none). */
  tenantHeader: string | null;
  /** Wall-clock time, epoch ms (default Date.now). */
  wallClockMs?: () => number;
  /** The settle window (see pollChecks) and where it came from, for the report. Default: none. */
  settle?: Settle;
  /**
   * Why the verdict cannot be green whatever the backend shows (see VerifyReport.cannotPass), from
   * the manifests. `nothingAnswered` also means there is nothing to poll for: verify fails at once.
   */
  cannotPass?: readonly string[];
  nothingAnswered?: string;
  /** The manifest's load was interrupted: said in the report (VerifyReport.runInterrupted). */
  runInterrupted?: string;
  /** The shards' real starts, how far apart (VerifyReport.shardStarts; ./expectations.ts shardStartSpread). */
  shardStarts?: string;
  /**
   * The service.instance.id of every server of the run (the manifests' server.instanceId), when all
   * recorded one: a series of the run from another instance makes verify fail (foreignInstances).
   * Undefined: not checked (load --target, older manifests).
   */
  instanceIds?: readonly string[];
  /** What the failure signatures need from the manifests (diagnosisSetup); absent: none is looked for. */
  diagnosis?: DiagnosisSetup;
  /**
   * Changes of form (kinds/assess.ts KIND_CHANGES) the user accepts: the kind check then passes on
   * such a change (counts exact), where by default only an exact arrival passes. Checked before any
   * query: an unknown name is a UsageError.
   */
  acceptChanges?: readonly string[];
  /**
   * The backend's own metrics page (VictoriaMetrics http://host:8428/metrics, Cortex and Mimir
   * http://host:9009/metrics: defaultBackendMetricsUrl), read on each poll of a run whose kind is
   * known, for what the backend says it dropped (kinds/backend-drops.ts), so that a "not stored"
   * names the backend's own counter. Absent: not read.
   */
  backendMetricsUrl?: string;
}

/**
 * Where a series names the server instance it came from. VictoriaMetrics turns the resource
 * attribute service.instance.id into the label `service_instance_id`; Prometheus' and Mimir's OTLP
 * translation (and Alloy's prometheus exporter) put it in `instance`, and the other resource
 * attributes go to target_info, which verify does not read. A series with neither cannot be told
 * apart and is not judged.
 */
export const INSTANCE_LABELS = ['service_instance_id', 'instance'] as const;

/** Series of the observation from instances not in `known`: instance id → series count. */
export function foreignInstances(observation: Observation, known: ReadonlySet<string>): Map<string, number> {
  const samples = observation.isolated ? observation.views.flatMap((v) => v.samples) : observation.all;
  const out = new Map<string, number>();
  for (const s of samples) {
    const label = INSTANCE_LABELS.find((l) => s.labels[l] !== undefined);
    const id = label === undefined ? undefined : s.labels[label]!;
    if (id !== undefined && !known.has(id)) out.set(id, (out.get(id) ?? 0) + 1);
  }
  return out;
}

/** The line saying that series of the run came from instances no manifest recorded. */
export function foreignInstancesLine(
  runId: string,
  foreign: Map<string, number>,
  known: readonly string[],
): string {
  const series = [...foreign.values()].reduce((a, b) => a + b, 0);
  const ids = [...foreign.keys()].sort();
  const shown = ids.slice(0, 3).join(', ') + (ids.length > 3 ? ` and ${ids.length - 3} more` : '');
  return `${series} series of run ${runId} come from server instance(s) ${shown} that no manifest of the run recorded (its server instance(s): ${known.join(', ')}): an earlier attempt or another process sent data under this run id, so the backend's counts are not this run's alone — verify a run made under a fresh --run-id`;
}

export interface Settle {
  ms: number;
  why: string;
}

/** Added to a known export interval: the pipeline's own batching and queues (collector, remote write). */
export const SETTLE_MARGIN_MS = 5_000;
/**
 * When no manifest knows its server's export interval (load --target: the user's server): one export
 * interval of `otelpoc serve` (10 s) plus the margin. Long enough for a pipeline's batches and retries,
 * short enough for CI; an application exporting every 60 s (the OpenTelemetry SDK default) needs
 * --settle 65s to cover a sample recorded just after an export.
 */
export const DEFAULT_SETTLE_MS = 15_000;

/**
 * The longest settle window verify watches, whatever asked for it (--settle, or a manifest's export
 * interval: a genuine `--export-interval 576h` would otherwise mean a 24-day window). Five minutes
 * cover an export interval of up to 4 min 55 s plus the margin, which is more than any pipeline
 * this tool is meant for; the whole verify then takes at most --timeout + this + one query timeout.
 */
export const MAX_SETTLE_MS = 5 * 60_000;

/** The settle window as watched: at most MAX_SETTLE_MS, the cap said in `why`. */
export function boundedSettle(settle: Settle | undefined): Settle {
  if (!settle) return { ms: 0, why: 'none asked' };
  if (settle.ms <= MAX_SETTLE_MS) return settle;
  return {
    ms: MAX_SETTLE_MS,
    why: `${settle.why} = ${formatDurationMs(settle.ms)}, capped at ${formatDurationMs(MAX_SETTLE_MS)} (the longest settle window verify watches)`,
  };
}

/**
 * The settle window verify uses unless --settle says: one export interval of the run's server plus
 * a margin, when every manifest recorded it (load --serve, run); otherwise DEFAULT_SETTLE_MS. A sample
 * recorded just after an export waits one interval in the server before it even leaves it.
 */
export function defaultSettle(manifests: readonly RunManifest[]): Settle {
  const intervals = manifests.map(exportIntervalOf);
  const known = intervals.filter((i): i is number => i !== undefined);
  if (known.length > 0 && known.length === intervals.length) {
    const interval = Math.max(...known);
    return {
      ms: interval + SETTLE_MARGIN_MS,
      why: `the run's export interval (${formatDurationMs(interval)}) + ${formatDurationMs(SETTLE_MARGIN_MS)}`,
    };
  }
  return {
    ms: DEFAULT_SETTLE_MS,
    why: `default: the run's export interval is unknown (not recorded by load --target); --settle sets it`,
  };
}

/** The export interval the manifest recorded for its in-process server (load --serve, run). */
function exportIntervalOf(m: RunManifest): number | undefined {
  return m.server?.exportIntervalMs;
}

/**
 * Added to the run's age when reading its samples (see queryWindowMs): the clocks of the load
 * machine and the backend may disagree, and a sample stamped a little before the manifest's start
 * still belongs to the run.
 */
export const QUERY_WINDOW_MARGIN_MS = 5 * 60_000;

/**
 * How far back verify reads: from the run's start (minus the margin) up to now. Every query reads
 * the newest sample of each series in that window (last_over_time), so the run's final counts are
 * seen however long ago it ended, and requests of the run that reached the backend later (late
 * exports, a process reusing the run id) are seen too, by any later verify: the newest value wins.
 * (Querying at a pinned instant after the run hid everything written after that instant.)
 */
export function queryWindowMs(nowMs: number, startedAtMs: number): number {
  return Math.max(0, nowMs - startedAtMs) + QUERY_WINDOW_MARGIN_MS;
}

export async function runVerify(opts: VerifyOptions): Promise<VerifyReport> {
  const { expectation, source } = opts;
  const acceptChanges = parseAcceptChanges(opts.acceptChanges ?? []);
  const sentKind = expectation.kind;
  let kindContext: KindContext | undefined = sentKind
    ? { kind: sentKind, ...(acceptChanges.length > 0 ? { acceptChanges } : {}) }
    : undefined;
  let lastObservation: Observation | undefined;
  const tenants = expectation.tenants.map((t) => t.tenant);
  const clientIds = expectation.tenants.flatMap((t) => t.clientIds);
  const settle = boundedSettle(opts.settle);
  const cannotPass = [...(opts.nothingAnswered ? [opts.nothingAnswered] : []), ...(opts.cannotPass ?? [])];
  const fromManifests = {
    ...(cannotPass.length > 0 ? { cannotPass } : {}),
    ...(opts.runInterrupted ? { runInterrupted: opts.runInterrupted } : {}),
    ...(opts.shardStarts ? { shardStarts: opts.shardStarts } : {}),
  };
  if (opts.nothingAnswered) {
    // The server recorded nothing of the run: the backend can only show nothing, which proves nothing.
    return {
      runId: expectation.runId,
      ok: false,
      timedOut: false,
      interrupted: false,
      source: source.description,
      isolated: source.isolated,
      tenantHeader: opts.tenantHeader,
      tenants,
      polls: 0,
      elapsedMs: 0,
      results: [],
      settleMs: 0,
      settleWhy: 'none: nothing to verify',
      greenForMs: 0,
      ...fromManifests,
    };
  }
  const history = new SeriesHistory();
  let alsoSearched: string[] = [];
  let windowMs: number | undefined;
  const known = opts.instanceIds ? new Set(opts.instanceIds) : undefined;
  const foreign = new Map<string, number>();
  const early = opts.diagnosis ? embeddedManifest(opts.diagnosis) : undefined;
  if (early) return endedBeforePolling(opts, tenants, early);
  // Per poll's results: the client_ids each queried tenant saw, for the single-tenant signature.
  const viewsOf = new WeakMap<CheckResult[], ReadonlyMap<string, readonly string[]>>();
  const poll = pollChecks(
    async () => {
      windowMs = queryWindowMs((opts.wallClockMs ?? Date.now)(), expectation.startedAtMs);
      const signal = opts.signal ? { signal: opts.signal } : {};
      // Listed on every poll: a tenant created by data arriving late shows up on a later poll.
      const listed = source.listTenants ? await source.listTenants(signal) : [];
      alsoSearched = source.isolated
        ? [...new Set([...(opts.alsoTenants ?? []), ...listed])].filter((t) => !tenants.includes(t)).sort()
        : [];
      // A native histogram becomes the _count/_sum series every check reads (kinds/forms.ts).
      const observed = normaliseObservation(
        await source.observe(tenants, expectation.runId, {
          ...signal,
          windowMs,
          clientIds,
          ...(alsoSearched.length > 0 ? { also: alsoSearched } : {}),
          ...(sentKind ? { kind: sentKind } : {}),
        }),
      );
      // A delta run: raw deltas (summed) or converted to cumulative on the way (the newest sample).
      const storage =
        sentKind && isDelta(sentKind) ? readDeltaStorage(expectation, observed, sentKind) : undefined;
      const observation = storage?.observation ?? observed;
      if (kindContext && storage) kindContext = { ...kindContext, deltaConverted: storage.converted };
      lastObservation = observation;
      if (kindContext && opts.backendMetricsUrl) {
        const drops = await readDropCounters(opts.backendMetricsUrl, signal);
        kindContext = { ...kindContext, ...(drops ? { drops } : {}) };
      }
      if (known) {
        // The most series seen per foreign instance on any poll (a late one shows up on a later poll).
        for (const [id, n] of foreignInstances(observation, known))
          foreign.set(id, Math.max(n, foreign.get(id) ?? 0));
      }
      // The history of a delta run is of its sums (never decreasing for either storage): a tenant read
      // as summed on an early poll and as converted (its newest samples) later is no decrease.
      const all = history.record(observed);
      const decreases = new Map(tenants.map((t) => [t, SeriesHistory.forTenant(all, t)]));
      const results = runChecks({
        expectation,
        observation,
        decreases,
        // Cumulative explicit buckets are what the seven checks prove exactly already: the kind
        // check is for the other forms (report.kinds still gives every kind's verdict).
        ...(kindContext && !isDefaultForm(kindContext.kind) ? { kind: kindContext } : {}),
      });
      if (observation.isolated) {
        viewsOf.set(
          results,
          new Map(
            observation.views.map((v) => [v.tenant, [...new Set(v.samples.map(clientIdOf))].sort()] as const),
          ),
        );
      }
      return results;
    },
    {
      clock: opts.clock,
      timeoutMs: opts.timeoutMs,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
      settleMs: settle.ms,
      ...(opts.diagnosis
        ? {
            diagnose: (history) =>
              diagnose({
                history: history.map((p) => {
                  const views = viewsOf.get(p.results);
                  return views ? { ...p, views } : p;
                }),
                expectation,
                isolated: source.isolated,
                tenantHeader: opts.tenantHeader,
                ...(opts.diagnosis!.exportIntervalMs !== undefined
                  ? { exportIntervalMs: opts.diagnosis!.exportIntervalMs }
                  : {}),
                metricsTargets: opts.diagnosis!.metricsTargets,
                settleMs: settle.ms,
                nowMs: (opts.wallClockMs ?? Date.now)(),
              }),
          }
        : {}),
    },
  );
  const outcome = await poll;
  if (foreign.size > 0) cannotPass.push(foreignInstancesLine(expectation.runId, foreign, [...known!]));
  const fromPolls = cannotPass.length > 0 ? { cannotPass } : {};
  return {
    runId: expectation.runId,
    // A manifest that says its data never got through cannot pass on what the backend shows.
    ok: outcome.ok && cannotPass.length === 0,
    timedOut: outcome.timedOut,
    interrupted: outcome.interrupted,
    source: source.description,
    isolated: source.isolated,
    tenantHeader: opts.tenantHeader,
    tenants,
    ...(alsoSearched.length > 0 ? { alsoSearched } : {}),
    polls: outcome.polls,
    elapsedMs: Math.round(outcome.elapsedMs),
    results: outcome.interrupted ? undecidedResults(outcome.results, tenants) : outcome.results,
    ...(opts.explain
      ? { queries: source.explain(tenants, expectation.runId, windowMs, sentKind, clientIds) }
      : {}),
    ...(outcome.lastError ? { lastError: outcome.lastError } : {}),
    settleMs: outcome.settleMs,
    settleWhy: settle.why,
    greenForMs: Math.round(outcome.greenForMs),
    ...(outcome.firstGreenMs !== undefined ? { visibleAfterMs: Math.round(outcome.firstGreenMs) } : {}),
    ...(outcome.flaps.length > 0
      ? {
          flaps: outcome.flaps.map((f) => ({
            ...f,
            atMs: Math.round(f.atMs),
            greenSinceMs: Math.round(f.greenSinceMs),
          })),
        }
      : {}),
    ...fromManifests,
    ...fromPolls,
    ...(outcome.endedEarly
      ? { endedEarly: { ...outcome.endedEarly, atMs: Math.round(outcome.endedEarly.atMs) } }
      : {}),
    ...(kindContext && lastObservation
      ? {
          kinds: {
            sent: kindContext.kind,
            acceptChanges,
            tenants: kindVerdicts(expectation, lastObservation, kindContext),
          },
        }
      : {}),
  };
}

/** Per manifest tenant, the kind verdict on the last observation (a tenant due nothing has none). */
function kindVerdicts(expectation: RunExpectation, observation: Observation, k: KindContext): KindVerdict[] {
  return expectation.tenants.flatMap((exp) => {
    const view = observation.isolated
      ? (observation.views.find((v) => v.tenant === exp.tenant) ?? { tenant: exp.tenant, samples: [] })
      : { tenant: exp.tenant, samples: observation.all };
    const v = kindVerdictOf(exp, view, k);
    return v ? [v] : [];
  });
}

/** A red known before any poll (diagnosis.ts): every check failed, none was made, the reason says why. */
function endedBeforePolling(opts: VerifyOptions, tenants: string[], early: EarlyVerdict): VerifyReport {
  return {
    runId: opts.expectation.runId,
    ok: false,
    timedOut: false,
    interrupted: false,
    source: opts.source.description,
    isolated: opts.source.isolated,
    tenantHeader: opts.tenantHeader,
    tenants,
    polls: 0,
    elapsedMs: 0,
    results: tenants.flatMap((tenant) =>
      CHECK_IDS.map((check) => ({
        tenant,
        check,
        ok: false,
        expected: '',
        found: `not checked: ${early.signature}`,
        problems: [],
      })),
    ),
    settleMs: boundedSettle(opts.settle).ms,
    settleWhy: boundedSettle(opts.settle).why,
    greenForMs: 0,
    endedEarly: { ...early, atMs: 0 },
  };
}

/**
 * The results of an interrupted verify: what passed stays passed; every other check is undecided
 * (it had not passed yet, and might have later). Before any answer, every tenant × check is undecided.
 */
export function undecidedResults(last: CheckResult[], tenants: string[]): CheckResult[] {
  if (last.length > 0)
    return last.map((r) => (r.ok ? r : { ...r, status: 'undecided' as const, undecided: true }));
  return tenants.flatMap((tenant) =>
    CHECK_IDS.map((check) => ({
      tenant,
      check,
      status: 'undecided' as const,
      ok: false,
      undecided: true,
      expected: '',
      found: 'not checked: interrupted before the backend answered',
      problems: [],
    })),
  );
}
