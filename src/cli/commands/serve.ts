import { SERVE_OPTIONS, type ServeEvent, serve } from '../../pipeline/serve.js';
import { formatDurationMs } from '../../util/duration.js';
import type { CliContext } from '../context.js';
import type { CommandSpec } from '../program.js';
import { stopOf } from '../runtime.js';

export const serveSpec = (ctx: CliContext): CommandSpec<typeof SERVE_OPTIONS> => ({
  name: 'serve',
  summary: 'run the instrumented GET /api server',
  description: [
    'Runs the instrumented API of the original proof of concept and exports its metrics over OTLP/HTTP protobuf. GET /api answers after a random delay; ?sc=NNN picks the status code (200-599); the Client-ID header names the tenant (label client_id); X-Run-ID (sent by otelpoc load) becomes otelpoc_run_id. GET /healthz is for readiness.',
    'Runs until SIGINT/SIGTERM, then drains in-flight requests and flushes the metrics so that no recorded request is lost.',
  ],
  table: SERVE_OPTIONS,
  examples: [
    'otelpoc serve',
    'otelpoc serve --port 0 --delay 0 --export-interval 1s',
    'OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 otelpoc serve --delay 10-20ms',
    'otelpoc serve --otlp-endpoint http://localhost:9009/otlp --tenant-header X-Scope-OrgID   # straight into Mimir, per tenant',
    "curl -H 'Client-ID: tenant-1' 'http://127.0.0.1:8088/api?sc=404'",
  ],
  action: (given) =>
    serve(given, {
      env: ctx.runtime.env,
      signal: ctx.runtime.signal,
      stop: stopOf(ctx.runtime),
      warn: ctx.warn,
      onEvent: (e) => renderServeEvent(ctx, e),
    }),
});

function renderServeEvent(ctx: CliContext, e: ServeEvent): void {
  if (e.type === 'listening') {
    const { otlp, tenantExport: t } = e.config.serve;
    const streams = t ? ` (one stream per tenant, ${t.header}: <Client-ID>, none: ${t.defaultTenant})` : '';
    ctx.runtime.stdout.write(
      `otelpoc serve: listening on ${ctx.outColor.bold(`${e.url}/api`)} · metrics → ${otlp.metricsUrl}${streams} every ${formatDurationMs(otlp.exportIntervalMs)} · Ctrl-C to stop\n`,
    );
  } else if (e.type === 'stopping') {
    const waiting = e.inFlight ? `, waiting for ${e.inFlight} in-flight request(s)` : '';
    ctx.info(`otelpoc serve: stopping${waiting}, flushing metrics…`);
  } else {
    const streams = e.streams ? `, ${e.streams} tenant stream(s)` : '';
    const cut = e.cutAtDrain
      ? `, ${e.cutAtDrain} request(s) cut at the ${formatDurationMs(e.drainTimeoutMs)} drain, recorded with error.type="drain_timeout"`
      : '';
    ctx.info(`otelpoc serve: stopped (${e.exports} export(s), ${e.failedExports} failed${streams}${cut})`);
  }
}
