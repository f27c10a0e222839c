/**
 * One error hierarchy for the whole tool. Core code throws these; only `cli/main.ts` turns them
 * into a message on stderr and an exit code. Exit codes follow the README's table:
 * 0 ok · 1 a check or the run failed · 2 bad usage, bad input or an unreachable backend · 130 interrupted.
 */
export type ExitCode = 0 | 1 | 2 | 130;

export class OtelpocError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;

  constructor(message: string, code: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** A flag, environment variable, file or header value that is not allowed. Exit 2. */
export class UsageError extends OtelpocError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'OTELPOC_USAGE', 2, options);
  }
}

/** A backend (OTLP endpoint, Prometheus API) that cannot be reached or refuses us. Exit 2. */
export class BackendError extends OtelpocError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'OTELPOC_BACKEND', 2, options);
  }
}

/** The run or a check failed: thresholds exceeded, verification mismatch, doctor found a fault. Exit 1. */
export class CheckFailedError extends OtelpocError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'OTELPOC_CHECK_FAILED', 1, options);
  }
}

/** SIGINT/SIGTERM stopped the work; whatever was done has been written. Exit 130. */
export class InterruptedError extends OtelpocError {
  constructor(message = 'interrupted') {
    super(message, 'OTELPOC_INTERRUPTED', 130);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
