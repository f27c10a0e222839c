import type { ChalkInstance } from 'chalk';
import type { LoadProgress } from '../../load/runner.js';
import type { CliContext } from '../context.js';
import { canRedraw } from '../runtime.js';

/**
 * One progress line of a load: elapsed, sent, the last second's rate against the current target,
 * in-flight, dropped, errors, p99. Pure. The current rate, not the run's average: on a ramp the
 * average lags the target (114/200 at a 200 req/s plateau) and reads as a shortfall that is not there.
 */
export function formatProgress(p: LoadProgress, c: ChalkInstance): string {
  const target = p.targetPerSec !== null ? `/${fmt(p.targetPerSec)}` : '';
  const parts = [
    `${(p.elapsedMs / 1000).toFixed(1)}s`,
    `sent ${p.sent}`,
    `${fmt(p.currentPerSec)}${target} req/s`,
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

export interface Progress {
  /**
   * The current state. On a terminal it replaces the spinner's line. Otherwise a plain line is
   * written when `key` differs from the last one written, or `plainEveryMs` after the last one
   * (`atMs` is the caller's own elapsed time, so that fake clocks give the same lines).
   */
  update(text: string, at?: { key?: string; atMs?: number }): void;
  /** Clears the spinner (a later update starts it again). */
  stop(): void;
}

export interface ProgressOptions {
  /** False with --json or --quiet: nothing is written. */
  enabled: boolean;
  /** Plain lines: at most this often while the key stays the same. */
  plainEveryMs?: number;
  /** Plain lines: the first is due `plainEveryMs` after this (default: at once). */
  startAtMs?: number;
}

const NONE: Progress = { update() {}, stop() {} };

/**
 * Progress on stderr, for every command: an ora spinner on a terminal that reports its width, plain
 * lines otherwise (a pipe, a CI log, a pseudo-terminal of 0 columns, where ora would clear an
 * endless number of lines), nothing when disabled. No colour with NO_COLOR or --no-color.
 */
export function createProgress(ctx: CliContext, opts: ProgressOptions): Progress {
  if (!opts.enabled) return NONE;
  const { stderr } = ctx.runtime;
  if (canRedraw(stderr)) return spinnerProgress(ctx);
  const every = opts.plainEveryMs ?? 5_000;
  let lastKey: string | undefined;
  let lastAt = opts.startAtMs ?? Number.NEGATIVE_INFINITY;
  return {
    update(text, at = {}) {
      const now = at.atMs ?? performance.now();
      const key = at.key ?? text;
      // With startAtMs the first line waits its turn like every later one.
      const changed = key !== lastKey && !(lastKey === undefined && opts.startAtMs !== undefined);
      if (!changed && now - lastAt < every) return;
      stderr.write(`${text}\n`);
      lastKey = key;
      lastAt = now;
    },
    stop() {},
  };
}

function spinnerProgress(ctx: CliContext): Progress {
  const stream = ctx.runtime.stderr as NodeJS.WritableStream;
  type Spinner = { text: string; isSpinning: boolean; start(text?: string): unknown; stop(): unknown };
  let spinner: Spinner | undefined;
  let text: string | undefined;
  let spinning = false;
  // ora is loaded on a terminal only; updates until it is there are kept and shown once it is.
  const ready = import('ora').then(({ default: ora }) => {
    spinner = ora({
      stream,
      isEnabled: true,
      discardStdin: false,
      ...(ctx.errColor.level === 0 ? { color: false as const } : {}),
    }) as Spinner;
    if (spinning && text !== undefined) spinner.start(text);
  });
  return {
    update(next) {
      text = next;
      spinning = true;
      if (!spinner) return;
      if (spinner.isSpinning) spinner.text = next;
      else spinner.start(next);
    },
    stop() {
      spinning = false;
      spinner?.stop();
      void ready.then(() => {
        if (!spinning) spinner?.stop();
      });
    },
  };
}
