/**
 * `otelpoc verify`'s core: its option table, its input resolved and checked once (flags, env, output
 * paths, the manifests), and its lifecycle (the stop's bound, the poll, every output file, the exit
 * code). It returns plain data and events; the CLI renders them.
 */
import { LAST_RUN_FILE, readManifests } from '../manifest/io.js';
import type { RunManifest } from '../manifest/schema.js';
import {
  OUTPUT_OPTIONS,
  SERVICE_PROFILE,
  VERIFY_BACKEND_OPTIONS,
  VERIFY_POLL_OPTIONS,
  verifyTimeout,
} from '../options/settings.js';
import { collect, type Given, list, resolveOptions, throwProblems, toggle } from '../options/table.js';
import type { Env } from '../util/env.js';
import { checkDistinctFiles, checkOutputPath, namedFiles } from '../util/output-file.js';
import type { ServiceVerifyReport } from '../verify/service/verify-service.js';
import type { VerifyReport } from '../verify/types.js';
import { runPipeline, stopBoundMs } from './index.js';
import { type GracefulStop, NO_STOP, stopLimitMs } from './lifecycle.js';
import type { PipelineConfig, PipelineDeps, PipelineEvent } from './types.js';
import { backendFrom, verifyPartFrom } from './verify-backend.js';
import {
  type OutputFile,
  type ReportWritten,
  type VerifyOutputFiles,
  verifyExitCode,
  verifyOutputsLost,
  writeVerifyOutputs,
} from './verify-outputs.js';

// --help lists them in the order verify always had: the poll's deadline and settle before --query-timeout.
const { queryTimeout, ...BACKEND } = VERIFY_BACKEND_OPTIONS;
const { settle, ...POLL } = VERIFY_POLL_OPTIONS;

export const VERIFY_OPTIONS = {
  manifest: list({
    flags: '--manifest <file|dir>',
    help: "run manifest; repeat for the shards of one run, or give a directory (every *.json in it: a sharded run's manifests)",
    each: (text: string) => text,
    shown: LAST_RUN_FILE,
  }),
  json: toggle('--json', 'print the report as one JSON document'),
  quiet: toggle('-q, --quiet', 'no progress on stderr'),
  report: OUTPUT_OPTIONS.report,
  serviceProfile: SERVICE_PROFILE,
  ...BACKEND,
  timeout: verifyTimeout('--timeout <duration>'),
  settle,
  queryTimeout,
  ...POLL,
};

export interface VerifyConfig {
  /** The verify part alone, with the manifests read. */
  pipeline: PipelineConfig & { verify: NonNullable<PipelineConfig['verify']> };
  manifests: RunManifest[];
  files: VerifyOutputFiles;
  json: boolean;
  quiet: boolean;
}

/** An output path given: checked writable now, so no poll runs only to lose its report. */
function outputFile(path: string | undefined, flag: string, cwd: string, problems: string[]) {
  if (path === undefined) return undefined;
  const abs = collect(problems, () => checkOutputPath(path, flag, { cwd }));
  return abs === undefined ? undefined : ({ path: abs, shown: path } satisfies OutputFile);
}

/** verify's input → its config, every problem reported together (a UsageError, exit 2). */
export async function resolveVerify(
  given: Given<typeof VERIFY_OPTIONS>,
  env: Env,
  cwd: string,
): Promise<VerifyConfig> {
  const r = resolveOptions(VERIFY_OPTIONS, given, env);
  const problems = [...r.problems];
  const v = r.values;
  const files = {
    junit: outputFile(v.junit, '--junit', cwd, problems),
    report: outputFile(v.report, '--report', cwd, problems),
  };
  const backend = backendFrom(r, problems, r);
  const { profileFrom } = await import('./service-step.js');
  const serviceProfile = await profileFrom(v.serviceProfile, r.from.serviceProfile, cwd, problems);
  for (const key of ['junit', 'report', 'explain', 'allTenants', 'alsoTenants'] as const) {
    if (v.serviceProfile !== undefined && r.from[key]) {
      problems.push(
        `${r.from[key]}: not with --service-profile (it is of otelpoc's run-labelled checks); drop it`,
      );
    }
  }
  // The settings first: no manifest is read for a command that cannot run.
  throwProblems(problems);
  const manifests = await readManifests(v.manifest.length ? v.manifest : [LAST_RUN_FILE], cwd);
  // Before any query: a report written over a manifest destroys it, two reports on one file lose one.
  checkDistinctFiles(
    namedFiles(cwd, [
      ['--junit', v.junit],
      ['--report', v.report],
    ]),
    manifests.map((m) => ({ flag: '--manifest', path: m.source, cwd })),
  );
  return {
    pipeline: { verify: { ...verifyPartFrom(r, backend, v.timeout), manifests, serviceProfile } },
    manifests: manifests.map((m) => m.manifest),
    files,
    json: v.json,
    quiet: v.quiet,
  };
}

export type VerifyEvent =
  | PipelineEvent
  | ReportWritten
  | { type: 'verify-report'; report: VerifyReport }
  | { type: 'service-report'; reports: ServiceVerifyReport[] };

export interface VerifyDeps extends Pick<PipelineDeps, 'env' | 'signal' | 'warn'> {
  cwd: string;
  stop?: GracefulStop;
  /** Progress, then the final report ('verify-report', its files written) before the exit code. */
  onEvent: (event: VerifyEvent) => void;
}

/**
 * Polls the backend until every check passes, the timeout ends or `signal` aborts; writes --junit
 * and --report (also when interrupted). Exit 0 passed, 1 failed; interrupted: InterruptedError (130).
 */
export async function verify(given: Given<typeof VERIFY_OPTIONS>, deps: VerifyDeps): Promise<0 | 1> {
  const config = await resolveVerify(given, deps.env, deps.cwd);
  const stop = deps.stop ?? NO_STOP;
  // Once interrupted, the query in flight is aborted; what is left is writing the report.
  stop.limit(stopLimitMs(await stopBoundMs(config.pipeline)), { quiet: config.quiet || config.json });
  const lost = verifyOutputsLost({ junit: config.files.junit?.shown, json: config.json });
  let outputsOwed: (() => void) | undefined;
  try {
    const { verify: report, service } = await runPipeline(config.pipeline, {
      env: deps.env,
      signal: deps.signal,
      warn: deps.warn,
      onEvent: (e) => {
        if (e.type === 'verify-started') outputsOwed ??= stop.owe(lost);
        deps.onEvent(e);
      },
    });
    if (service) {
      deps.onEvent({ type: 'service-report', reports: service });
      return service.every((s) => s.ok) ? 0 : 1;
    }
    const html = { command: 'verify' as const, manifests: config.manifests };
    await writeVerifyOutputs(report!, config.files, html, deps.onEvent);
    deps.onEvent({ type: 'verify-report', report: report! });
    return verifyExitCode(report!, config.files.junit?.shown);
  } finally {
    outputsOwed?.();
  }
}
