import { Command } from 'commander';
import type { RunManifest } from '../../manifest/schema.js';
import { resolveOtlpConfig } from '../../telemetry/config.js';
import { CheckFailedError, InterruptedError, UsageError } from '../../util/errors.js';
import type { SeriesSource } from '../../verify/types.js';
import type { CliContext } from '../context.js';
import { serverStopBoundMs, startInProcessServer, stopServerForManifest } from '../in-process-server.js';
import { addLoadOptions, given, type LoadFlags } from '../load-options.js';
import { addServerOptions, type ServerFlags } from '../options.js';
import { stopLimitMs, stopOf } from '../runtime.js';
import { addVerifyOptions, type VerifyFlags } from '../verify-options.js';

interface RunFlags extends LoadFlags, ServerFlags, VerifyFlags {
  embedded?: boolean;
  out?: string;
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
        `Where metrics go: with --url, to the OTLP endpoint (--otlp-endpoint / OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318) and verified at --url. Without --url, the same when something listens at the OTLP endpoint (verified at ${'http://localhost:9009/prometheus'}); otherwise, or with --embedded, the metrics are captured in process and checked with the same checks: no pipeline is involved then, and the verdict says so.`,
        `Defaults when no --scenario is given: --rps ${RUN_DEFAULTS.ratePerSec} --duration ${RUN_DEFAULTS.durationMs / 1000}s --tenants 3, status mix 200:85,404:10,500:5, --export-interval ${RUN_DEFAULTS.exportIntervalMs / 1000}s.`,
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
    .option('-q, --quiet', 'no progress and no load summary (the verify report still prints)');
  addLoadOptions(cmd, { ratePerSec: RUN_DEFAULTS.ratePerSec, durationMs: RUN_DEFAULTS.durationMs });
  addServerOptions(cmd, { delayDefault: RUN_DEFAULTS.delay });
  addVerifyOptions(cmd, { timeoutFlag: '--verify-timeout' });
  cmd.addHelpText(
    'after',
    `
Examples:
  $ otelpoc run                                    # no infrastructure needed: embedded capture
  $ otelpoc run --url http://localhost:9009/prometheus --rps 50 --duration 10s
  $ otelpoc run --scenario smoke --junit verify.xml
  $ otelpoc run --otlp-endpoint http://collector:4318 --url http://mimir:9009/prometheus --verify-timeout 2m`,
  );
  return cmd.action(async (flags: RunFlags) => {
    const { runtime } = ctx;
    const quiet = flags.quiet === true;
    const json = flags.json === true;
    const talk = !quiet && !json;
    if (given(cmd, 'target')) {
      throw new UsageError('--target: not allowed with run, which loads its own in-process server');
    }
    if (flags.embedded && flags.url !== undefined) {
      throw new UsageError(
        '--embedded and --url: give one of them (--embedded verifies in this process, --url at a backend)',
      );
    }
    const otlp = resolveOtlpConfig(
      {
        otlpEndpoint: flags.otlpEndpoint,
        exportIntervalMs:
          flags.exportInterval ??
          (runtime.env.OTEL_METRIC_EXPORT_INTERVAL ? undefined : RUN_DEFAULTS.exportIntervalMs),
      },
      runtime.env,
    );
    const { loadConfigFromCommand } = await import('../load-options.js');
    // Validate all flags before anything starts. Run's load defaults (a short run) are the option
    // table's: a scenario overrides them.
    const planCheck = await loadConfigFromCommand(cmd, ctx, 'http://127.0.0.1:1/api');
    // Output paths too, before probing the pipeline, starting the server or sending anything.
    const { checkManifestOut, writeRunManifest } = await import('../../load/manifest-out.js');
    checkManifestOut(planCheck.runId, flags.out, runtime.cwd);
    const { checkOutputPath } = await import('../../util/output-file.js');
    const junit = flags.junit === undefined ? undefined : checkOutputPath(flags.junit, '--junit', runtime);
    // A stop comes during the load (then the run ends after writing the manifest) or during verify.
    const { stopBoundMs } = await import('../../load/runner.js');
    const stop = stopOf(runtime);
    stop.limit(
      stopLimitMs(
        Math.max(
          stopBoundMs(planCheck) + (await serverStopBoundMs(otlp.exportTimeoutMs)),
          flags.queryTimeout,
        ),
      ),
    );
    const choice = flags.embedded
      ? { reason: '--embedded given' }
      : await pipelineIfAny(flags, ctx, otlp.metricsUrl);
    const pipelineSource = choice.source;

    const { CaptureExporter } = await import('../../telemetry/capture.js');
    const capture = pipelineSource ? undefined : new CaptureExporter();
    if (talk) {
      ctx.info(
        capture
          ? `run: embedded mode: ${choice.reason}; metrics are captured in this process (no pipeline involved)`
          : `run: metrics → ${otlp.metricsUrl}, verified at ${pipelineSource!.description}`,
      );
    }
    const app = await startInProcessServer(
      ctx,
      flags,
      capture
        ? {
            exporter: capture,
            description: 'in-process capture',
            exportIntervalMs: otlp.exportIntervalMs,
            exportTimeoutMs: otlp.exportTimeoutMs,
          }
        : { otlp },
    );
    const manifestOwed = stop.owe(
      `manifest not written (${flags.out ?? `.otelpoc/runs/${planCheck.runId}.json`})`,
    );
    let manifest: RunManifest;
    let paths: string[];
    try {
      const config = { ...planCheck, target: `${app.url}/api` };
      const { executeLoad } = await import('./load.js');
      manifest = await executeLoad(ctx, config, {
        quiet,
        json,
        server: stopServerForManifest(ctx, app, {
          delay: flags.delay,
          seed: flags.seed ?? null,
          exportIntervalMs: otlp.exportIntervalMs,
          embedded: !!capture,
        }),
      });
      paths = await writeRunManifest(manifest, flags.out, runtime.cwd);
    } finally {
      await app.stop();
      manifestOwed();
    }
    if (talk) ctx.info(`manifest: ${paths.join(', ')}`);
    if (manifest.interrupted)
      throw new InterruptedError(`interrupted; partial manifest written to ${paths[0]}`);

    const { checkThresholds } = await import('../../load/thresholds.js');
    const exceeded = checkThresholds(manifest, planCheck.thresholds);
    const { CaptureSource } = await import('../../verify/capture-source.js');
    const { verifyAndReport, interruptedVerifyMessage } = await import('./verify.js');
    const report = await verifyAndReport(
      ctx,
      [{ manifest, source: paths[0]! }],
      pipelineSource ?? new CaptureSource(capture!),
      // The capture holds the final counts once the server stopped: one look is enough, and nothing
      // can arrive later (no settle window).
      {
        ...flags,
        junit,
        verifyTimeout: capture ? 0 : flags.verifyTimeout,
        quiet,
        json,
        ...(capture
          ? { fixedSettle: { ms: 0, why: 'in-process capture: final once the server stopped' } }
          : {}),
      },
    );
    if (json) {
      runtime.stdout.write(
        `${JSON.stringify({ ok: report.ok && exceeded.length === 0, embedded: !!capture, manifestPaths: paths, thresholdsExceeded: exceeded, manifest, verify: report }, null, 2)}\n`,
      );
    } else if (capture) {
      runtime.stdout.write(
        `${ctx.outColor.yellow('note:')} embedded mode: no pipeline was involved. The metrics were captured in this process and checked with the same checks; this proves the instrumentation and the counting, not the delivery. Pass --url (and --otlp-endpoint) or start the stack to prove the pipeline.\n`,
      );
    }
    if (report.interrupted) throw new InterruptedError(interruptedVerifyMessage(report, flags.junit));
    if (exceeded.length > 0) throw new CheckFailedError(exceeded.join('\n'));
  });
}

/** The pipeline to verify against (--url given, or the stack listening), or why there is none. */
async function pipelineIfAny(
  flags: RunFlags,
  ctx: CliContext,
  metricsUrl: string,
): Promise<{ source?: SeriesSource; reason: string }> {
  const { prometheusSourceFrom, DEFAULT_PROM_URL } = await import('../verify-options.js');
  if (flags.url !== undefined || ctx.runtime.env.OTELPOC_VERIFY_URL) {
    return { source: await prometheusSourceFrom(flags, ctx), reason: '--url given' };
  }
  const { isListening } = await import('../../util/net.js');
  if (!(await isListening(metricsUrl))) return { reason: `nothing listens at ${metricsUrl} and no --url` };
  // Something takes OTLP; use it only if the query side is there too (the stack).
  if (await isListening(DEFAULT_PROM_URL)) {
    return { source: await prometheusSourceFrom(flags, ctx), reason: 'the stack is listening' };
  }
  return {
    reason: `something listens at ${metricsUrl} but nothing at ${DEFAULT_PROM_URL}, and no --url`,
  };
}
