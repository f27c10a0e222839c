/**
 * The declarative option table: each setting of a command declared once — its flag, its env var,
 * its default, its parser and its help — and resolved once, value ?? env ?? default, here. The CLI
 * generates its commander program and --help from the same tables (src/cli/program.ts); the core
 * entry points (src/pipeline/<command>.ts) resolve what the CLI hands them with `resolveOptions`.
 * Nothing here knows commander: a table is plain data, the way vitest derives its CLI from its config.
 */
import type { Env } from '../util/env.js';
import { UsageError } from '../util/errors.js';
import { ValueProblem } from '../util/value-problem.js';

/** One setting. `T` is its resolved type (`| undefined` when it has no default). */
export interface Setting<T> {
  /** Commander's flag syntax: '--rps <rate>', '-d, --duration <duration>', '--once'. */
  flags: string;
  help: string;
  /** Parses a given text (flag or env var); `name` is the flag or the variable, for its message. */
  parse?: (text: string, name: string) => T;
  /** The value when neither the flag nor the env var is given. */
  default?: T;
  /** How --help shows the default, when not String(default): '90s', 'generated', "the manifest's". */
  shown?: string;
  /**
   * The env var read when the flag is not given (an empty variable counts as unset). A setting
   * whose variable follows the OpenTelemetry spec's precedence (OTEL_*) names it here for --help and
   * sets `envReadBy: 'otel'`: src/telemetry/config.ts reads those, and only it.
   */
  env?: string;
  envReadBy?: 'otel';
  /** Repeatable: each occurrence's text, parsed by `each`, adds to the list (see `list`). */
  each?: (text: string, name: string) => unknown;
  /** A `--no-x` spelling that sets this value; giving both spellings is refused. */
  negate?: { flags: string; help: string; value: T };
  /** Accepted but not shown in --help (run's --target, which it refuses with a clear line). */
  hidden?: boolean;
}

export type Table = Record<string, Setting<unknown>>;

/** What the CLI hands the core: the settings given on the command line, as typed (texts, flags). */
export type Given<TB extends Table> = { [K in keyof TB]?: string | string[] | boolean };

/** The resolved values of a table. */
export type Values<TB extends Table> = { [K in keyof TB]: TB[K] extends Setting<infer T> ? T : never };

export interface Resolved<TB extends Table> {
  values: Values<TB>;
  /** The settings given (flag or env var), not defaulted: a scenario file sits between them. */
  given: Partial<Values<TB>>;
  /** Where a value came from, for messages: the flag, the env var, or undefined (the default). */
  from: { [K in keyof TB]?: string };
  /** Every problem found, one line each ("--rps: expected …"); none: the values are usable. */
  problems: string[];
}

/** A setting with a default: its value is never undefined. */
export function option<T>(s: Setting<T> & { default: T }): Setting<T>;
/** A setting without a default: undefined when not given. */
export function option<T>(s: Omit<Setting<T>, 'default'>): Setting<T | undefined>;
export function option<T>(s: Setting<T>): Setting<T> {
  return s;
}

/** A repeatable setting: each occurrence adds what `each` returns (one item, or several) to a list. */
export function list<E>(
  s: Omit<Setting<E[]>, 'parse' | 'each' | 'default'> & { each: (text: string, name: string) => E | E[] },
): Setting<E[]> {
  return { ...s, default: [] };
}

/** A switch: true when given (or its `--no-` spelling's value), else false. */
export function toggle(flags: string, help: string, extra: Partial<Setting<boolean>> = {}): Setting<boolean> {
  return { flags, help, default: false, ...extra };
}

/** A table with some defaults replaced (run's short run over load's table), shown as such in --help. */
export function withDefaults<TB extends Table>(
  table: TB,
  over: { [K in keyof TB]?: { default: Values<TB>[K]; shown?: string } },
): TB {
  const out: Table = { ...table };
  for (const [key, d] of Object.entries(over) as [string, { default: unknown; shown?: string }][]) {
    out[key] = { ...table[key]!, default: d.default, shown: d.shown };
  }
  return out as TB;
}

/** The long flag of a setting: '--duration' of '-d, --duration <duration>'. */
export function longFlag(s: Pick<Setting<unknown>, 'flags'>): string {
  return /--[a-z0-9-]+/i.exec(s.flags)?.[0] ?? s.flags;
}

/** How --help shows a setting's default, or undefined for none. */
export function shownDefault(s: Setting<unknown>): string | undefined {
  if (s.shown !== undefined) return s.shown;
  if (s.default === undefined || typeof s.default === 'boolean') return undefined;
  return Array.isArray(s.default) ? (s.default.length ? s.default.join(',') : undefined) : String(s.default);
}

/**
 * value ?? env ?? default, for every setting of `table`, each given text parsed by its setting;
 * every problem is collected (the caller throws them together, see `problemsError`).
 */
export function resolveOptions<TB extends Table>(table: TB, given: Given<TB>, env: Env): Resolved<TB> {
  const values: Record<string, unknown> = {};
  const picked: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  const problems: string[] = [];
  for (const [key, s] of Object.entries(table)) {
    const flag = longFlag(s);
    const raw = given[key];
    let text: string | string[] | boolean | undefined = raw;
    let name = flag;
    if (
      raw === undefined &&
      s.env &&
      s.envReadBy !== 'otel' &&
      env[s.env] !== undefined &&
      env[s.env] !== ''
    ) {
      text = env[s.env]!;
      name = s.env;
    }
    if (text === undefined) {
      values[key] = s.default;
      continue;
    }
    try {
      const value = parseGiven(s, text, name);
      values[key] = value;
      picked[key] = value;
      from[key] = name;
    } catch (err) {
      problems.push(problemOf(err, name, flag, text));
      values[key] = s.default;
    }
  }
  return {
    values: values as Values<TB>,
    given: picked as Partial<Values<TB>>,
    from: from as Resolved<TB>['from'],
    problems,
  };
}

function parseGiven(s: Setting<unknown>, text: string | string[] | boolean, name: string): unknown {
  if (typeof text === 'boolean') return s.negate && text === false ? s.negate.value : text;
  if (s.each) return (Array.isArray(text) ? text : [text]).flatMap((t) => s.each!(t, name));
  if (Array.isArray(text)) throw new Error(`${name}: given more than once, but not repeatable`);
  return s.parse ? s.parse(text, name) : text;
}

/**
 * One line for a value that did not parse: a ValueProblem ("expected …") gets the name and the text
 * around it; a UsageError of the flag's parser that came from the env var is renamed to it.
 */
function problemOf(err: unknown, name: string, flag: string, text: unknown): string {
  const shown = Array.isArray(text) ? text.join(',') : String(text);
  if (err instanceof ValueProblem) return `${name}: ${err.message}, got ${JSON.stringify(shown)}`;
  if (err instanceof UsageError) {
    return name !== flag && err.message.startsWith(`${flag}:`)
      ? `${name}${err.message.slice(flag.length)}`
      : err.message;
  }
  throw err;
}

/**
 * Runs a check that throws a UsageError and collects its message (every problem of an input is
 * reported together); returns the check's value, or undefined when it failed.
 */
export function collect<T>(problems: string[], check: () => T): T | undefined {
  try {
    return check();
  } catch (err) {
    if (err instanceof UsageError) {
      problems.push(...err.message.split('\n'));
      return undefined;
    }
    throw err;
  }
}

/** Throws every problem as one UsageError (one line each; the CLI prints each as `otelpoc: …`). */
export function throwProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw new UsageError([...new Set(problems)].join('\n'));
}
