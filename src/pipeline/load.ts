/**
 * `otelpoc load`'s core, and the load part it shares with `run`: the option table; the input
 * resolved and checked once (the flags given over the --scenario file over the table's defaults, the
 * shard, every output path), every problem together; and the lifecycle (runPipeline, the manifest,
 * the HTML report, what a stop owes, the exit code). It returns plain data; the CLI renders.
 */
import {
  LOAD_DEFAULTS,
  type LoadDefaults,
  type LoadInput,
  type ScenarioInput,
  type TargetFrom,
} from '../load/config.js';
import { scenarioInputs } from '../load/scenario.js';
import { checkShardFits, FLAG_NAMES, type LimitNames, type Shard } from '../load/shard.js';
import type { RunManifest } from '../manifest/schema.js';
import { checkManifestOut, manifestOutputs, manifestPath } from '../manifest/write.js';
import {
  LOAD_OPTIONS,
  OUTPUT_OPTIONS,
  SCALE_OPTIONS,
  SERVER_OPTIONS,
  SERVICE_PROFILE,
  SHARD_INDEX_ENV,
  SHARD_OPTIONS,
  TENANT_EXPORT_OPTIONS,
  VERIFY_BACKEND_OPTIONS,
} from '../options/settings.js';
import {
  collect,
  type Given,
  option,
  type Resolved,
  resolveOptions,
  throwProblems,
  toggle,
  type Values,
} from '../options/table.js';
import type { ReportCommand } from '../report/html.js';
import { TENANT_HEADER } from '../telemetry/names.js';
import type { Env } from '../util/env.js';
import {
  CheckFailedError,
  type ExitCode,
  InterruptedError,
  type OtelpocError,
  UsageError,
} from '../util/errors.js';
import { parseHeaderName } from '../util/http-headers.js';
import { checkDistinctFiles, checkOutputPath, namedFiles } from '../util/output-file.js';
import { type GracefulStop, NO_STOP, stopLimitMs } from './lifecycle.js';
import { type Owed, owedWhileRunning } from './owed.js';
import { ownTenantExport, servePartFrom } from './serve.js';
import type { LoadPart, PipelineConfig, PipelineDeps, PipelineEvent, RunReport, ServePart } from './types.js';
import { backendFrom } from './verify-backend.js';
import type { OutputFile, ReportWritten } from './verify-outputs.js';

const { tenantHeader: _th, defaultTenant: _dt, ...SNAPSHOT_BACKEND } = VERIFY_BACKEND_OPTIONS;

export const LOAD_COMMAND_OPTIONS = {
  serve: toggle('--serve', 'start the instrumented server in this process on a free port and load it'),
  out: OUTPUT_OPTIONS.out,
  json: toggle('--json', 'print the manifest as JSON on stdout instead of the summary'),
  quiet: toggle('-q, --quiet', 'no progress and no summary'),
  report: OUTPUT_OPTIONS.report,
  ...LOAD_OPTIONS,
  serviceProfile: SERVICE_PROFILE,
  ...TENANT_EXPORT_OPTIONS,
  // With --serve: the per-tenant export's header; with --service-profile: also the snapshot queries'.
  tenantHeader: option<string | false>({
    flags: TENANT_EXPORT_OPTIONS.tenantHeader.flags,
    parse: parseHeaderName,
    help: `${TENANT_EXPORT_OPTIONS.tenantHeader.help}; with --service-profile, also the header that names the tenant on each query (${TENANT_HEADER} if not given)`,
    negate: {
      flags: '--no-tenant-header',
      help: 'with --service-profile: send no tenant header on the queries (a single-tenant backend)',
      value: false,
    },
  }),
  ...SERVER_OPTIONS,
  ...SHARD_OPTIONS,
  // Where load snapshots the service's counts, with --service-profile only.
  ...SNAPSHOT_BACKEND,
  ...SCALE_OPTIONS,
};

/** The settings of a load part (load, run): the load's, the shard's, how it scales, where the manifest goes. */
type LoadPartTable = typeof LOAD_OPTIONS &
  typeof SHARD_OPTIONS &
  typeof SCALE_OPTIONS &
  Pick<typeof OUTPUT_OPTIONS, 'out'>;

/** The LoadInput of the load settings given (flag or env var); defaults are left to resolveLoadConfig. */
export function loadInputOf(g: Partial<Values<typeof LOAD_OPTIONS>>): LoadInput {
  const thresholds = { maxErrorRate: g.maxErrorRate, maxDropRate: g.maxDropRate };
  return {
    target: g.target,
    rate: g.rps,
    durationMs: g.duration,
    requests: g.requests,
    connections: g.connections,
    maxInflight: g.maxInflight,
    timeoutMs: g.timeout,
    tenants: g.tenants,
    clientIds: g.clientIds,
    tenantWeights: g.tenantWeights,
    anonymousPercent: g.anonymous,
    statusMix: g.statusMix,
    runId: g.runId,
    thresholds:
      thresholds.maxErrorRate !== undefined || thresholds.maxDropRate !== undefined ? thresholds : undefined,
  };
}

/** The table's defaults (what --help shows, run's short run too), as resolveLoadConfig takes them. */
export function loadDefaultsOf(t: typeof LOAD_OPTIONS): LoadDefaults {
  const rate = t.rps.default;
  return {
    target: t.target.default ?? LOAD_DEFAULTS.target,
    ratePerSec: typeof rate === 'number' ? rate : LOAD_DEFAULTS.ratePerSec,
    durationMs: t.duration.default ?? LOAD_DEFAULTS.durationMs,
    connections: t.connections.default ?? LOAD_DEFAULTS.connections,
    maxInflight: t.maxInflight.default ?? LOAD_DEFAULTS.maxInflight,
    timeoutMs: t.timeout.default ?? LOAD_DEFAULTS.timeoutMs,
    tenants: t.tenants.default ?? LOAD_DEFAULTS.tenants,
    statusMix:
      (t.statusMix.default ?? []).map((s) => `${s.status}:${s.weight}`).join(',') || LOAD_DEFAULTS.statusMix,
  };
}

/**
 * The shard this process sends, from --shard or --shards + JOB_COMPLETION_INDEX (which a Kubernetes
 * Indexed Job sets in each pod, so one pod template serves every shard); undefined: the whole run.
 */
export function shardOf(r: Resolved<typeof SHARD_OPTIONS>, env: Env): Shard | undefined {
  const { shard, shards } = r.values;
  if (shard && shards !== undefined) {
    throw new UsageError(
      `--shard and --shards: give one of them (--shard i/n names the shard, --shards n takes i from $${SHARD_INDEX_ENV})`,
    );
  }
  if (shard) return shard;
  if (shards === undefined) return undefined;
  const raw = env[SHARD_INDEX_ENV];
  if (raw === undefined || raw === '') {
    throw new UsageError(
      `--shards ${shards}: the shard index comes from $${SHARD_INDEX_ENV}, which is not set; give --shard i/${shards} instead`,
    );
  }
  if (!/^\d{1,6}$/.test(raw) || Number(raw) >= shards) {
    throw new UsageError(
      `${SHARD_INDEX_ENV}: expected an integer from 0 to ${shards - 1} (--shards ${shards}), got ${JSON.stringify(raw)}`,
    );
  }
  return { index: Number(raw), count: shards };
}

/** For resolveLoadConfig: a shard needs the run id given, since every shard must carry the same one. */
function shardRunId(shard: Shard | undefined): (() => string) | undefined {
  if (!shard || shard.count === 1) return undefined;
  return () => {
    throw new UsageError(
      `--shard ${shard.index}/${shard.count}: give --run-id (or the scenario's runId): every shard of a run must carry the same run id, so none can be generated`,
    );
  };
}

export interface ResolvedLoad {
  part: LoadPart;
  /** The manifest's main path, as given: what a stop loses if it is not written. */
  manifest: string;
  /** The other outputs (--report, --junit), by flag: checked writable, and as given. */
  files: Record<string, OutputFile | undefined>;
}

/**
 * The load part of load and run, every problem added to `problems` (undefined when one was found):
 * the --scenario file, the LoadConfig (flags given over the scenario over the table's defaults), the
 * shard's fit, and every output path, checked before anything starts or is sent: the manifest's, the
 * `outputs` (none of them the same file, nor the scenario file).
 */
export async function resolveLoadPart(
  table: LoadPartTable,
  r: Resolved<LoadPartTable>,
  cwd: string,
  problems: string[],
  opts: {
    shard: Shard | undefined;
    targetFrom: TargetFrom;
    outputs: [string, string | undefined][];
    /** The instrumented server runs in this process (--serve, run): --workers auto leaves it a core. */
    serveInProcess: boolean;
  },
): Promise<ResolvedLoad | undefined> {
  const { shard } = opts;
  const { scenario: scenarioArg, out } = r.values;
  let scenario: ScenarioInput | undefined;
  if (scenarioArg !== undefined) {
    const { loadScenario } = await import('../load/scenario.js');
    const loaded = await loadScenario(scenarioArg, cwd).catch((err: unknown) => {
      collect(problems, () => {
        throw err;
      });
    });
    if (!loaded) return undefined;
    scenario = loaded;
  }
  const { resolveLoadConfig } = await import('../load/config.js');
  const input = loadInputOf(r.given);
  const defaults = loadDefaultsOf(table);
  const resolved = collect(problems, () =>
    resolveLoadConfig(input, scenario, shardRunId(shard), defaults, opts.targetFrom),
  );
  const { sendBatch } = r.values;
  // The scenario's startAt and workers, unless the flag (or its env var) gives them; then the default.
  const fromFile = (field: string) => `${scenario?.name}: ${field}`;
  const startAt = r.given.startAt ?? scenario?.startAt;
  const startAtName = r.given.startAt === undefined ? fromFile('startAt') : '--start-at';
  const workersGiven = r.given.workers ?? scenario?.workers ?? r.values.workers;
  const workersName =
    r.given.workers === undefined && scenario?.workers !== undefined ? fromFile('workers') : '--workers';
  const plan = resolved && (startAt !== undefined ? { ...resolved, startAt } : resolved);
  // A shared limit the flag did not give but the file did is named by the file's field.
  const limitName = (field: keyof LimitNames) =>
    input[field] === undefined && scenario?.spec[field] !== undefined ? fromFile(field) : FLAG_NAMES[field];
  const limitNames: LimitNames = {
    connections: limitName('connections'),
    maxInflight: limitName('maxInflight'),
    requests: limitName('requests'),
  };
  if (startAt !== undefined && startAt - Date.now() > MAX_START_AHEAD_MS) {
    problems.push(
      `${startAtName}: ${new Date(startAt).toISOString()} is more than 24 h ahead; give an instant within the next 24 hours (a shard started late counts what was due as dropped)`,
    );
  }
  const { parseWorkers, checkWorkersFit } = await import('../load/workers.js');
  const workers =
    workersGiven === 'auto' ? parseWorkers('auto', { serveInProcess: opts.serveInProcess }) : workersGiven;
  if (
    !plan ||
    !passes(problems, () => checkShardFits(plan, shard, '--shard', limitNames)) ||
    !passes(problems, () => checkWorkersFit(plan, shard, workers, workersName, limitNames))
  ) {
    return undefined;
  }
  const files: Record<string, OutputFile | undefined> = {};
  let ok = passes(problems, () => checkManifestOut(plan.runId, out, cwd, shard));
  for (const [flag, path] of opts.outputs) {
    if (path === undefined) continue;
    ok =
      passes(problems, () => (files[flag] = { path: checkOutputPath(path, flag, { cwd }), shown: path })) &&
      ok;
  }
  // Two outputs naming one file would leave only the last one written: the manifest as HTML.
  const outputs = [...manifestOutputs(plan.runId, out, cwd, shard), ...namedFiles(cwd, opts.outputs)];
  if (!ok || !passes(problems, () => checkDistinctFiles(outputs, scenarioInputs(scenarioArg, cwd)))) {
    return undefined;
  }
  return {
    part: { config: plan, out, cwd, shard, workers, sendBatchMs: sendBatch },
    manifest: manifestPath(plan.runId, out, shard),
    files,
  };
}

/** How far ahead --start-at may be: further is a typo (a year, a zone) that would wait silently. */
const MAX_START_AHEAD_MS = 24 * 3600_000;

/** Runs a check, its UsageError added to `problems`; whether it passed. */
function passes(problems: string[], check: () => unknown): boolean {
  return (
    collect(problems, () => {
      check();
      return true;
    }) === true
  );
}

export interface LoadCommandConfig {
  load: ResolvedLoad;
  /** --serve: the in-process server the load is sent to. */
  serve?: ServePart | undefined;
  /** --quiet or --json: no note on a repeated signal. */
  quiet: boolean;
}

/** load's input → its config, every problem reported together (a UsageError, exit 2). */
export async function resolveLoad(
  given: Given<typeof LOAD_COMMAND_OPTIONS>,
  env: Env,
  cwd: string,
): Promise<LoadCommandConfig> {
  const r = resolveOptions(LOAD_COMMAND_OPTIONS, given, env);
  const problems = [...r.problems];
  const serving = r.values.serve;
  if (serving && r.from.target) {
    problems.push(`${r.from.target}: not allowed with --serve, which loads its own in-process server`);
  }
  const shard = collect(problems, () => ({ shard: shardOf(r, env) }));
  const service = await snapshotPartOf(r, cwd, problems);
  if (service && shard?.shard) {
    problems.push(
      `--service-profile and --shard: a snapshot is of the whole service, so each shard's manifest would expect only its part; load the service from one process`,
    );
  }
  const load =
    shard &&
    (await resolveLoadPart(LOAD_COMMAND_OPTIONS, r, cwd, problems, {
      shard: shard.shard,
      targetFrom: serving ? 'serve-part' : 'input',
      outputs: [['--report', r.values.report]],
      serveInProcess: serving,
    }));
  // The server's settings apply to the in-process server of --serve only.
  const tenantHeader = r.values.tenantHeader || undefined;
  const serve = serving
    ? servePartFrom(LOAD_COMMAND_OPTIONS, r, env, problems, {
        metrics: 'otlp',
        tenantExport: ownTenantExport({ ...r, given: {}, values: { ...r.values, tenantHeader } }, problems),
      })
    : undefined;
  throwProblems(problems);
  return {
    load: { ...load!, part: { ...load!.part, service } },
    serve,
    quiet: r.values.quiet || r.values.json,
  };
}

/**
 * --service-profile: the profile, loaded now, and the backend where load snapshots the service's
 * counts (--url needed). Without it, the backend's flags are refused (their env vars, shared with
 * verify, are left unused).
 */
async function snapshotPartOf(
  r: Resolved<typeof LOAD_COMMAND_OPTIONS>,
  cwd: string,
  problems: string[],
): Promise<LoadPart['service']> {
  if (r.values.serviceProfile === undefined) {
    for (const key of [...Object.keys(SNAPSHOT_BACKEND), 'tenantHeader'] as const) {
      const from = r.from[key as keyof typeof SNAPSHOT_BACKEND];
      const negated = key === 'tenantHeader' && r.values.tenantHeader === false;
      if (from?.startsWith('--') && (key !== 'tenantHeader' || negated)) {
        const flag = negated ? '--no-tenant-header' : from;
        problems.push(
          `${flag}: only used with --service-profile (the backend where load snapshots the service's counts); add --service-profile, or drop ${flag}`,
        );
      }
    }
    return undefined;
  }
  const { profileFrom } = await import('./service-step.js');
  const profile = await profileFrom(r.values.serviceProfile, r.from.serviceProfile, cwd, problems);
  const tenantHeader = r.values.tenantHeader ?? TENANT_HEADER;
  const backend = backendFrom(
    { values: { ...r.values, tenantHeader }, from: r.from, given: {}, problems: [] },
    problems,
  );
  if (!backend.given) {
    problems.push(
      `${r.from.serviceProfile}: give the backend's --url (or OTELPOC_VERIFY_URL): load snapshots the service's counts there just before its first request`,
    );
  }
  return profile && { profile, backend };
}

/** The pipeline's events, and where the HTML report was written (as given). */
export type LoadEvent = PipelineEvent | ReportWritten;

export interface LoadDeps extends Omit<PipelineDeps, 'onEvent'> {
  cwd: string;
  stop?: GracefulStop | undefined;
  onEvent: (event: LoadEvent) => void;
}

/** What a load or a run ends with: its exit code, and the line that says why when not 0 or 1. */
export interface Verdict {
  code: ExitCode;
  failure?: OtelpocError;
}

/**
 * Runs a pipeline for load or run: bounds the stop, owes what is not written yet until `finish` has
 * written the outputs (interrupted too: the partial run is worth a look).
 */
export async function runOwning(
  config: PipelineConfig,
  deps: LoadDeps,
  opts: { quiet: boolean; manifest: string; report?: string },
  finish: (report: RunReport) => Promise<void>,
): Promise<RunReport> {
  const { runPipeline, stopBoundMs } = await import('./index.js');
  const stop = deps.stop ?? NO_STOP;
  stop.limit(stopLimitMs(await stopBoundMs(config)), { quiet: opts.quiet });
  const owed: Owed = owedWhileRunning(stop, opts);
  try {
    const report = await runPipeline(config, {
      ...deps,
      onEvent: (e) => {
        owed.onEvent(e);
        deps.onEvent(e);
      },
    });
    await finish(report);
    return report;
  } finally {
    owed.done();
  }
}

/** Writes the HTML report of `manifest` to `file` (checked before the run), if asked for. */
export async function writeHtml(
  file: OutputFile | undefined,
  input: { command: ReportCommand; manifests: RunManifest[] },
  onEvent: (e: ReportWritten) => void,
): Promise<void> {
  if (!file) return;
  const { writeReportFile } = await import('../report/write.js');
  await writeReportFile(file.path, input);
  onEvent({ type: 'report-written', shown: file.shown });
}

/**
 * `--workers`: the workers that died, one line each after what the manifest still holds (exit 1);
 * undefined when none did.
 */
export function workersFailed(report: RunReport): CheckFailedError | undefined {
  const failures = report.workerFailures;
  if (!failures) return undefined;
  const where = report.manifestPaths?.[0];
  return new CheckFailedError(
    [
      `${failures.length} of ${report.manifest?.workers ?? '?'} load workers failed; the manifest${where ? ` (${where})` : ''} holds the others' parts:`,
      ...failures,
    ].join('\n'),
  );
}

/** Loads (with its own server on --serve), writes the manifest and the report. Exit 0, 1 or 130. */
export async function load(
  given: Given<typeof LOAD_COMMAND_OPTIONS>,
  deps: LoadDeps,
): Promise<Verdict & { manifest: RunManifest }> {
  const c = await resolveLoad(given, deps.env, deps.cwd);
  const config: PipelineConfig = { load: c.load.part, ...(c.serve ? { serve: c.serve } : {}) };
  const report = await runOwning(config, deps, { quiet: c.quiet, manifest: c.load.manifest }, (r) =>
    writeHtml(c.load.files['--report'], { command: 'load', manifests: [r.manifest!] }, deps.onEvent),
  );
  const manifest = report.manifest!;
  if (report.interrupted) {
    const failure = new InterruptedError(
      `interrupted; partial manifest written to ${report.manifestPaths![0]}`,
    );
    return { manifest, code: 130, failure };
  }
  const failed = workersFailed(report);
  if (failed) return { manifest, code: 1, failure: failed };
  if (report.thresholdsExceeded.length > 0) {
    return { manifest, code: 1, failure: new CheckFailedError(report.thresholdsExceeded.join('\n')) };
  }
  return { manifest, code: 0 };
}
