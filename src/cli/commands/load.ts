import { Command } from 'commander';
import { scenarioInputs } from '../../load/scenario.js';
import { checkShardFits } from '../../load/shard.js';
import { checkManifestOut, manifestOutputs, manifestPath } from '../../manifest/write.js';
import { stopLimitMs } from '../../pipeline/lifecycle.js';
import type { PipelineConfig, RunReport } from '../../pipeline/types.js';
import { CheckFailedError, InterruptedError, UsageError } from '../../util/errors.js';
import { checkDistinctFiles, namedFiles } from '../../util/output-file.js';
import type { CliContext } from '../context.js';
import { addLoadOptions, given, type LoadFlags, loadConfigFromCommand } from '../load-options.js';
import {
  addServerOptions,
  checkDefaultTenantUsed,
  otlpConfigFrom,
  type ServerFlags,
  type TenantExportFlags,
  tenantExportFrom,
} from '../options.js';
import { followPipeline } from '../pipeline-events.js';
import { checkReportPath, reportOption, writeHtmlReport } from '../report-option.js';
import { stopOf } from '../runtime.js';
import { addShardOptions, type ShardFlags, shardFrom, shardRunId } from '../shard-options.js';

interface LoadCommandFlags extends LoadFlags, ServerFlags, TenantExportFlags, ShardFlags {
  serve?: boolean;
  out?: string;
  report?: string;
  json?: boolean;
  quiet?: boolean;
}

export function loadCommand(ctx: CliContext): Command {
  const cmd = new Command('load')
    .summary('send exact-rate multi-tenant traffic and write a run manifest')
    .description(
      [
        'Sends GET /api traffic at an exact rate (open model: start times are scheduled, a request due while --max-inflight are in flight is dropped and counted, never delayed) or as fast as possible (--rps max: closed model over --connections). Tenants (Client-ID) and statuses (?sc=) follow an exact, deterministic weighted round robin; every request carries X-Run-ID.',
        'Writes the run manifest (what verify checks) to .otelpoc/runs/<run-id>.json and .otelpoc/last-run.json, or --out.',
        'Sharded runs (one run over several processes or machines): --shard i/n sends requests i, i+n, … of the one global schedule, at their global times, with the tenant × status the unsharded run gives them; rate, --requests, --connections and --max-inflight describe the whole run. Every shard needs the same flags and --run-id; its manifest goes to .otelpoc/runs/<run-id>/shard-<i>-of-<n>.json (or --out), and `otelpoc verify --manifest DIR` checks all shards as one run.',
        'Exit 0 when the run completed, 1 when nothing was answered (nothing listens at the target) or a --max-*-rate threshold is exceeded, 2 on bad flags, 130 when interrupted (the partial manifest is still written).',
      ].join('\n\n'),
    )
    .option('--serve', 'start the instrumented server in this process on a free port and load it')
    .option(
      '-o, --out <file>',
      'write the manifest here instead of .otelpoc/runs/<run-id>.json + last-run.json',
    )
    .option('--json', 'print the manifest as JSON on stdout instead of the summary')
    .option('-q, --quiet', 'no progress and no summary')
    .addOption(reportOption());
  addLoadOptions(cmd);
  addServerOptions(cmd);
  addShardOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Server options (--delay, --seed, --otlp-endpoint, --export-interval, --max-tenants, --tenant-header, --default-tenant) apply to the in-process server of --serve.

Examples:
  $ otelpoc load --serve --rps 50 --tenants 3 --duration 10s
  $ otelpoc load --rps 200 --duration 30s --status-mix 200:85,404:10,500:5 --anonymous 10%
  $ otelpoc load --requests 1000 --client-ids acme,globex --tenant-weights 3,1
  $ otelpoc load --scenario ramp --max-drop-rate 0.1%
  $ otelpoc load --scenario ./my-scenario.yaml --json > run.json
  $ otelpoc load --rps max --connections 50 --duration 20s
  $ otelpoc load --serve --shard 0/3 --run-id big-1 --rps 300 --requests 30000   # one of 3 processes`,
  );
  return cmd.action(async (flags: LoadCommandFlags) => {
    const { runtime } = ctx;
    const quiet = flags.quiet === true;
    const json = flags.json === true;
    if (flags.serve && given(cmd, 'target')) {
      throw new UsageError('--target: not allowed with --serve, which loads its own in-process server');
    }
    const shard = shardFrom(flags, runtime.env);
    const load = await loadConfigFromCommand(
      cmd,
      ctx,
      flags.serve ? 'http://127.0.0.1:1/api' : '',
      shardRunId(shard),
    );
    checkShardFits(load, shard);
    const otlp = flags.serve ? otlpConfigFrom(cmd, runtime.env) : undefined;
    if (flags.serve) checkDefaultTenantUsed(cmd);
    // Before any server starts or request is sent: a result that cannot be written is refused now.
    checkManifestOut(load.runId, flags.out, runtime.cwd, shard);
    const reportPath = checkReportPath(flags.report, ctx);
    // Two outputs naming one file would leave only the last one written: the manifest as HTML.
    checkDistinctFiles(
      [
        ...manifestOutputs(load.runId, flags.out, runtime.cwd, shard),
        ...namedFiles(runtime.cwd, [['--report', flags.report]]),
      ],
      scenarioInputs(flags.scenario, runtime.cwd),
    );
    const config: PipelineConfig = {
      load: { config: load, out: flags.out, cwd: runtime.cwd, shard },
      ...(otlp
        ? {
            serve: {
              delay: flags.delay,
              seed: flags.seed,
              maxTenants: flags.maxTenants,
              otlp,
              metrics: 'otlp' as const,
              tenantExport: tenantExportFrom(flags, 'own'),
            },
          }
        : {}),
    };
    const core = await import('../../pipeline/index.js');
    stopOf(runtime).limit(stopLimitMs(await core.stopBoundMs(config)), { quiet: quiet || json });
    const follow = followPipeline(ctx, {
      talk: !quiet && !json,
      manifest: manifestPath(load.runId, flags.out, shard),
    });
    let report: RunReport;
    try {
      report = await core.runPipeline(config, follow.deps);
    } finally {
      follow.done();
    }
    const manifest = report.manifest!;
    // Interrupted too: the partial run is worth a look.
    await writeHtmlReport(
      ctx,
      reportPath,
      { command: 'load', manifests: [manifest] },
      { talk: !quiet && !json, shown: flags.report },
    );
    if (json) runtime.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    if (report.interrupted)
      throw new InterruptedError(`interrupted; partial manifest written to ${report.manifestPaths![0]}`);
    if (report.thresholdsExceeded.length > 0)
      throw new CheckFailedError(report.thresholdsExceeded.join('\n'));
  });
}
