import { CANARY_OPTIONS, canary, notCanaryOption } from '../../canary/command.js';
import type { CliContext } from '../context.js';
import type { CommandSpec } from '../program.js';
import { renderCanaryEvent } from '../render/canary.js';
import { stopOf } from '../runtime.js';

export const canarySpec = (ctx: CliContext): CommandSpec<typeof CANARY_OPTIONS> => ({
  name: 'canary',
  summary: 'check continuously, per tenant, that the pipeline delivers',
  description: [
    "Runs until SIGINT/SIGTERM. Starts the instrumented server in process (exporting over OTLP as `serve` does), sends it a steady, low, deterministic request mix for each tenant, and every --interval checks each tenant in the backend's Prometheus API (same options as `verify`): correctness (every sample equals the cumulative value the canary exported with that timestamp), freshness (delivery lag within --max-lag), completeness (no export missing in the window), isolation (no other tenant's client_id) and names.",
    "With --per-tenant-export the server keeps one OTLP export stream per tenant, each sending --tenant-header: <Client-ID> (the direct topology: no tenant router, e.g. straight into Mimir's /otlp endpoint); each tenant is checked against what its own stream exported.",
    'Its own metrics (prefix otelpoc_canary_) are on --metrics-port at /metrics, with /healthz. A tenant is pending (not proven) until its samples have been seen arriving, right and complete; pending turns red by itself after --max-lag. One log line when a tenant turns red (the failing check and its reason), one when it is first proven green, and one when it turns green again.',
    "With --target and --service-profile it watches a service of yours instead (no server of its own): each window snapshots the service's counts, sends the mix for --interval, then waits up to --max-lag until the counts since the snapshot equal what was answered, per tenant × status.",
    'Exit (--once): 0 every tenant green, 1 a check failed, 2 bad input.',
  ],
  table: CANARY_OPTIONS,
  refuse: notCanaryOption,
  examples: [
    'otelpoc canary                                              # Alloy on :4318, Mimir on :9009',
    'otelpoc canary --once --interval 20s --export-interval 5s    # a smoke test: exit 0/1',
    'otelpoc canary --name eu-1 --tenants 5 --log-format json --metrics-host 0.0.0.0',
    'otelpoc canary --per-tenant-export --otlp-endpoint http://localhost:9009/otlp --url http://localhost:9009/prometheus',
  ],
  action: (given) =>
    canary(given, {
      env: ctx.runtime.env,
      signal: ctx.runtime.signal,
      stop: stopOf(ctx.runtime),
      onEvent: (e, output) => renderCanaryEvent(ctx, e, output),
    }),
});
