/**
 * How the commands follow the pipeline: its events become progress and summaries on the terminal.
 * What a stop still owes is the core's (src/pipeline/owed.ts, pipeline/verify.ts).
 */
import { describeLoadConfig } from '../load/config.js';
import type { LoadDeps, LoadEvent } from '../pipeline/load.js';
import { describeTopology } from '../telemetry/topology.js';
import type { CliContext } from './context.js';
import { renderLoadSummary } from './render/load-summary.js';
import { createProgress, formatProgress } from './render/progress.js';
import { renderProgress } from './render/verify-report.js';
import { stopOf } from './runtime.js';

export interface FollowOptions {
  /** Lines on stderr and the load summary on stdout: not with --json or --quiet. */
  talk: boolean;
  /** Say where the metrics go and why (run). */
  sayDestination?: boolean;
}

export interface Follower {
  onEvent(event: LoadEvent): void;
  /** Once the command has written everything: stops the progress. */
  done(): void;
  /** What the core needs from the CLI: the environment, cwd, the stop, warnings, and these events. */
  readonly deps: LoadDeps;
}

export function followPipeline(ctx: CliContext, opts: FollowOptions): Follower {
  const loadProgress = createProgress(ctx, { enabled: opts.talk, startAtMs: 0 });
  const verifyProgress = createProgress(ctx, { enabled: opts.talk });
  const say = (line: string) => {
    if (opts.talk) ctx.info(line);
  };
  const follower: Follower = {
    get deps(): LoadDeps {
      return {
        env: ctx.runtime.env,
        cwd: ctx.runtime.cwd,
        stop: stopOf(ctx.runtime),
        signal: ctx.runtime.signal,
        warn: ctx.warn,
        onEvent: (e) => follower.onEvent(e),
      };
    },
    onEvent(e) {
      switch (e.type) {
        case 'destination':
          if (opts.sayDestination) {
            say(
              e.embedded
                ? `run: embedded mode: ${e.reason}; metrics are captured in this process (no pipeline involved)`
                : `run: metrics → ${e.metricsUrl} (${describeTopology(e.topology)}), verified at ${e.verifiedAt ?? 'the backend'}`,
            );
          }
          return;
        case 'report-written':
          say(`report: ${e.shown}`);
          return;
        case 'load-started':
          say(`load: run ${e.config.runId} → ${e.config.target}: ${describeLoadConfig(e.config)}`);
          return;
        case 'load-progress':
          loadProgress.update(`load: ${formatProgress(e.progress, ctx.errColor)}`, {
            key: 'load',
            atMs: e.progress.elapsedMs,
          });
          return;
        case 'load-finished':
          loadProgress.stop();
          if (e.manifest.interrupted) say('load: interrupted; waited for in-flight requests');
          if (opts.talk) ctx.runtime.stdout.write(renderLoadSummary(e.manifest, ctx.outColor));
          return;
        case 'manifest-written':
          say(`manifest: ${e.paths.join(', ')}`);
          return;
        case 'verify-started':
          return;
        case 'verify-poll': {
          const p = e.event;
          verifyProgress.update(renderProgress(p), {
            key: p.type === 'poll' ? p.greenTenants.join(',') : 'error',
            atMs: p.elapsedMs,
          });
          return;
        }
        case 'verify-finished':
          verifyProgress.stop();
          return;
      }
    },
    done() {
      loadProgress.stop();
      verifyProgress.stop();
    },
  };
  return follower;
}
