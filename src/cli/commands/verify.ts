import { Command, Option } from 'commander';
import { LAST_RUN_FILE, readManifests } from '../../manifest/io.js';
import { stopLimitMs } from '../../pipeline/lifecycle.js';
import { interruptedVerifyMessage, verifyOutputsLost } from '../../pipeline/verify-outputs.js';
import { InterruptedError } from '../../util/errors.js';
import { checkDistinctFiles, checkOutputPath, namedFiles } from '../../util/output-file.js';
import type { CliContext } from '../context.js';
import { followPipeline } from '../pipeline-events.js';
import { writeVerifyOutputs } from '../render/verify-output.js';
import { checkReportPath, reportOption, writeHtmlReport } from '../report-option.js';
import { stopOf } from '../runtime.js';
import {
  addVerifyOptions,
  prometheusBackendFrom,
  type VerifyFlags,
  verifyPartFrom,
} from '../verify-options.js';

export function verifyCommand(ctx: CliContext): Command {
  const cmd = new Command('verify')
    .summary('check per tenant that exactly what load sent arrived')
    .description(
      [
        "Reads the run manifest written by `otelpoc load` and asks the backend's Prometheus API, tenant by tenant (X-Scope-OrgID), whether the run's series arrived with exactly the counts sent.",
        'Seven checks per tenant: series present, exact counts per status, histogram integrity, latency agreement, tenant isolation, metric names, series budget. Polls until all pass or the timeout ends; then keeps polling for the settle window (--settle) and passes only if every check stayed green all along.',
        'Exit 0 all checks pass, 1 a check failed or timed out, 2 bad input or unreachable backend, 130 interrupted (the report, --json and --junit are still written, marked interrupted).',
      ].join('\n\n'),
    )
    .addOption(
      new Option(
        '--manifest <file|dir>',
        "run manifest; repeat for the shards of one run, or give a directory (every *.json in it: a sharded run's manifests)",
      )
        .default([] as string[], '.otelpoc/last-run.json')
        .argParser((v: string, prev: string[]) => [...prev, v]),
    )
    .addOption(new Option('--json', 'print the report as one JSON document'))
    .addOption(new Option('-q, --quiet', 'no progress on stderr'))
    .addOption(reportOption());
  addVerifyOptions(cmd, { timeoutFlag: '--timeout' }).addHelpText(
    'after',
    `
Examples:
  $ otelpoc verify                                  # the last run, against Mimir on localhost
  $ otelpoc verify --url http://mimir:9009/prometheus --timeout 2m --junit verify.xml
  $ otelpoc verify --url http://127.0.0.1:8428 --no-tenant-header   # single-tenant VictoriaMetrics
  $ otelpoc verify --manifest shard-0.json --manifest shard-1.json --json
  $ otelpoc verify --manifest .otelpoc/runs/big-1/ --url http://127.0.0.1:8428 --no-tenant-header   # all shards
  $ OTELPOC_VERIFY_BEARER_TOKEN=… otelpoc verify --url https://mimir.example/prometheus --explain`,
  );
  return cmd.action(
    async (
      flags: VerifyFlags & {
        manifest: string[];
        timeout: number;
        json?: boolean;
        quiet?: boolean;
        report?: string;
      },
    ) => {
      const { runtime } = ctx;
      const json = flags.json === true;
      // Checked before reading or polling anything: a report that cannot be written is refused now.
      const junit = flags.junit === undefined ? undefined : checkOutputPath(flags.junit, '--junit', runtime);
      const reportPath = checkReportPath(flags.report, ctx);
      const backend = prometheusBackendFrom(cmd);
      const core = await import('../../pipeline/index.js');
      const paths = flags.manifest.length ? flags.manifest : [LAST_RUN_FILE];
      const manifests = await readManifests(paths, runtime.cwd);
      // Before any query: a report written over a manifest destroys it, two reports on one file lose one.
      checkDistinctFiles(
        namedFiles(runtime.cwd, [
          ['--junit', flags.junit],
          ['--report', flags.report],
        ]),
        manifests.map((m) => ({ flag: '--manifest', path: m.source, cwd: runtime.cwd })),
      );
      const config = { verify: { ...verifyPartFrom(flags, backend, flags.timeout), manifests } };
      // Once interrupted, the query in flight is aborted; what is left is writing the report.
      stopOf(runtime).limit(stopLimitMs(await core.stopBoundMs(config)), {
        quiet: flags.quiet === true || json,
      });
      const follow = followPipeline(ctx, {
        talk: !flags.quiet && !json,
        report: verifyOutputsLost({ junit, json }),
      });
      try {
        const { verify: report } = await core.runPipeline(config, follow.deps);
        await writeVerifyOutputs(ctx, report!, { junit, json });
        await writeHtmlReport(
          ctx,
          reportPath,
          { command: 'verify', manifests: manifests.map((m) => m.manifest), verify: report },
          { talk: !flags.quiet && !json, shown: flags.report },
        );
        if (json) runtime.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        if (report!.interrupted) throw new InterruptedError(interruptedVerifyMessage(report!, flags.junit));
      } finally {
        follow.done();
      }
    },
  );
}
