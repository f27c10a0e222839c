import { Command, Option } from 'commander';
import { formatDurationMs } from '../../util/duration.js';
import { UsageError } from '../../util/errors.js';
import type { CliContext } from '../context.js';
import {
  addServerOptions,
  checkDefaultTenantUsed,
  otlpConfigFrom,
  parsePort,
  type ServerFlags,
  type TenantExportFlags,
  tenantExportFrom,
} from '../options.js';
import { stopLimitMs, stopOf, untilAborted } from '../runtime.js';

interface ServeFlags extends ServerFlags, TenantExportFlags {
  port: number;
  host: string;
}

export function serveCommand(ctx: CliContext): Command {
  const cmd = new Command('serve')
    .summary('run the instrumented GET /api server')
    .description(
      [
        'Runs the instrumented API of the original proof of concept and exports its metrics over OTLP/HTTP protobuf. GET /api answers after a random delay; ?sc=NNN picks the status code (200-599); the Client-ID header names the tenant (label client_id); X-Run-ID (sent by otelpoc load) becomes otelpoc_run_id. GET /healthz is for readiness.',
        'Runs until SIGINT/SIGTERM, then drains in-flight requests and flushes the metrics so that no recorded request is lost.',
      ].join('\n\n'),
    )
    .addOption(
      new Option('-p, --port <port>', 'port to listen on; 0 picks a free one')
        .default(8088)
        .argParser(parsePort),
    )
    .addOption(
      new Option('--host <address>', 'address to listen on').default('127.0.0.1').argParser(parseHost),
    );
  addServerOptions(cmd).addHelpText(
    'after',
    `
Examples:
  $ otelpoc serve
  $ otelpoc serve --port 0 --delay 0 --export-interval 1s
  $ OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 otelpoc serve --delay 10-20ms
  $ otelpoc serve --otlp-endpoint http://localhost:9009/otlp --tenant-header X-Scope-OrgID   # straight into Mimir, per tenant
  $ curl -H 'Client-ID: tenant-1' 'http://127.0.0.1:8088/api?sc=404'`,
  );
  return cmd.action(async (flags: ServeFlags) => {
    const { runtime } = ctx;
    checkDefaultTenantUsed(cmd);
    const otlp = otlpConfigFrom(cmd, runtime.env);
    const tenantExport = tenantExportFrom(flags, 'own');
    const { startInstrumentedServer, DEFAULT_DRAIN_TIMEOUT_MS, CUT_ERROR_TYPES } = await import(
      '../../server/instrumented-server.js'
    );
    const stop = stopOf(runtime);
    stop.limit(stopLimitMs(DEFAULT_DRAIN_TIMEOUT_MS, otlp.exportTimeoutMs));
    const app = await startInstrumentedServer({
      host: flags.host,
      port: flags.port,
      delay: flags.delay,
      seed: flags.seed,
      limits: { maxTenants: flags.maxTenants },
      export: { otlp },
      tenantExport,
      env: runtime.env,
      warn: ctx.warn,
    });
    const c = ctx.outColor;
    runtime.stdout.write(
      `otelpoc serve: listening on ${c.bold(`${app.url}/api`)} · metrics → ${otlp.metricsUrl}${tenantExport ? ` (one stream per tenant, ${tenantExport.header}: <Client-ID>, none: ${tenantExport.defaultTenant})` : ''} every ${formatDurationMs(otlp.exportIntervalMs)} · Ctrl-C to stop\n`,
    );

    const flushOwed = stop.owe(
      `in-flight requests not waited for and final metrics export not sent (requests recorded since the last export never reach ${otlp.metricsUrl})`,
    );
    await untilAborted(runtime.signal);
    const inFlight = app.server.inFlight;
    ctx.info(
      `otelpoc serve: stopping${inFlight ? `, waiting for ${inFlight} in-flight request(s)` : ''}, flushing metrics…`,
    );
    try {
      await app.stop();
    } finally {
      flushOwed();
    }
    const { stats } = app.pipeline;
    if (tenantExport) {
      // Per stream: which tenants lost their last counts, and that the others did not.
      for (const st of app.streams().filter((x) => !x.lastExportOk)) {
        ctx.warn(
          `the last export for tenant "${st.tenant}" to ${otlp.metricsUrl} failed (${st.lastError ?? 'export failed'}): that tenant's metrics recorded since its last successful export did not reach it`,
        );
      }
    } else if (stats.consecutiveFailures > 0) {
      ctx.warn(
        `the last export to ${otlp.metricsUrl} failed (${stats.lastError}): metrics recorded since the last successful export did not reach it`,
      );
    }
    const streams = tenantExport ? `, ${app.streams().length} tenant stream(s)` : '';
    const { cutAtDrain } = app.server;
    const cut = cutAtDrain
      ? `, ${cutAtDrain} request(s) cut at the ${formatDurationMs(DEFAULT_DRAIN_TIMEOUT_MS)} drain, recorded with error.type="${CUT_ERROR_TYPES.drainTimeout}"`
      : '';
    ctx.info(`otelpoc serve: stopped (${stats.exports} export(s), ${stats.failures} failed${streams}${cut})`);
  });
}

/** An empty --host would make Node listen on every interface: the opposite of what was typed. */
function parseHost(text: string): string {
  if (text.trim() === '') {
    throw new UsageError(
      `--host: expected an address to listen on (e.g. 127.0.0.1, ::1, 0.0.0.0 for every interface), got "${text}"`,
    );
  }
  return text;
}
