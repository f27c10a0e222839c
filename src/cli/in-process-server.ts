import type { ManifestServer } from '../manifest/schema.js';
import type { InstrumentedServer, InstrumentedServerOptions } from '../server/instrumented-server.js';
import type { CliContext } from './context.js';
import type { ServerFlags } from './options.js';
import { stopOf } from './runtime.js';

/**
 * The instrumented server that `load --serve` and `run` start in their own process: loopback, a free
 * port, the serve flags they were given, and metrics going to `exportTo`.
 */
export async function startInProcessServer(
  ctx: CliContext,
  flags: ServerFlags,
  exportTo: InstrumentedServerOptions['export'],
): Promise<InstrumentedServer> {
  const { startInstrumentedServer } = await import('../server/instrumented-server.js');
  const app = await startInstrumentedServer({
    host: '127.0.0.1',
    port: 0,
    delay: flags.delay,
    seed: flags.seed,
    limits: { maxTenants: flags.maxTenants },
    export: exportTo,
    env: ctx.runtime.env,
    warn: ctx.warn,
  });
  const flushOwed = stopOf(ctx.runtime).owe(
    `final metrics export not sent (this run's last counts never reach ${app.metricsTarget})`,
  );
  return {
    ...app,
    async stop(opts) {
      try {
        await app.stop(opts);
      } finally {
        flushOwed();
      }
    },
  };
}

/** How long stopping an in-process server may take: the drain of its in-flight requests, then the final export. */
export async function serverStopBoundMs(exportTimeoutMs: number): Promise<number> {
  const { DEFAULT_DRAIN_TIMEOUT_MS } = await import('../server/instrumented-server.js');
  return DEFAULT_DRAIN_TIMEOUT_MS + exportTimeoutMs;
}

/**
 * The `server` hook of executeLoad for an in-process server: stop it (drain + final flush, so the
 * backend or the capture has every count before the manifest is final), return its settings and
 * exports for the manifest, and warn when the final export did not get through.
 */
export function stopServerForManifest(
  ctx: CliContext,
  app: InstrumentedServer,
  settings: Pick<ManifestServer, 'delay' | 'seed' | 'exportIntervalMs' | 'embedded'>,
) {
  return async (): Promise<ManifestServer> => {
    await app.stop();
    const { stats } = app.pipeline;
    if (stats.consecutiveFailures > 0) {
      ctx.warn(
        `the final metrics export to ${app.metricsTarget} failed (${stats.lastError}): the backend lacks this run's last counts`,
      );
    }
    return {
      url: app.url,
      metricsTarget: app.metricsTarget,
      exports: stats.exports,
      failedExports: stats.failures,
      finalFlushOk: stats.consecutiveFailures === 0,
      ...settings,
    };
  };
}
