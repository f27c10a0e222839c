/**
 * No `as unknown as` in src/: a double cast silences the type checker on exactly the values it
 * cannot see (a library's private method, an untrusted answer). Parse those (zod) or read them by
 * name (Reflect.get) instead. (Issue 17 removed the last one, in cli/options.ts.)
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

/** Every `as unknown as` of a source, as file:line. */
function doubleCasts(file: string, source: string): string[] {
  return source
    .split('\n')
    .flatMap((line, i) => (/\bas\s+unknown\s+as\b/.test(line) ? [`${relative(SRC, file)}:${i + 1}`] : []));
}

describe('src/', () => {
  it('has no `as unknown as`', () => {
    expect(tsFiles(SRC).flatMap((f) => doubleCasts(f, readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('the rule finds one (the line cli/options.ts had before)', () => {
    const before =
      "  if (typeof (cmd as unknown as Record<string, unknown>)._parseOptionsEnv !== 'function') {";
    expect(doubleCasts(join(SRC, 'cli/options.ts'), before)).toEqual(['cli/options.ts:1']);
  });
});
