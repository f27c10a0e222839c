import { Command } from 'commander';
import type { LoadConfig } from '../../load/config.js';
import type { ManifestServer, RunManifest } from '../../manifest/schema.js';
import { resolveOtlpConfig } from '../../telemetry/config.js';
import { CheckFailedError, InterruptedError, UsageError } from '../../util/errors.js';
import type { CliContext } from '../context.js';
import { serverStopBoundMs, startInProcessServer, stopServerForManifest } from '../in-process-server.js';
import { addLoadOptions, given, type LoadFlags, loadConfigFromCommand } from '../load-options.js';
import { addServerOptions, type ServerFlags } from '../options.js';
import { stopLimitMs, stopOf } from '../runtime.js';

export { writeRunManifest } from '../../load/manifest-out.js';

interface LoadCommandFlags extends LoadFlags, ServerFlags {
  serve?: boolean;
  out?: string;
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
        'Exit 0 when the run completed, 1 when a --max-*-rate threshold is exceeded, 2 on bad flags, 130 when interrupted (the partial manifest is still written).',
      ].join('\n\n'),
    )
    .option('--serve', 'start the instrumented server in this process on a free port and load it')
    .option(
      '-o, --out <file>',
      'write the manifest here instead of .otelpoc/runs/<run-id>.json + last-run.json',
    )
    .option('--json', 'print the manifest as JSON on stdout instead of the summary')
    .option('-q, --quiet', 'no progress and no summary');
  addLoadOptions(cmd);
  addServerOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Server options (--delay, --seed, --otlp-endpoint, --export-interval, --max-tenants) apply to the in-process server of --serve.

Examples:
  $ otelpoc load --serve --rps 50 --tenants 3 --duration 10s
  $ otelpoc load --rps 200 --duration 30s --status-mix 200:85,404:10,500:5 --anonymous 10%
  $ otelpoc load --requests 1000 --client-ids acme,globex --tenant-weights 3,1
  $ otelpoc load --scenario ramp --max-drop-rate 0.1%
  $ otelpoc load --scenario ./my-scenario.yaml --json > run.json
  $ otelpoc load --rps max --connections 50 --duration 20s`,
  );
  return cmd.action(async (flags: LoadCommandFlags) => {
    const { runtime } = ctx;
    const quiet = flags.quiet === true;
    const json = flags.json === true;
    if (flags.serve && given(cmd, 'target')) {
      throw new UsageError('--target: not allowed with --serve, which loads its own in-process server');
    }
    let config = await loadConfigFromCommand(cmd, ctx, flags.serve ? 'http://127.0.0.1:1/api' : '');
    // Before any server starts or request is sent: a result that cannot be written is refused now.
    const { checkManifestOut, writeRunManifest } = await import('../../load/manifest-out.js');
    checkManifestOut(config.runId, flags.out, runtime.cwd);
    const { stopBoundMs } = await import('../../load/runner.js');
    const stop = stopOf(runtime);
    stop.limit(stopLimitMs(stopBoundMs(config)));
    let server: (() => Promise<ManifestServer>) | undefined;
    if (flags.serve) {
      const otlp = resolveOtlpConfig(
        { otlpEndpoint: flags.otlpEndpoint, exportIntervalMs: flags.exportInterval },
        runtime.env,
      );
      stop.limit(stopLimitMs(stopBoundMs(config), await serverStopBoundMs(otlp.exportTimeoutMs)));
      const app = await startInProcessServer(ctx, flags, { otlp });
      config = { ...config, target: `${app.url}/api` };
      server = stopServerForManifest(ctx, app, {
        delay: flags.delay,
        seed: flags.seed ?? null,
        exportIntervalMs: otlp.exportIntervalMs,
        embedded: false,
      });
    }

    const manifestOwed = stop.owe(
      `manifest not written (${flags.out ?? `.otelpoc/runs/${config.runId}.json`})`,
    );
    let manifest: RunManifest;
    let paths: string[];
    try {
      manifest = await executeLoad(ctx, config, { quiet, json, server });
      paths = await writeRunManifest(manifest, flags.out, runtime.cwd);
    } finally {
      manifestOwed();
    }
    if (json) runtime.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    else if (!quiet) ctx.info(`manifest: ${paths.join(', ')}`);

    if (manifest.interrupted)
      throw new InterruptedError(`interrupted; partial manifest written to ${paths[0]}`);
    const { checkThresholds } = await import('../../load/thresholds.js');
    const exceeded = checkThresholds(manifest, config.thresholds);
    if (exceeded.length > 0) throw new CheckFailedError(exceeded.join('\n'));
  });
}

/**
 * Runs a load with progress on stderr and the summary on stdout (unless json/quiet), stopping on
 * ctx.runtime.signal. `server` (e.g. stopping an in-process server) runs after the load and gives
 * the manifest's server part. Returns the manifest; does not write it (see writeRunManifest).
 */
export async function executeLoad(
  ctx: CliContext,
  config: LoadConfig,
  opts: { quiet: boolean; json: boolean; server?: (() => Promise<ManifestServer>) | undefined },
): Promise<RunManifest> {
  const { runLoad } = await import('../../load/runner.js');
  const { describeLoadConfig } = await import('../../load/config.js');
  const { buildManifest } = await import('../../manifest/build.js');
  const { createProgressRenderer } = await import('../render/progress.js');
  const talk = !opts.quiet && !opts.json;
  if (talk) ctx.info(`load: run ${config.runId} → ${config.target}: ${describeLoadConfig(config)}`);
  const progress = await createProgressRenderer(ctx, opts);
  let result: Awaited<ReturnType<typeof runLoad>>;
  try {
    result = await runLoad(config, { signal: ctx.runtime.signal, onProgress: progress.update });
  } finally {
    progress.stop();
  }
  if (result.interrupted && talk) ctx.info('load: interrupted; waited for in-flight requests');
  const manifest = buildManifest(config, result, await opts.server?.());
  if (talk) {
    const { renderLoadSummary } = await import('../render/load-summary.js');
    ctx.runtime.stdout.write(renderLoadSummary(manifest, ctx.outColor));
  }
  return manifest;
}
