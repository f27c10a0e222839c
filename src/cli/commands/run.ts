import { RUN_OPTIONS, run, runDocument } from '../../pipeline/run.js';
import type { CliContext } from '../context.js';
import { followPipeline } from '../pipeline-events.js';
import type { CommandSpec } from '../program.js';
import { renderReport, renderServiceReports } from '../render/verify-report.js';

export const runSpec = (ctx: CliContext): CommandSpec<typeof RUN_OPTIONS> => ({
  name: 'run',
  summary: 'serve + load + verify in one command, one verdict',
  description: [
    'Starts the instrumented server in this process, loads it (flags and --scenario as in `otelpoc load`), flushes its metrics, then verifies them (as `otelpoc verify`) and prints one verdict.',
    'Where metrics go: with --url, to the OTLP endpoint (--otlp-endpoint) and verified at --url. Without --url, the same when something listens at the OTLP endpoint (verified at the default --url); otherwise, or with --embedded, the metrics are captured in process and checked with the same checks: no pipeline is involved then, and the verdict says so.',
    'The defaults below make a short run of a few seconds; a --scenario overrides them, and flags given override the scenario.',
    "With --shard i/n (or --shards n), run sends its shard of the run (as `otelpoc load --shard`) and checks that shard in process (embedded): a backend holds every shard's metrics, so a sharded run is verified at a backend by one `otelpoc verify` over all the shards' manifests.",
    'Exit 0 all checks pass, 1 a check failed (or a load threshold was exceeded), 2 bad flags or unreachable backend, 130 interrupted.',
  ],
  table: RUN_OPTIONS,
  examples: [
    'otelpoc run                                    # no infrastructure needed: embedded capture',
    'otelpoc run --url http://localhost:9009/prometheus --rps 50 --duration 10s',
    'otelpoc run --scenario smoke --junit verify.xml',
    'otelpoc run --otlp-endpoint http://collector:4318 --url http://mimir:9009/prometheus --verify-timeout 2m',
    'otelpoc run --per-tenant-export --otlp-endpoint http://localhost:9009/otlp --url http://localhost:9009/prometheus',
  ],
  action: async (given) => {
    const { stdout } = ctx.runtime;
    const json = given.json === true;
    const follow = followPipeline(ctx, { talk: given.quiet !== true && !json, sayDestination: true });
    const { report: r, code, failure } = await run(given, follow.deps).finally(() => follow.done());
    if (r.verify && !json) stdout.write(renderReport(r.verify, ctx.outColor));
    if (r.service && !json) stdout.write(renderServiceReports(r.service, ctx.outColor));
    // Interrupted during the load too (no verify then): the JSON of what was done, not nothing.
    if (json) stdout.write(`${JSON.stringify(runDocument(r), null, 2)}\n`);
    if (!json && r.embedded && r.verify && !r.manifest?.interrupted) {
      stdout.write(
        `${ctx.outColor.yellow('note:')} embedded mode: no pipeline was involved. The metrics were captured in this process and checked with the same checks; this proves the instrumentation and the counting, not the delivery. Pass --url (and --otlp-endpoint) or start the stack to prove the pipeline.\n`,
      );
    }
    if (failure) throw failure;
    return code;
  },
});
