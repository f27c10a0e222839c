/**
 * What a command's core owes on a stop: each entry point sets how long its graceful stop may take
 * (it knows its own bounds) and registers what it still owes ("manifest not written"), so a stop cut
 * short says what it lost. The CLI's runtime implements it on the process's signals (src/cli/runtime.ts).
 */
export interface GracefulStop {
  /** Registers something the command still owes; the function returned settles it. */
  owe(lost: string): () => void;
  /**
   * The graceful stop may take at most this long after the first signal. `quiet` (--quiet, --json):
   * no informational note on a repeated signal; what a stop cut short lost is still said.
   */
  limit(ms: number, opts?: { quiet?: boolean }): void;
}

/** Nothing is ever cut short (tests' in-process runtimes, programmatic callers). */
export const NO_STOP: GracefulStop = { owe: () => () => {}, limit: () => {} };

/** Added to the bounds of a stop's own steps: writing files, closing sockets, a busy machine. */
export const STOP_MARGIN_MS = 5_000;

/** The stop deadline of a command whose stop steps are each bounded by one of `boundsMs`. */
export function stopLimitMs(...boundsMs: number[]): number {
  return boundsMs.reduce((a, b) => a + b, STOP_MARGIN_MS);
}

/** Resolves when `signal` aborts (at once if it already has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
