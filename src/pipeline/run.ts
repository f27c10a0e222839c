/**
 * `otelpoc run`'s core: serve + load + verify in one process, one verdict. Its option table (load's
 * settings with a short run's defaults, the server's, verify's), its input resolved and checked once,
 * and its lifecycle: where the metrics go and why, the manifest, JUnit and HTML files, the exit code.
 */
import {
  LOAD_OPTIONS,
  OUTPUT_OPTIONS,
  PER_TENANT_EXPORT,
  SERVER_OPTIONS,
  SERVICE_PROFILE,
  SHARD_OPTIONS,
  VERIFY_BACKEND_OPTIONS,
  VERIFY_POLL_OPTIONS,
  verifyTimeout,
} from '../options/settings.js';
import {
  collect,
  type Given,
  resolveOptions,
  throwProblems,
  toggle,
  withDefaults,
} from '../options/table.js';
import { parseDelayRange } from '../util/duration.js';
import type { Env } from '../util/env.js';
import { CheckFailedError, InterruptedError } from '../util/errors.js';
import { type LoadDeps, resolveLoadPart, runOwning, shardOf, type Verdict, writeHtml } from './load.js';
import { servePartFrom } from './serve.js';
import type { PipelineConfig, RunReport } from './types.js';
import { backendFrom, verifyPartFrom } from './verify-backend.js';
import { interruptedVerifyMessage, verifyOutputsLost, writeVerifyOutputs } from './verify-outputs.js';

const { queryTimeout, ...BACKEND } = VERIFY_BACKEND_OPTIONS;
const { settle, ...POLL } = VERIFY_POLL_OPTIONS;

/** A short, green-by-default run: a few seconds across 3 tenants with a status mix (load's defaults). */
export const RUN_OPTIONS = withDefaults(
  {
    embedded: toggle(
      '--embedded',
      'capture the metrics in process and verify them there, even if a pipeline is listening',
    ),
    out: OUTPUT_OPTIONS.out,
    json: toggle('--json', 'print one JSON document: the manifest and the verify report'),
    quiet: toggle('-q, --quiet', 'no progress and no load summary (the verify report still prints)'),
    report: OUTPUT_OPTIONS.report,
    ...LOAD_OPTIONS,
    // Run loads its own in-process server: --target is refused, and --help does not offer it.
    target: { ...LOAD_OPTIONS.target, hidden: true },
    perTenantExport: PER_TENANT_EXPORT,
    serviceProfile: SERVICE_PROFILE,
    ...SERVER_OPTIONS,
    ...BACKEND,
    verifyTimeout: verifyTimeout('--verify-timeout <duration>'),
    settle,
    queryTimeout,
    ...POLL,
    ...SHARD_OPTIONS,
  },
  {
    rps: { default: 20 },
    duration: { default: 3_000, shown: '3s unless --requests' },
    exportInterval: { default: 1_000, shown: '1s' },
    delay: { default: parseDelayRange('1-20ms'), shown: '1-20ms' },
  },
);

/** run's input → the pipeline it runs, every problem reported together (a UsageError, exit 2). */
export async function resolveRun(given: Given<typeof RUN_OPTIONS>, env: Env, cwd: string) {
  const r = resolveOptions(RUN_OPTIONS, given, env);
  const problems = [...r.problems];
  const { embedded, perTenantExport, tenantHeader, defaultTenant, junit } = r.values;
  if (r.from.target) {
    problems.push('--target: not allowed with run, which loads its own in-process server');
  }
  if (embedded && r.from.url === '--url') {
    problems.push(
      '--embedded and --url: give one of them (--embedded verifies in this process, --url at a backend)',
    );
  }
  const shard = collect(problems, () => ({ shard: shardOf(r, env) }))?.shard;
  const backend = backendFrom(r, problems, r);
  if (shard && backend.given) {
    problems.push(
      `--shard and --url: a backend holds every shard's metrics, so run checks its shard in process only; load each shard with \`otelpoc load --serve --shard i/${shard.count}\` and verify them together with \`otelpoc verify --manifest DIR\``,
    );
  }
  if (perTenantExport && tenantHeader === false) {
    problems.push(
      '--per-tenant-export and --no-tenant-header: per-tenant export sends the tenant header; give one of them',
    );
  }
  // The per-tenant streams send the queries' --tenant-header and --default-tenant: both sides agree.
  const tenantExport =
    perTenantExport && tenantHeader !== false ? { header: tenantHeader, defaultTenant } : undefined;
  const { profileFrom } = await import('./service-step.js');
  const profile = await profileFrom(r.values.serviceProfile, r.from.serviceProfile, cwd, problems);
  if (r.values.serviceProfile !== undefined && (embedded || shard || !backend.given)) {
    problems.push(
      `${r.from.serviceProfile}: needs the backend's --url, without --embedded or --shard: the service's counts are read there`,
    );
  }
  const serve = servePartFrom(RUN_OPTIONS, r, env, problems, {
    metrics: profile ? 'otlp' : embedded || shard ? 'capture' : 'auto',
    captureReason: shard ? '--shard: run checks its own shard in process' : '--embedded given',
    tenantExport,
  });
  const load = await resolveLoadPart(RUN_OPTIONS, r, cwd, problems, {
    shard,
    targetFrom: 'serve-part',
    outputs: [
      ['--junit', junit],
      ['--report', r.values.report],
    ],
  });
  throwProblems(problems);
  const config: PipelineConfig = {
    serve: serve!,
    load: { ...load!.part, service: profile && { profile, backend } },
    verify: {
      ...verifyPartFrom(r, backend, r.values.verifyTimeout),
      ownShardOnly: shard !== undefined,
      serviceProfile: profile,
    },
  };
  const { json, quiet } = r.values;
  return { config, manifest: load!.manifest, files: load!.files, json, quiet: quiet || json, junit };
}

/** Serves, loads, verifies; writes the manifest, JUnit and HTML. Exit 0, 1 (a check or threshold), 130. */
export async function run(
  given: Given<typeof RUN_OPTIONS>,
  deps: LoadDeps,
): Promise<Verdict & { report: RunReport }> {
  const c = await resolveRun(given, deps.env, deps.cwd);
  const junit = c.files['--junit'];
  const report = await runOwning(
    c.config,
    deps,
    { quiet: c.quiet, manifest: c.manifest, report: verifyOutputsLost({ junit: junit?.path, json: c.json }) },
    async (r) => {
      const html = { command: 'run' as const, manifests: r.manifest ? [r.manifest] : [] };
      if (r.verify)
        await writeVerifyOutputs(r.verify, { junit, report: c.files['--report'] }, html, deps.onEvent);
      else if (r.manifest) await writeHtml(c.files['--report'], html, deps.onEvent);
    },
  );
  if (report.service && !report.manifest?.interrupted) {
    const failure = report.thresholdsExceeded.length
      ? new CheckFailedError(report.thresholdsExceeded.join('\n'))
      : undefined;
    return { report, code: report.ok ? 0 : 1, ...(failure ? { failure } : {}) };
  }
  // A load cut short ends the run once its manifest is written: there is nothing complete to verify.
  if (report.manifest?.interrupted || !report.verify) {
    const failure = new InterruptedError(
      `interrupted; partial manifest written to ${report.manifestPaths?.[0]}`,
    );
    return { report, code: 130, failure };
  }
  if (report.verify.interrupted) {
    return {
      report,
      code: 130,
      failure: new InterruptedError(interruptedVerifyMessage(report.verify, c.junit)),
    };
  }
  if (report.thresholdsExceeded.length > 0) {
    return { report, code: 1, failure: new CheckFailedError(report.thresholdsExceeded.join('\n')) };
  }
  return { report, code: report.verify.ok ? 0 : 1 };
}

/** `run --json`: one document with the verdict, where the metrics went, the manifest and the verify report. */
export function runDocument(report: RunReport) {
  return {
    ok: report.ok,
    embedded: report.embedded ?? false,
    topology: report.topology ?? null,
    manifestPaths: report.manifestPaths ?? [],
    thresholdsExceeded: report.thresholdsExceeded,
    manifest: report.manifest,
    verify: report.verify,
    ...(report.service ? { service: report.service } : {}),
  };
}
