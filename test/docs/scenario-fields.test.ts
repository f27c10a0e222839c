/**
 * The scenario file format in docs/load.md (the commented YAML under "## Scenarios") names every
 * top-level field the scenario schema accepts, and no other: a field added to src/load/scenario.ts
 * without its line in the docs fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCENARIO_FIELDS } from '../../src/load/scenario.js';
import { ROOT } from '../helpers/cli.js';

/** The top-level keys of the first YAML fence under `heading` in `file`. */
function documentedFields(file: string, heading: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const section = text.slice(text.indexOf(`\n${heading}\n`));
  const fence = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!fence) throw new Error(`${file}: no yaml block under ${heading}`);
  return [...fence[1]!.matchAll(/^([A-Za-z]+):/gm)].map((m) => m[1]!);
}

describe('docs/load.md scenario fields', () => {
  it('lists every top-level field of a scenario file, and only those', () => {
    expect(documentedFields('docs/load.md', '## Scenarios').sort()).toEqual([...SCENARIO_FIELDS].sort());
  });
});
