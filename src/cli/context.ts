import type { ChalkInstance } from 'chalk';
import type { ExitCode } from '../util/errors.js';
import { colorFor } from './render/color.js';
import type { Runtime } from './runtime.js';

/** What every command gets: the runtime, coloured writers for stderr, and where to put its exit code. */
export interface CliContext {
  runtime: Runtime;
  exitCode: ExitCode;
  debug: boolean;
  /** chalk for stderr (progress, warnings, human-readable reports go there or to stdout as each command says). */
  errColor: ChalkInstance;
  outColor: ChalkInstance;
  /** A line on stderr: progress, notices. */
  info(line: string): void;
  /** A warning on stderr, prefixed and coloured. */
  warn(line: string): void;
}

export function createContext(runtime: Runtime, flags: { debug: boolean; noColor: boolean }): CliContext {
  const errColor = colorFor(runtime.stderr, runtime.env, flags.noColor);
  const outColor = colorFor(runtime.stdout, runtime.env, flags.noColor);
  return {
    runtime,
    exitCode: 0,
    debug: flags.debug,
    errColor,
    outColor,
    info: (line) => runtime.stderr.write(`${line}\n`),
    warn: (line) => runtime.stderr.write(`${errColor.yellow('warning:')} ${line}\n`),
  };
}
