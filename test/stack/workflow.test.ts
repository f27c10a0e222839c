/**
 * The ready-made CI workflow (.github/workflows/e2e.yml) cannot run here (no Docker engine); this
 * checks what can be checked: it parses, starts the stack with --wait, tears it down always, and the
 * otelpoc commands it runs use only flags that exist, against the stack's Mimir URL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createContext } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/main.js';
import { STACK_URLS } from '../../src/doctor/defaults.js';
import { ROOT } from '../helpers/cli.js';

interface Step {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, string>;
}

const workflow = parse(readFileSync(join(ROOT, '.github/workflows/e2e.yml'), 'utf8')) as {
  jobs: Record<string, { steps: Step[] }>;
};
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const runs = steps.filter((s) => s.run).map((s) => s.run!.replace(/\s+/g, ' ').trim());

function optionsOf(command: string): string[] {
  const sink = { write: () => true };
  const ctx = createContext(
    { env: {}, cwd: ROOT, stdout: sink, stderr: sink, signal: new AbortController().signal },
    { debug: false, noColor: true },
  );
  const cmd = buildProgram(ctx).commands.find((c) => c.name() === command)!;
  return cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f));
}

describe('.github/workflows/e2e.yml', () => {
  it('starts the stack and waits for health before anything else uses it', () => {
    const up = runs.findIndex((r) => r.startsWith('docker compose up'));
    expect(runs[up]).toMatch(/^docker compose up -d --wait\b/);
    const firstOtelpoc = runs.findIndex((r) => r.includes('otelpoc '));
    expect(up).toBeGreaterThanOrEqual(0);
    expect(up).toBeLessThan(firstOtelpoc);
  });

  it('runs doctor and `otelpoc run --url <Mimir>` with flags that exist', () => {
    for (const command of ['doctor', 'run']) {
      const line = runs.find((r) => r.startsWith(`./bin/otelpoc ${command}`));
      expect(line, command).toBeDefined();
      const known = optionsOf(command);
      for (const flag of line!.match(/(?<=\s)--?[a-z][a-z-]*/g) ?? []) {
        expect(known, `${command} ${flag}`).toContain(flag);
      }
    }
    const run = runs.find((r) => r.startsWith('./bin/otelpoc run'))!;
    expect(run).toContain(`--url ${STACK_URLS.mimir}`);
  });

  it('uploads the JUnit file that run writes, and always stops the stack', () => {
    const run = runs.find((r) => r.startsWith('./bin/otelpoc run'))!;
    const junit = /--junit (\S+)/.exec(run)![1]!;
    const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).toBe('always()');
    expect(upload.with!.path).toContain(junit);
    const down = steps.find((s) => s.run?.startsWith('docker compose down'))!;
    expect(down.if).toBe('always()');
    expect(down.run).toContain('-v');
  });
});
