/**
 * The flag tables in README.md and docs/*.md agree with the commander program: every documented
 * flag exists on its command, every flag a command shows in --help is documented, a default the
 * table shows is the one the Option declares (as --help prints it), and a declared env var is named.
 *
 * A flag row is a table row whose first cell starts with a code span starting with "-"
 * (`| \`--flag <x>\` | …`); a first cell may name several flags (a grouped row). Each command's
 * complete table lives in one section (TABLES): the README keeps serve's and links the others.
 * Flag rows anywhere else (the sharded-run table, say) must name flags that exist.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/main.js';
import { ROOT } from '../helpers/cli.js';

/** Where each command's complete flag table is: file and the heading of its section. */
const TABLES: { command: string; file: string; heading: string }[] = [
  { command: 'serve', file: 'README.md', heading: '## `otelpoc serve`' },
  { command: 'load', file: 'docs/load.md', heading: '## Options' },
  { command: 'verify', file: 'docs/verify.md', heading: '### Options' },
  { command: 'run', file: 'docs/verify.md', heading: '### Options of `otelpoc run`' },
  { command: 'doctor', file: 'docs/stack.md', heading: '### Options of `otelpoc doctor`' },
  { command: 'canary', file: 'README.md', heading: '### Options of `otelpoc canary`' },
];

interface FlagRow {
  flags: string[];
  /** The default cell, when the table has a default column. */
  defaultCell?: string;
  /** The whole row, for env vars named in any cell. */
  text: string;
  line: number;
}

interface Section {
  file: string;
  heading: string;
  rows: FlagRow[];
}

/** Cells of a Markdown table row; `\|` is a pipe inside a cell. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.replace(/\\\|/g, '|').trim());
}

const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** Flag rows of a Markdown text, by section (a heading starts a section, at any level). */
function flagSections(file: string, text: string): Section[] {
  const sections: Section[] = [];
  let section: Section = { file, heading: '', rows: [] };
  let defaultColumn = -1;
  let inFence = false;
  text.split('\n').forEach((line, i) => {
    if (/^(```|~~~)/.test(line)) inFence = !inFence;
    if (inFence) return;
    if (/^#{1,6} /.test(line)) {
      sections.push(section);
      section = { file, heading: line.trim(), rows: [] };
      defaultColumn = -1;
      return;
    }
    if (!line.startsWith('|')) {
      defaultColumn = -1;
      return;
    }
    const row = cells(line);
    if (row.every((c) => /^:?-+:?$/.test(c))) return; // the separator row
    if (defaultColumn === -1 && !row[0]!.startsWith('`')) {
      // A header row: remember which column holds defaults.
      defaultColumn = row.findIndex((c) => /^default$/i.test(c));
      if (defaultColumn === -1) defaultColumn = -2;
      return;
    }
    const first = codeSpans(row[0]!).filter((s) => s.startsWith('-'));
    if (!row[0]!.startsWith('`-') || first.length === 0) return;
    const flags = first.flatMap((s) => [...s.matchAll(/(?:^|[\s,])(--[a-z][a-z0-9-]*)/g)].map((m) => m[1]!));
    section.rows.push({
      flags,
      defaultCell: defaultColumn >= 0 ? row[defaultColumn] : undefined,
      text: line,
      line: i + 1,
    });
  });
  sections.push(section);
  return sections.filter((s) => s.rows.length > 0);
}

/** The default as --help prints it: the description when there is one, else the value. */
function declaredDefault(o: Option): string | undefined {
  if (o.defaultValueDescription !== undefined) return o.defaultValueDescription;
  const v: unknown = o.defaultValue;
  if (v === undefined || v === false || (Array.isArray(v) && v.length === 0)) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const plain = (cell: string) => cell.replace(/`/g, '').trim();
const NO_DEFAULT = new Set(['', 'none', 'off']);

/** Problems of one command's rows against its options; empty when they agree. */
function tableProblems(cmd: Command, rows: FlagRow[], where: string): string[] {
  const problems: string[] = [];
  const options = cmd.options.filter((o) => !o.hidden);
  const byFlag = new Map(options.map((o) => [o.long!, o]));
  const documented = new Set(rows.flatMap((r) => r.flags));
  for (const row of rows) {
    for (const flag of row.flags) {
      const o = byFlag.get(flag);
      if (!o) {
        problems.push(`${where}:${row.line}: ${flag} is not a flag of otelpoc ${cmd.name()}`);
        continue;
      }
      if (o.envVar && !row.text.includes(o.envVar)) {
        problems.push(`${where}:${row.line}: ${flag} reads ${o.envVar}, which its row does not name`);
      }
    }
    if (row.flags.length !== 1 || row.defaultCell === undefined) continue;
    const o = byFlag.get(row.flags[0]!);
    if (!o) continue;
    const declared = declaredDefault(o);
    const cell = row.defaultCell;
    const first = codeSpans(cell)[0];
    if (declared === undefined) {
      // Words ("none", "random", "generated") describe behaviour; a literal value is a claimed default.
      if (cell.startsWith('`')) {
        problems.push(`${where}:${row.line}: ${row.flags[0]} shows default ${cell}, but declares none`);
      }
    } else if (plain(cell) !== declared && first !== declared) {
      const shown = NO_DEFAULT.has(plain(cell).toLowerCase()) ? 'no default' : `default ${cell}`;
      problems.push(`${where}:${row.line}: ${row.flags[0]} shows ${shown}; --help says ${declared}`);
    }
  }
  for (const o of options) {
    if (!documented.has(o.long!))
      problems.push(`${where}: ${o.long} of otelpoc ${cmd.name()} is not documented`);
  }
  return problems;
}

const sink = { write: () => true };
const program = buildProgram(
  createContext(
    { env: {}, cwd: ROOT, stdout: sink, stderr: sink, signal: new AbortController().signal },
    { debug: false, noColor: true },
  ),
);
const command = (name: string) => program.commands.find((c) => c.name() === name)!;

const files = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const sections = files.flatMap((f) => flagSections(f, readFileSync(join(ROOT, f), 'utf8')));
const tableOf = (t: (typeof TABLES)[number]) =>
  sections.find((s) => s.file === t.file && s.heading === t.heading);

describe('flag tables in README.md and docs/', () => {
  it('every command has its table where TABLES says', () => {
    expect(new Set(TABLES.map((t) => t.command))).toEqual(
      new Set(program.commands.filter((c) => c.name() !== 'help').map((c) => c.name())),
    );
    for (const t of TABLES) expect(tableOf(t), `${t.file}: "${t.heading}" with a flag table`).toBeDefined();
  });

  for (const t of TABLES) {
    it(`${t.command}: ${t.file} "${t.heading}" matches --help (flags, defaults, env vars)`, () => {
      const section = tableOf(t);
      expect(section).toBeDefined();
      expect(tableProblems(command(t.command), section!.rows, t.file)).toEqual([]);
    });
  }

  it('flag rows outside those tables name flags that exist', () => {
    const known = new Set(program.commands.flatMap((c) => c.options.map((o) => o.long)));
    const listed = new Set(TABLES.map((t) => `${t.file}\0${t.heading}`));
    const unknown = sections
      .filter((s) => !listed.has(`${s.file}\0${s.heading}`))
      .flatMap((s) =>
        s.rows.flatMap((r) => r.flags.filter((f) => !known.has(f)).map((f) => `${s.file}:${r.line}: ${f}`)),
      );
    expect(unknown).toEqual([]);
  });

  it('catches a renamed, a removed and a wrong default (the checker itself)', () => {
    const serve = command('serve');
    const table = tableOf(TABLES[0]!)!.rows;
    const renamed = table.map((r) =>
      r.flags[0] === '--max-tenants' ? { ...r, flags: ['--max-tenant'] } : r,
    );
    expect(tableProblems(serve, renamed, 'x')).toEqual(
      expect.arrayContaining([
        expect.stringContaining('--max-tenant is not a flag'),
        expect.stringContaining('--max-tenants of otelpoc serve is not documented'),
      ]),
    );
    const removed = table.filter((r) => r.flags[0] !== '--host');
    expect(tableProblems(serve, removed, 'x')).toEqual([expect.stringContaining('--host of otelpoc serve')]);
    const wrong = table.map((r) => (r.flags[0] === '--port' ? { ...r, defaultCell: '`8080`' } : r));
    expect(tableProblems(serve, wrong, 'x')).toEqual([
      expect.stringContaining('--port shows default `8080`'),
    ]);
  });
});
