import { Command } from 'commander';
import { scenarioInputs } from '../../load/scenario.js';
import { checkShardFits } from '../../load/shard.js';
import { checkManifestOut, manifestOutputs, manifestPath } from '../../manifest/write.js';
import { stopLimitMs } from '../../pipeline/lifecycle.js';
import type { PipelineConfig, RunReport } from '../../pipeline/types.js';
import { CheckFailedError, InterruptedError, UsageError } from '../../util/errors.js';
import { checkDistinctFiles, checkOutputPath, namedFiles } from '../../util/output-file.js';
import type { CliContext } from '../context.js';
import { addLoadOptions, given, type LoadFlags, loadConfigFromCommand } from '../load-options.js';
import { addServerOptions, otlpConfigFrom, type ServerFlags, tenantExportFrom } from '../options.js';
import { followPipeline } from '../pipeline-events.js';
import { interruptedVerifyMessage, verifyOutputsLost, writeVerifyOutputs } from '../render/verify-output.js';
import { checkReportPath, reportOption, writeHtmlReport } from '../report-option.js';
import { stopOf } from '../runtime.js';
import { addShardOptions, type ShardFlags, shardFrom, shardRunId } from '../shard-options.js';
import {
  addVerifyOptions,
  prometheusBackendFrom,
  type VerifyFlags,
  verifyPartFrom,
} from '../verify-options.js';

interface RunFlags extends LoadFlags, ServerFlags, VerifyFlags, ShardFlags {
  embedded?: boolean;
  perTenantExport?: boolean;
  out?: string;
  report?: string;
  json?: boolean;
  quiet?: boolean;
}

/** A short, green-by-default run: a few seconds across 3 tenants with a status mix (load's defaults). */
const RUN_DEFAULTS = { ratePerSec: 20, durationMs: 3_000, exportIntervalMs: 1_000, delay: '1-20ms' };

export function runCommand(ctx: CliContext): Command {
  const cmd = new Command('run')
    .summary('serve + load + verify in one command, one verdict')
    .description(
      [
        'Starts the instrumented server in this process, loads it (flags and --scenario as in `otelpoc load`), flushes its metrics, then verifies them (as `otelpoc verify`) and prints one verdict.',
        'Where metrics go: with --url, to the OTLP endpoint (--otlp-endpoint) and verified at --url. Without --url, the same when something listens at the OTLP endpoint (verified at the default --url); otherwise, or with --embedded, the metrics are captured in process and checked with the same checks: no pipeline is involved then, and the verdict says so.',
        'The defaults below make a short run of a few seconds; a --scenario overrides them, and flags given override the scenario.',
        "With --shard i/n (or --shards n), run sends its shard of the run (as `otelpoc load --shard`) and checks that shard in process (embedded): a backend holds every shard's metrics, so a sharded run is verified at a backend by one `otelpoc verify` over all the shards' manifests.",
        'Exit 0 all checks pass, 1 a check failed (or a load threshold was exceeded), 2 bad flags or unreachable backend, 130 interrupted.',
      ].join('\n\n'),
    )
    .option(
      '--embedded',
      'capture the metrics in process and verify them there, even if a pipeline is listening',
    )
    .option(
      '-o, --out <file>',
      'write the manifest here instead of .otelpoc/runs/<run-id>.json + last-run.json',
    )
    .option('--json', 'print one JSON document: the manifest and the verify report')
    .option('-q, --quiet', 'no progress and no load summary (the verify report still prints)')
    .addOption(reportOption());
  addLoadOptions(cmd, { ratePerSec: RUN_DEFAULTS.ratePerSec, durationMs: RUN_DEFAULTS.durationMs });
  // Run loads its own in-process server, so --target is refused below; --help must not offer it
  // (with a default that suggests it works). It stays declared, so giving it is that clear error.
  cmd.options.find((o) => o.long === '--target')?.hideHelp();
  addServerOptions(cmd, {
    delayDefault: RUN_DEFAULTS.delay,
    exportIntervalMs: RUN_DEFAULTS.exportIntervalMs,
    tenantFlags: 'shared',
  });
  addVerifyOptions(cmd, { timeoutFlag: '--verify-timeout' });
  addShardOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ otelpoc run                                    # no infrastructure needed: embedded capture
  $ otelpoc run --url http://localhost:9009/prometheus --rps 50 --duration 10s
  $ otelpoc run --scenario smoke --junit verify.xml
  $ otelpoc run --otlp-endpoint http://collector:4318 --url http://mimir:9009/prometheus --verify-timeout 2m
  $ otelpoc run --per-tenant-export --otlp-endpoint http://localhost:9009/otlp --url http://localhost:9009/prometheus`,
  );
  return cmd.action(async (flags: RunFlags) => {
    const { runtime } = ctx;
    const json = flags.json === true;
    const talk = flags.quiet !== true && !json;
    if (given(cmd, 'target')) {
      throw new UsageError('--target: not allowed with run, which loads its own in-process server');
    }
    if (flags.embedded && cmd.getOptionValueSource('url') === 'cli') {
      throw new UsageError(
        '--embedded and --url: give one of them (--embedded verifies in this process, --url at a backend)',
      );
    }
    const otlp = otlpConfigFrom(cmd, runtime.env);
    // Every flag is checked before anything starts, the output paths too.
    // Run's load defaults (a short run) are the option table's: a scenario overrides them.
    const shard = shardFrom(flags, runtime.env);
    const backend = prometheusBackendFrom(cmd);
    if (shard && backend.given) {
      throw new UsageError(
        `--shard and --url: a backend holds every shard's metrics, so run checks its shard in process only; load each shard with \`otelpoc load --serve --shard i/${shard.count}\` and verify them together with \`otelpoc verify --manifest DIR\``,
      );
    }
    const load = await loadConfigFromCommand(cmd, ctx, 'http://127.0.0.1:1/api', shardRunId(shard));
    checkShardFits(load, shard);
    const tenantExport = tenantExportFrom(flags, 'shared');
    checkManifestOut(load.runId, flags.out, runtime.cwd, shard);
    const junit = flags.junit === undefined ? undefined : checkOutputPath(flags.junit, '--junit', runtime);
    const reportPath = checkReportPath(flags.report, ctx);
    // Two outputs naming one file would leave only the last one written.
    checkDistinctFiles(
      [
        ...manifestOutputs(load.runId, flags.out, runtime.cwd, shard),
        ...namedFiles(runtime.cwd, [
          ['--junit', flags.junit],
          ['--report', flags.report],
        ]),
      ],
      scenarioInputs(flags.scenario, runtime.cwd),
    );
    const config: PipelineConfig = {
      serve: {
        delay: flags.delay,
        seed: flags.seed,
        maxTenants: flags.maxTenants,
        otlp,
        metrics: flags.embedded || shard ? 'capture' : 'auto',
        captureReason: shard ? '--shard: run checks its own shard in process' : '--embedded given',
        tenantExport,
      },
      load: { config: load, out: flags.out, cwd: runtime.cwd, shard },
      verify: { ...verifyPartFrom(flags, backend, flags.verifyTimeout), ownShardOnly: shard !== undefined },
    };
    const core = await import('../../pipeline/index.js');
    stopOf(runtime).limit(stopLimitMs(await core.stopBoundMs(config)), { quiet: !talk });
    const follow = followPipeline(ctx, {
      talk,
      sayDestination: true,
      manifest: manifestPath(load.runId, flags.out, shard),
      report: verifyOutputsLost({ junit, json }),
    });
    let report: RunReport;
    try {
      report = await core.runPipeline(config, follow.deps);
      if (report.verify) await writeVerifyOutputs(ctx, report.verify, { junit, json });
      if (report.manifest) {
        await writeHtmlReport(
          ctx,
          reportPath,
          { command: 'run', manifests: [report.manifest], verify: report.verify },
          { talk, shown: flags.report },
        );
      }
      // Interrupted during the load too (no verify then): the JSON of what was done, not nothing.
      if (json) runtime.stdout.write(`${JSON.stringify(core.runDocument(report), null, 2)}\n`);
    } finally {
      follow.done();
    }
    // A load cut short ends the run once its manifest is written: there is nothing complete to verify.
    if (report.manifest?.interrupted || !report.verify) {
      throw new InterruptedError(`interrupted; partial manifest written to ${report.manifestPaths?.[0]}`);
    }
    if (!json && report.embedded) {
      runtime.stdout.write(
        `${ctx.outColor.yellow('note:')} embedded mode: no pipeline was involved. The metrics were captured in this process and checked with the same checks; this proves the instrumentation and the counting, not the delivery. Pass --url (and --otlp-endpoint) or start the stack to prove the pipeline.\n`,
      );
    }
    if (report.verify.interrupted)
      throw new InterruptedError(interruptedVerifyMessage(report.verify, flags.junit));
    if (report.thresholdsExceeded.length > 0)
      throw new CheckFailedError(report.thresholdsExceeded.join('\n'));
  });
}
