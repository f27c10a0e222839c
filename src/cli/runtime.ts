import type { Writable } from 'node:stream';
import { type GracefulStop, NO_STOP } from '../pipeline/lifecycle.js';
import { formatSeconds as secondsOf } from '../util/duration.js';
import type { Env } from '../util/env.js';

const formatSeconds = (ms: number) => secondsOf(ms, { trim: true });

export interface OutputStream extends Pick<Writable, 'write'> {
  isTTY?: boolean;
  columns?: number;
}

/**
 * Everything a command may touch in the outside world. `bin/otelpoc` passes the real process; tests
 * can pass their own streams and environment.
 */
export interface Runtime {
  env: Env;
  cwd: string;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Aborted on the first SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** The process's graceful stop; absent in tests' in-process runtimes (see stopOf). */
  stop?: GracefulStop;
}

/**
 * Whether a spinner may redraw its line on `stream`: a terminal that reports its width. Under some
 * pseudo-terminals (e.g. `script`) the width is 0, and ora would clear an endless number of lines.
 */
export function canRedraw(stream: OutputStream): boolean {
  return stream.isTTY === true && (stream.columns ?? 0) > 0;
}

export function stopOf(runtime: Runtime): GracefulStop {
  return runtime.stop ?? NO_STOP;
}

/**
 * Signals within this long of the first are the same request to stop, delivered more than once: GNU
 * `timeout` signals its child and then its process group, Ctrl-C reaches every process of the
 * foreground group (npx forwards it once more), CI runners and container runtimes repeat it. Only a
 * signal at least this long after the first one is a deliberate "stop now".
 */
export const REPEAT_WINDOW_MS = 2_000;
/** The stop deadline until a command sets its own (before its work starts). */
export const DEFAULT_STOP_LIMIT_MS = 10_000;
/**
 * On a terminal, this many Ctrl-C presses within FORCE_WINDOW_MS are a person who wants out now,
 * whatever the repeat window says. SIGINTs less than SAME_PRESS_MS apart are one press delivered
 * twice (the terminal signals the whole foreground group and npx forwards it once more).
 */
export const FORCE_PRESSES = 3;
export const FORCE_WINDOW_MS = 1_000;
export const SAME_PRESS_MS = 100;

export interface SignalHandlingDeps {
  now: () => number;
  write: (line: string) => void;
  exit: (code: number) => void;
  /** An unref'd timer: it must not keep a finished process alive. */
  setTimer: (fn: () => void, ms: number) => { clear(): void };
  /** True when a person at a terminal sends the signals (stdin is a TTY): see FORCE_PRESSES. */
  interactive?: () => boolean;
}

export interface SignalHandling {
  signal: AbortSignal;
  stop: GracefulStop;
  onSignal(name: string): void;
  /** Resolves when no stop is running or nothing is owed any more (the deadline exits the process otherwise). */
  settled(): Promise<void>;
}

/**
 * SIGINT/SIGTERM → one AbortSignal, aborted on the first. The graceful stop that follows (drain,
 * final export, manifest, report) finishes however many signals arrive: repeats within
 * REPEAT_WINDOW_MS of the first are ignored. It is bounded: a signal REPEAT_WINDOW_MS or more after
 * the first, or the command's stop deadline, exits at once with 130, naming what was still owed.
 */
export function createSignalHandling(deps: SignalHandlingDeps): SignalHandling {
  const controller = new AbortController();
  const owed = new Map<number, string>();
  let nextId = 0;
  let limitMs = DEFAULT_STOP_LIMIT_MS;
  let firstAt: number | undefined;
  let deadline: { clear(): void } | undefined;
  let toldRepeat = false;
  let quiet = false;
  /** When each distinct Ctrl-C press arrived (see FORCE_PRESSES). */
  const presses: number[] = [];
  const waiters: (() => void)[] = [];

  const lost = () => (owed.size > 0 ? `lost: ${[...owed.values()].join('; ')}` : 'nothing was still owed');
  const cutShort = (why: string) => {
    deps.write(`otelpoc: ${why}: stopping now; ${lost()}\n`);
    deps.exit(130);
  };
  const armDeadline = () => {
    if (firstAt === undefined) return;
    deadline?.clear();
    const leftMs = Math.max(0, firstAt + limitMs - deps.now());
    deadline = deps.setTimer(
      () => cutShort(`the graceful stop did not finish within ${formatSeconds(limitMs)}`),
      leftMs,
    );
  };
  const wake = () => {
    if (owed.size > 0 && firstAt !== undefined) return;
    for (const w of waiters.splice(0)) w();
  };

  return {
    signal: controller.signal,
    stop: {
      owe(what) {
        const id = nextId++;
        owed.set(id, what);
        return () => {
          owed.delete(id);
          wake();
        };
      },
      limit(ms, opts = {}) {
        limitMs = ms;
        quiet = opts.quiet === true;
        armDeadline();
      },
    },
    onSignal(name) {
      const now = deps.now();
      if (name === 'SIGINT' && deps.interactive?.() === true) {
        const last = presses.at(-1);
        if (last === undefined || now - last >= SAME_PRESS_MS) presses.push(now);
        const recent = presses.filter((t) => now - t < FORCE_WINDOW_MS);
        if (recent.length >= FORCE_PRESSES) {
          cutShort(`Ctrl-C ${FORCE_PRESSES} times within ${formatSeconds(FORCE_WINDOW_MS)}`);
          return;
        }
      }
      if (firstAt === undefined) {
        firstAt = now;
        armDeadline();
        controller.abort(name);
        return;
      }
      const sinceMs = now - firstAt;
      if (sinceMs >= REPEAT_WINDOW_MS) {
        cutShort(`${name} again ${formatSeconds(sinceMs)} after the first`);
        return;
      }
      if (!toldRepeat && !quiet) {
        toldRepeat = true;
        deps.write(
          `otelpoc: ${name} again within ${formatSeconds(REPEAT_WINDOW_MS)}: taken as the same request, still stopping gracefully (a signal ${formatSeconds(REPEAT_WINDOW_MS)} or more after the first stops at once)\n`,
        );
      }
    },
    settled() {
      if (firstAt === undefined || owed.size === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
  };
}

let processHandling: SignalHandling | undefined;

function processSignalHandling(): SignalHandling {
  if (processHandling) return processHandling;
  const handling = createSignalHandling({
    now: () => performance.now(),
    write: (line) => process.stderr.write(line),
    exit: (code) => process.exit(code),
    interactive: () => process.stdin.isTTY === true,
    setTimer: (fn, ms) => {
      const t = setTimeout(fn, ms);
      t.unref();
      return { clear: () => clearTimeout(t) };
    },
  });
  process.on('SIGINT', handling.onSignal);
  process.on('SIGTERM', handling.onSignal);
  processHandling = handling;
  return handling;
}

/**
 * For bin/otelpoc: resolves once no graceful stop is still running, so that its forced exit (for
 * library timers left behind) never cuts one short. A running stop is bounded by its own deadline.
 */
export function gracefulStopSettled(): Promise<void> {
  if (!processHandling) return Promise.resolve();
  // The deadline timer is unref'd; keep the process alive while waiting for the stop to settle.
  const keepAlive = setInterval(() => {}, 1_000);
  return processHandling.settled().finally(() => clearInterval(keepAlive));
}

/**
 * `otelpoc ... | head` closes the pipe early: stop quietly, as Unix tools do, instead of crashing
 * with an EPIPE stack trace.
 */
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
      throw err;
    });
  }
}

export function processRuntime(): Runtime {
  exitQuietlyOnClosedPipe();
  const { signal, stop } = processSignalHandling();
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    signal,
    stop,
  };
}
