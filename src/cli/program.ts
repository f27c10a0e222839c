/**
 * A commander command generated from a command's option table (src/options/table.ts): one Option per
 * setting, its default and env var shown in --help from the table. Commander only parses the command
 * line here: the action hands the core the settings given on it, and the core resolves value ?? env
 * ?? default (commander's own defaults and env values, there for --help, are never read).
 */
import { Command, Option } from 'commander';
import { type Given, longFlag, shownDefault, type Table } from '../options/table.js';
import type { ExitCode } from '../util/errors.js';
import { UsageError } from '../util/errors.js';

export interface CommandSpec<TB extends Table> {
  name: string;
  summary: string;
  /** Paragraphs of the command's --help. */
  description: string[];
  table: TB;
  /** Text after the options, before the examples. */
  note?: string;
  examples: string[];
  /**
   * An unknown option the command refuses in words of its own (the canary names verify's options it
   * does not have); undefined leaves the message to commander ("did you mean …").
   */
  refuse?: (flag: string) => string | undefined;
  /** Calls the core and renders what it returns; the exit code is decided there. */
  action: (given: Given<TB>) => Promise<ExitCode>;
}

export function commandFrom<TB extends Table>(
  spec: CommandSpec<TB>,
  setExitCode: (code: ExitCode) => void,
): Command {
  const cmd = new Command(spec.name).summary(spec.summary).description(spec.description.join('\n\n'));
  const spellings: { both: string; seen: Set<string> }[] = [];
  for (const [key, s] of Object.entries(spec.table)) {
    const o = new Option(s.flags, s.help);
    if (o.attributeName() !== key)
      throw new Error(`option table: ${s.flags} must be keyed ${o.attributeName()}`);
    const shown = shownDefault(s);
    if (shown !== undefined && (o.required || o.optional)) o.default(shown, shown);
    if (s.env) o.env(s.env);
    if (s.each) {
      o.argParser((text: string, prev: unknown) =>
        cmd.getOptionValueSource(key) === 'cli' && Array.isArray(prev) ? [...prev, text] : [text],
      );
    }
    if (s.hidden) o.hideHelp();
    cmd.addOption(o);
    if (s.negate) {
      cmd.addOption(new Option(s.negate.flags, s.negate.help));
      // Commander lets the last of --x v and --no-x win; they contradict each other: refused.
      const seen = new Set<string>();
      spellings.push({ both: `${longFlag(s)} and ${s.negate.flags}`, seen });
      cmd.on(`option:${longFlag(s).slice(2)}`, () => seen.add(longFlag(s)));
      cmd.on(`option:${s.negate.flags.replace(/^--/, '')}`, () => seen.add(s.negate!.flags));
    }
  }
  if (spec.note || spec.examples.length) {
    const examples = spec.examples.map((e) => `  $ ${e}`).join('\n');
    cmd.addHelpText('after', `${spec.note ? `\n${spec.note}\n` : ''}\nExamples:\n${examples}`);
  }
  if (spec.refuse) {
    const refuse = spec.refuse;
    // Commander's public parseOptions returns the unknown arguments before it reports the first one.
    const parseOptions = cmd.parseOptions.bind(cmd);
    cmd.parseOptions = (argv) => {
      const parsed = parseOptions(argv);
      const first = parsed.unknown.find((a) => a.startsWith('-'));
      const refused = first === undefined ? undefined : refuse(first);
      if (refused) throw new UsageError(refused);
      return parsed;
    };
  }
  return cmd.action(async () => {
    for (const { both, seen } of spellings) {
      if (seen.size === 2)
        throw new UsageError(`${both}: give one of them (a header names the tenant, or none is sent)`);
    }
    const given: Record<string, unknown> = {};
    for (const key of Object.keys(spec.table)) {
      if (cmd.getOptionValueSource(key) === 'cli') given[key] = cmd.getOptionValue(key);
    }
    setExitCode(await spec.action(given as Given<TB>));
  });
}
