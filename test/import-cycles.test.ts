/**
 * No module of src/ imports itself back through others, type-only imports included: a circle hides
 * which module owns a type, and at run time hands one side a half-initialised module. (After the
 * first merges there were two: load/config ↔ load/schedule, manifest/schema ↔ manifest/consistency.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The src/ files a file imports or re-exports (statically or with import()), relative specifiers only. */
function imports(file: string, known: Set<string>): string[] {
  const source = readFileSync(file, 'utf8');
  const specs = [
    ...[...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?(?:from\s*)?['"](\.[^'"]+)['"]/g)],
    ...[...source.matchAll(/\bimport\s*\(\s*['"`](\.[^'"`]+)['"`]\s*\)/g)],
  ].map((m) => m[1]!);
  return specs.map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts')).filter((p) => known.has(p));
}

/** Each circle once, as the files on it (relative to src/), from a depth-first walk. */
function importCircles(files: string[]): string[][] {
  const known = new Set(files);
  const edges = new Map(files.map((f) => [f, imports(f, known)]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const circles: string[][] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    stack.push(f);
    for (const g of edges.get(f) ?? []) {
      if (state.get(g) === 'open') circles.push(stack.slice(stack.indexOf(g)).map((p) => relative(SRC, p)));
      else if (!state.has(g)) visit(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...files].sort()) if (!state.has(f)) visit(f);
  return circles;
}

describe('src/ imports', () => {
  it('form no circle', () => {
    expect(importCircles(tsFiles(SRC))).toEqual([]);
  });
});
