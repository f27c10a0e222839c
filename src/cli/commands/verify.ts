import { VERIFY_OPTIONS, verify } from '../../pipeline/verify.js';
import type { CliContext } from '../context.js';
import { followPipeline } from '../pipeline-events.js';
import type { CommandSpec } from '../program.js';
import { renderReport, renderServiceReports } from '../render/verify-report.js';
import { stopOf } from '../runtime.js';

export const verifySpec = (ctx: CliContext): CommandSpec<typeof VERIFY_OPTIONS> => ({
  name: 'verify',
  summary: 'check per tenant that exactly what load sent arrived',
  description: [
    "Reads the run manifest written by `otelpoc load` and asks the backend's Prometheus API, tenant by tenant (X-Scope-OrgID), whether the run's series arrived with exactly the counts sent.",
    'Seven checks per tenant: series present, exact counts per status, histogram integrity, latency agreement, tenant isolation, metric names, series budget. Polls until all pass or the timeout ends; then keeps polling for the settle window (--settle) and passes only if every check stayed green all along.',
    'Exit 0 all checks pass, 1 a check failed or timed out, 2 bad input or unreachable backend, 130 interrupted (the report, --json and --junit are still written, marked interrupted).',
  ],
  table: VERIFY_OPTIONS,
  examples: [
    'otelpoc verify                                  # the last run, against Mimir on localhost',
    'otelpoc verify --url http://mimir:9009/prometheus --timeout 2m --junit verify.xml',
    'otelpoc verify --url http://127.0.0.1:8428 --no-tenant-header   # single-tenant VictoriaMetrics',
    'otelpoc verify --manifest shard-0.json --manifest shard-1.json --json',
    'otelpoc verify --manifest .otelpoc/runs/big-1/ --url http://127.0.0.1:8428 --no-tenant-header   # all shards',
    'OTELPOC_VERIFY_BEARER_TOKEN=… otelpoc verify --url https://mimir.example/prometheus --explain',
  ],
  action: async (given) => {
    // --json and --quiet have no env var: as given, they are final.
    const out = { json: given.json === true, talk: given.json !== true && given.quiet !== true };
    const follow = followPipeline(ctx, { talk: out.talk });
    try {
      return await verify(given, {
        env: ctx.runtime.env,
        cwd: ctx.runtime.cwd,
        signal: ctx.runtime.signal,
        stop: stopOf(ctx.runtime),
        warn: ctx.warn,
        onEvent: (e) => {
          const write = (doc: unknown, text: () => string) =>
            ctx.runtime.stdout.write(out.json ? `${JSON.stringify(doc, null, 2)}\n` : text());
          if (e.type === 'verify-report') write(e.report, () => renderReport(e.report, ctx.outColor));
          else if (e.type === 'service-report')
            write(e.reports, () => renderServiceReports(e.reports, ctx.outColor));
          else follow.onEvent(e);
        },
      });
    } finally {
      follow.done();
    }
  },
});
