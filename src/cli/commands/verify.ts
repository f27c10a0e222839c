import { Command, Option } from 'commander';
import type { RunManifest } from '../../manifest/schema.js';
import { InterruptedError } from '../../util/errors.js';
import type { PollEvent } from '../../verify/poll.js';
import type { SeriesSource, VerifyReport } from '../../verify/types.js';
import type { Settle } from '../../verify/verify.js';
import type { CliContext } from '../context.js';
import { canRedraw, stopLimitMs, stopOf } from '../runtime.js';
import { addVerifyOptions, prometheusSourceFrom, type VerifyFlags } from '../verify-options.js';

/**
 * Polls and renders: progress on stderr, the report table on stdout (not with --json: the caller
 * prints its one JSON document), JUnit to a file; sets the exit code to 1 when a check failed. An
 * interrupted poll is still reported (report.interrupted): the caller then exits 130.
 */
export async function verifyAndReport(
  ctx: CliContext,
  manifests: { manifest: RunManifest; source: string }[],
  source: SeriesSource,
  flags: VerifyFlags & { json?: boolean; quiet?: boolean; fixedSettle?: Settle },
): Promise<VerifyReport> {
  const { expectationsFrom } = await import('../../verify/expectations.js');
  const { runVerify, defaultSettle } = await import('../../verify/verify.js');
  const { realClock } = await import('../../util/clock.js');
  const render = await import('../render/verify-report.js');
  const expectation = expectationsFrom(manifests, flags.defaultTenant);
  const progress = progressReporter(ctx, !flags.quiet && !flags.json, render.renderProgress);
  const outputs = [flags.json ? 'the --json report' : 'the report', flags.junit && `--junit ${flags.junit}`];
  const reportOwed = stopOf(ctx.runtime).owe(`${outputs.filter(Boolean).join(' and ')} not written`);
  let report: VerifyReport;
  try {
    report = await runVerify({
      expectation,
      source,
      clock: realClock,
      timeoutMs: flags.verifyTimeout,
      signal: ctx.runtime.signal,
      onEvent: progress.onEvent,
      explain: flags.explain ?? false,
      // The default tenant always: requests without Client-ID land there even when the manifest sent none.
      alsoTenants: [flags.defaultTenant, ...(flags.alsoTenants ?? [])],
      tenantHeader: source.isolated && flags.tenantHeader !== false ? flags.tenantHeader : null,
      settle:
        flags.fixedSettle ??
        (flags.settle !== undefined
          ? { ms: flags.settle, why: '--settle' }
          : defaultSettle(manifests.map((m) => m.manifest))),
    });
  } finally {
    progress.stop();
    await source.close();
  }
  try {
    if (flags.junit) {
      const { writeFileAtomic } = await import('../../util/output-file.js');
      await writeFileAtomic(flags.junit, render.renderJunit(report), '--junit');
    }
    if (!flags.json) ctx.runtime.stdout.write(render.renderReport(report, ctx.outColor));
  } finally {
    // With --json the caller prints the document right after this returns, without waiting.
    reportOwed();
  }
  if (!report.ok) ctx.exitCode = 1;
  return report;
}

/** The one line on stderr of an interrupted verify (exit 130): what was decided, and where it is. */
export function interruptedVerifyMessage(report: VerifyReport, junit: string | undefined): string {
  const passed = report.results.filter((r) => r.ok).length;
  const undecided = report.results.filter((r) => r.undecided).length;
  const where = junit ? ` (also in ${junit})` : '';
  if (undecided === 0 && passed === report.results.length && passed > 0) {
    // Every check green, but the settle window was not over: not a pass either.
    return `verify interrupted in the settle window: all ${passed} checks green for ${(report.greenForMs / 1000).toFixed(1)} s of ${(report.settleMs / 1000).toFixed(1)} s; the report says so${where}`;
  }
  return `verify interrupted before all checks passed: ${passed} passed, ${undecided} not decided; the report says which${where}`;
}

function progressReporter(ctx: CliContext, enabled: boolean, line: (e: PollEvent) => string) {
  const { stderr } = ctx.runtime;
  if (!enabled) return { onEvent: undefined, stop: () => {} };
  // ora needs a terminal width to redraw its line; without one (0 columns) use plain lines.
  if (canRedraw(stderr)) {
    let spinner: { text: string; stop(): void } | undefined;
    const ready = import('ora').then(({ default: ora }) => {
      spinner = ora({ text: 'verify: first poll…', stream: stderr as NodeJS.WritableStream }).start();
    });
    return {
      onEvent: (e: PollEvent) => {
        if (spinner) spinner.text = line(e);
      },
      stop: () => {
        void ready.then(() => spinner?.stop());
        spinner?.stop();
      },
    };
  }
  // Not a TTY: a plain line when the picture changes, at most every few seconds otherwise.
  let last = '';
  let lastAt = Number.NEGATIVE_INFINITY;
  return {
    onEvent: (e: PollEvent) => {
      const key = e.type === 'poll' ? e.greenTenants.join(',') : 'error';
      if (key !== last || e.elapsedMs - lastAt >= 5_000) {
        ctx.info(line(e));
        last = key;
        lastAt = e.elapsedMs;
      }
    },
    stop: () => {},
  };
}

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
      new Option('--manifest <file>', 'run manifest; repeat for the shards of one run')
        .default([] as string[], '.otelpoc/last-run.json')
        .argParser((v: string, prev: string[]) => [...prev, v]),
    )
    .addOption(new Option('--json', 'print the report as one JSON document'))
    .addOption(new Option('-q, --quiet', 'no progress on stderr'));
  addVerifyOptions(cmd, { timeoutFlag: '--timeout' }).addHelpText(
    'after',
    `
Examples:
  $ otelpoc verify                                  # the last run, against Mimir on localhost
  $ otelpoc verify --url http://mimir:9009/prometheus --timeout 2m --junit verify.xml
  $ otelpoc verify --url http://127.0.0.1:8428 --no-tenant-header   # single-tenant VictoriaMetrics
  $ otelpoc verify --manifest shard-0.json --manifest shard-1.json --json
  $ OTELPOC_VERIFY_BEARER_TOKEN=… otelpoc verify --url https://mimir.example/prometheus --explain`,
  );
  return cmd.action(
    async (flags: VerifyFlags & { manifest: string[]; timeout: number; json?: boolean; quiet?: boolean }) => {
      // Checked before reading or polling anything: a report that cannot be written is refused now.
      const { checkOutputPath } = await import('../../util/output-file.js');
      const junit =
        flags.junit === undefined ? undefined : checkOutputPath(flags.junit, '--junit', ctx.runtime);
      const { readManifests, LAST_RUN_FILE } = await import('../../manifest/io.js');
      const paths = flags.manifest.length ? flags.manifest : [LAST_RUN_FILE];
      const manifests = await readManifests(paths, ctx.runtime.cwd);
      const source = await prometheusSourceFrom(flags, ctx);
      // Once interrupted, the query in flight is aborted; what is left is writing the report.
      stopOf(ctx.runtime).limit(stopLimitMs(flags.queryTimeout));
      const report = await verifyAndReport(ctx, manifests, source, {
        ...flags,
        junit,
        verifyTimeout: flags.timeout,
      });
      if (flags.json) ctx.runtime.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (report.interrupted) throw new InterruptedError(interruptedVerifyMessage(report, flags.junit));
    },
  );
}
