/**
 * The ready-made CI workflow (.github/workflows/e2e.yml) cannot run here (no Docker engine); this
 * checks what can be checked: it parses, starts the stack with --wait, tears it down always, and the
 * otelpoc commands it runs use only flags that exist, against the stack's Mimir URL.
 */
import { describe, expect, it } from 'vitest';
import { STACK_URLS } from '../../src/doctor/defaults.js';
import { optionsOf, readWorkflow, type WorkflowStep as Step } from '../helpers/workflow.js';

const workflow = readWorkflow<{ jobs: Record<string, { steps: Step[] }> }>('e2e.yml');
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const runs = steps.filter((s) => s.run).map((s) => s.run!.replace(/\s+/g, ' ').trim());

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
