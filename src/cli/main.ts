import { Command, CommanderError } from 'commander';
import type { Table } from '../options/table.js';
import { type ExitCode, errorMessage, OtelpocError, UsageError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { canarySpec } from './commands/canary.js';
import { doctorSpec } from './commands/doctor.js';
import { loadSpec } from './commands/load.js';
import { runSpec } from './commands/run.js';
import { serveSpec } from './commands/serve.js';
import { verifySpec } from './commands/verify.js';
import { type CliContext, createContext } from './context.js';
import { type CommandSpec, commandFrom } from './program.js';
import { processRuntime, type Runtime } from './runtime.js';

export { gracefulStopSettled } from './runtime.js';

const DESCRIPTION = 'Prove an OpenTelemetry metrics pipeline works, end to end, for many tenants.';

const HELP_AFTER = `
Examples:
  $ otelpoc run                                   # serve + load + verify in process, no infrastructure
  $ otelpoc serve                                 # :8088/api, metrics to http://localhost:4318
  $ otelpoc load --rps 50 --tenants 3             # writes .otelpoc/last-run.json
  $ otelpoc verify                                # per tenant, in Mimir at localhost:9009
  $ otelpoc doctor                                # check the docker-compose stack hop by hop
  $ otelpoc canary                                # check every tenant continuously, metrics on :9465

Exit codes: 0 ok · 1 a check or the run failed · 2 bad usage, bad input or unreachable backend ·
130 interrupted. Run "otelpoc <command> --help" for a command's options.`;

/**
 * The CLI's single entry point, and the only place that turns errors into messages and exit codes.
 * Returns the exit code instead of exiting, so that pending output and metric flushes complete.
 */
export async function main(argv: string[], runtime: Runtime = processRuntime()): Promise<number> {
  const ctx = createContext(runtime, {
    debug: argv.includes('--debug'),
    noColor: argv.includes('--no-color'),
  });
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    return reportError(err, ctx);
  }
}

/** The six commands, in --help order. */
function specs(ctx: CliContext): CommandSpec<Table>[] {
  return [serveSpec(ctx), loadSpec(ctx), verifySpec(ctx), runSpec(ctx), doctorSpec(ctx), canarySpec(ctx)];
}

/** Each command's option table, by command name: where its defaults, env vars and parsers are declared. */
export function optionTables(ctx: CliContext): Record<string, Table> {
  return Object.fromEntries(specs(ctx).map((spec) => [spec.name, spec.table]));
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('otelpoc')
    .description(DESCRIPTION)
    .addHelpText('after', HELP_AFTER)
    .version(VERSION, '-V, --version', 'print the version')
    .option('--debug', 'print stack traces with errors')
    .option('--no-color', 'no colours (also: NO_COLOR=1)')
    .configureOutput({
      writeOut: (s) => ctx.runtime.stdout.write(s),
      writeErr: (s) => ctx.runtime.stderr.write(s),
      // Parse errors are printed by reportError, as one `otelpoc:` line like every other error.
      outputError: () => {},
    });
  program.exitOverride(asUsageError(program));
  const setExitCode = (code: ExitCode) => {
    ctx.exitCode = code;
  };
  for (const cmd of specs(ctx).map((spec) => commandFrom(spec, setExitCode))) {
    // Subcommands inherit the output settings; each names itself in the usage hint.
    program.addCommand(cmd.configureOutput(program.configureOutput()).exitOverride(asUsageError(cmd)));
  }
  return program;
}

/**
 * Commander's parse errors (unknown option or command, missing value, too many arguments) become a
 * UsageError of one line: "unknown option '--rpss' (did you mean --rps?) (run "otelpoc load --help"
 * for usage)". Help and --version pass through as they are.
 */
function asUsageError(cmd: Command): (err: CommanderError) => never {
  return (err) => {
    if (
      err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
    ) {
      throw err;
    }
    const names: string[] = [];
    for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
    const text = err.message
      .replace(/^error: /, '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .join(' ')
      .replace('(Did you mean', '(did you mean');
    throw new UsageError(`${text} (run "${names.join(' ')} --help" for usage)`, { cause: err });
  };
}

function reportError(err: unknown, ctx: CliContext): number {
  // Help and --version "errors" are normal exits (parse errors arrive as UsageError: asUsageError).
  if (err instanceof CommanderError) return 0;
  const { stderr } = ctx.runtime;
  if (err instanceof OtelpocError) {
    // Every problem of an input is a line of its own (src/options/table.ts collects them); a
    // failure's message may go on over several lines of one story.
    const lines = err instanceof UsageError ? err.message.split('\n') : [err.message];
    for (const line of lines) stderr.write(`${ctx.errColor.red('otelpoc:')} ${line}\n`);
    if (ctx.debug && err.stack) stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  stderr.write(`${ctx.errColor.red('otelpoc: internal error:')} ${errorMessage(err)}\n`);
  if (ctx.debug && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  else stderr.write('(run with --debug for the stack trace)\n');
  return 1;
}
