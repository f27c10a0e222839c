/**
 * Every default and env var of an option is declared once, on its commander Option, and --help shows
 * it from there: no description writes one by hand, every declared variable appears in the help and
 * in the docs, and src/ reads no OTELPOC_* variable past the option table.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/main.js';
import { ROOT } from '../helpers/cli.js';
import { mainInProcess } from '../helpers/main-in-process.js';

const sink = { write: () => true };
const program = buildProgram(
  createContext(
    { env: {}, cwd: ROOT, stdout: sink, stderr: sink, signal: new AbortController().signal },
    { debug: false, noColor: true },
  ),
);
const options: [Command, Option][] = program.commands.flatMap((c) =>
  c.options.map((o) => [c, o] as [Command, Option]),
);
const declaredEnv = new Set(options.map(([, o]) => o.envVar).filter((v): v is string => v !== undefined));

/** The help of a command, its wrapping undone: "(default: 20)" may have been split over two lines. */
async function help(name: string): Promise<string> {
  const r = await mainInProcess([name, '--help']);
  expect(r.code).toBe(0);
  return r.stdout.replace(/\s+/g, ' ');
}

describe('option table', () => {
  it('declares env vars on the options (at least the ones the docs promise)', () => {
    expect([...declaredEnv].sort()).toEqual([
      'OTELPOC_SEND_BATCH',
      'OTELPOC_SERVICE_PROFILE',
      'OTELPOC_START_AT',
      'OTELPOC_VERIFY_ACCEPT_CHANGES',
      'OTELPOC_VERIFY_BACKEND_METRICS_URL',
      'OTELPOC_VERIFY_BASIC_AUTH',
      'OTELPOC_VERIFY_BEARER_TOKEN',
      'OTELPOC_VERIFY_URL',
      'OTELPOC_WORKERS',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION',
      'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_METRIC_EXPORT_INTERVAL',
    ]);
  });

  it.each(options.map(([c, o]) => [`${c.name()} ${o.long}`, o] as const))(
    '%s: no default or env var written by hand in its description',
    (_, option) => {
      // Other flags may be named (--default-tenant); a default or variable may not be written out.
      const text = option.description.replace(/--[a-z-]+/g, '--flag');
      expect(text).not.toMatch(/\bdefault\b/i);
      expect(text).not.toMatch(/\benv\b/i);
      for (const name of declaredEnv) expect(text).not.toContain(name);
    },
  );

  it.each(program.commands.map((c) => [c.name(), c] as const))(
    '%s --help shows every declared default and env var',
    async (name, cmd) => {
      const text = await help(name);
      // Hidden options (canary hides verify's flags it refuses) are not in the help at all.
      for (const o of cmd.options.filter((x) => !x.hidden)) {
        const shown =
          o.defaultValueDescription ??
          (o.defaultValue === undefined ? undefined : JSON.stringify(o.defaultValue));
        const takesValue = o.required || o.optional;
        if (shown !== undefined && takesValue) expect(text).toContain(`default: ${shown}`);
        if (o.envVar) expect(text).toContain(`env: ${o.envVar}`);
      }
    },
  );

  it("run --help shows its own defaults (a short run), not load's", async () => {
    const text = await help('run');
    for (const shown of [
      '--rps <rate> requests per second (open model), or "max" for the closed model (default: 20)',
      '(default: 3s unless --requests)',
      '(default: 1-20ms)',
      '(default: 1s, env: OTEL_METRIC_EXPORT_INTERVAL)',
      'send Client-ID tenant-1 … tenant-N (default: 3)',
      '(default: 200:85,404:10,500:5)',
    ]) {
      expect(text).toContain(shown);
    }
  });

  it('every declared env var is documented (README.md or docs/)', async () => {
    const docs = [await readFile(join(ROOT, 'README.md'), 'utf8')];
    for (const f of await readdir(join(ROOT, 'docs'))) {
      if (f.endsWith('.md')) docs.push(await readFile(join(ROOT, 'docs', f), 'utf8'));
    }
    for (const name of declaredEnv)
      expect(
        docs.some((d) => d.includes(name)),
        name,
      ).toBe(true);
  });

  it('src/ reads no OTELPOC_* variable directly: the options declare them', async () => {
    const files = (await readdir(join(ROOT, 'src'), { recursive: true })).filter((f) => f.endsWith('.ts'));
    for (const f of files) {
      const text = await readFile(join(ROOT, 'src', f), 'utf8');
      expect(text, f).not.toMatch(/env(\.|\[['"])OTELPOC_/);
    }
  });
});
