import type { Writable } from 'node:stream';
import type { Env } from '../telemetry/config.js';

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
}

/**
 * Whether a spinner may redraw its line on `stream`: a terminal that reports its width. Under some
 * pseudo-terminals (e.g. `script`) the width is 0, and ora would clear an endless number of lines.
 */
export function canRedraw(stream: OutputStream): boolean {
  return stream.isTTY === true && (stream.columns ?? 0) > 0;
}

let processSignal: AbortSignal | undefined;

/**
 * SIGINT/SIGTERM → one AbortSignal, installed once. Commands stop gracefully when it fires; a second
 * signal exits at once with 130, for the user who really wants out.
 */
function shutdownSignal(): AbortSignal {
  if (processSignal) return processSignal;
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      process.stderr.write(`otelpoc: second ${name}, exiting now\n`);
      process.exit(130);
    }
    controller.abort(name);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  processSignal = controller.signal;
  return processSignal;
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
  return {
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    signal: shutdownSignal(),
  };
}

/** Resolves when the signal fires (at once if it already has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
