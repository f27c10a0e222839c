/**
 * The layering rule of src/cli/commands/: a command parses, calls the core, renders. No command
 * imports another (statically or with import()), and each loads at most one module lazily (the
 * core it calls), so that a command's cost and its dependencies are visible in one line.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const COMMANDS = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/cli/commands');

/** Every module specifier of a TypeScript file: `from '…'`, `import '…'`, `import('…')`, `export … from '…'`. */
function specifiers(source: string): { static: string[]; dynamic: string[] } {
  const stat = [
    ...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?(?:from\s*)?['"]([^'"]+)['"]/g),
  ].map((m) => m[1]!);
  const dynamic = [...source.matchAll(/\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g)].map((m) => m[1]!);
  return { static: stat, dynamic };
}

/** The commands a file imports, from its specifiers (a relative path resolving into commands/). */
function commandImports(file: string, source: string): string[] {
  const { static: s, dynamic } = specifiers(source);
  return [...s, ...dynamic]
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec))
    .filter((abs) => dirname(abs) === COMMANDS && basename(abs) !== basename(file).replace(/\.ts$/, '.js'));
}

const files = readdirSync(COMMANDS)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(COMMANDS, f));

describe('src/cli/commands/', () => {
  it('holds the six commands', () => {
    expect(files.map((f) => basename(f)).sort()).toEqual([
      'canary.ts',
      'doctor.ts',
      'load.ts',
      'run.ts',
      'serve.ts',
      'verify.ts',
    ]);
  });

  it.each(files.map((f) => [basename(f), f]))('%s imports no other command', (_name, file) => {
    expect(commandImports(file, readFileSync(file, 'utf8'))).toEqual([]);
  });

  it.each(files.map((f) => [basename(f), f]))(
    '%s has at most one import() (its core module)',
    (_name, file) => {
      expect(specifiers(readFileSync(file, 'utf8')).dynamic.length).toBeLessThanOrEqual(1);
    },
  );

  it('the rule catches both kinds of import (the code before this rule: run.ts imported load.ts and verify.ts)', () => {
    const run = join(COMMANDS, 'run.ts');
    const before = [
      "import { Command } from 'commander';",
      "import { x } from './verify.js';",
      "const { executeLoad } = await import('./load.js');",
      "const { y } = await import('../../load/runner.js');",
    ].join('\n');
    expect(commandImports(run, before).map((p) => basename(p))).toEqual(['verify.js', 'load.js']);
    expect(specifiers(before).dynamic).toHaveLength(2);
  });
});
