/**
 * The GitHub Actions workflows in .github/workflows cannot run here; their tests read them and check
 * each otelpoc command they run against the CLI's real option table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createContext } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/main.js';
import { ROOT } from './cli.js';

export interface WorkflowStep {
  name?: string;
  id?: string;
  env?: Record<string, string>;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, string | boolean>;
}

/** .github/workflows/<file>, parsed; `T` says what the test expects in it. */
export function readWorkflow<T>(file: string): T {
  return parse(readFileSync(join(ROOT, '.github/workflows', file), 'utf8')) as T;
}

/** Every flag (long and short) of `otelpoc <command>`. */
export function optionsOf(command: string): string[] {
  const sink = { write: () => true };
  const ctx = createContext(
    { env: {}, cwd: ROOT, stdout: sink, stderr: sink, signal: new AbortController().signal },
    { debug: false, noColor: true },
  );
  const cmd = buildProgram(ctx).commands.find((c) => c.name() === command)!;
  return cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f));
}
