import type { ChalkInstance } from 'chalk';
import type { LoadProgress } from '../../load/runner.js';
import type { CliContext } from '../context.js';
import { canRedraw } from '../runtime.js';

/** One progress line: elapsed, sent, achieved rate, in-flight, dropped, errors, p99. Pure. */
export function formatProgress(p: LoadProgress, c: ChalkInstance): string {
  const target = p.targetPerSec !== null ? `/${fmt(p.targetPerSec)}` : '';
  const parts = [
    `${(p.elapsedMs / 1000).toFixed(1)}s`,
    `sent ${p.sent}`,
    `${fmt(p.achievedPerSec)}${target} req/s`,
    `in flight ${p.inflight}`,
    p.dropped > 0 ? c.yellow(`dropped ${p.dropped}`) : 'dropped 0',
    p.errors > 0 ? c.red(`errors ${p.errors}`) : 'errors 0',
    `p99 ${p.p99Ms.toFixed(1)}ms`,
  ];
  return parts.join(' · ');
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

export interface ProgressRenderer {
  update(p: LoadProgress): void;
  stop(): void;
}

/**
 * Progress on stderr: an ora spinner line on a TTY, a plain line every `plainEveryMs` otherwise,
 * nothing with --quiet or --json.
 */
export async function createProgressRenderer(
  ctx: CliContext,
  opts: { quiet: boolean; json: boolean; plainEveryMs?: number },
): Promise<ProgressRenderer> {
  if (opts.quiet || opts.json) return { update() {}, stop() {} };
  const { stderr } = ctx.runtime;
  const c = ctx.errColor;
  // ora divides by the terminal width: a pseudo-terminal reporting 0 columns would make it clear
  // Infinity lines, so such terminals get the plain lines.
  if (canRedraw(stderr)) {
    const { default: ora } = await import('ora');
    const spinner = ora({ stream: stderr as NodeJS.WritableStream, text: 'starting…' }).start();
    return {
      update: (p) => {
        spinner.text = formatProgress(p, c);
      },
      stop: () => spinner.stop(),
    };
  }
  const every = opts.plainEveryMs ?? 5000;
  let nextAt = every;
  return {
    update: (p) => {
      if (p.elapsedMs + 1 < nextAt) return;
      nextAt = (Math.floor((p.elapsedMs + 1) / every) + 1) * every;
      stderr.write(`load: ${formatProgress(p, c)}\n`);
    },
    stop() {},
  };
}
