/**
 * .github/workflows/sharded.yml cannot run here; this checks what can be: it parses, the matrix jobs
 * each load one shard (index and count from the matrix) of one run id, upload their manifests under
 * names the verify job downloads into the directory it verifies, and every otelpoc flag exists.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/main.js';
import { parseStartAt } from '../../src/load/values.js';
import { ROOT } from '../helpers/cli.js';
import { optionsOf, readWorkflow, type WorkflowStep as Step } from '../helpers/workflow.js';

interface Job {
  needs?: string;
  outputs?: Record<string, string>;
  if?: string;
  strategy?: { 'fail-fast'?: boolean; matrix: { shard: number[] } };
  steps: Step[];
}

const workflow = readWorkflow<{
  on: { workflow_dispatch: { inputs: Record<string, { default: string }> } };
  env: Record<string, string>;
  jobs: { plan: Job; shard: Job; verify: Job };
}>('sharded.yml');
const { plan, shard, verify } = workflow.jobs;
/** The otelpoc command of the job's step that runs `prefix`, from `prefix` on, on one line. */
function line(job: Job, prefix: string): string {
  const run = job.steps.map((s) => s.run?.replace(/\s+/g, ' ').trim() ?? '').find((r) => r.includes(prefix))!;
  return run.slice(run.indexOf(prefix));
}

/** A GitHub Actions expression as written in the workflow: gh('github.run_id') → "${{ github.run_id }}". */
const gh = (e: string) => `\${{ ${e} }}`;

describe('.github/workflows/sharded.yml', () => {
  it('each matrix job loads its shard of one run, every shard runs even if one fails', () => {
    expect(shard.strategy!['fail-fast']).toBe(false);
    expect(shard.strategy!.matrix.shard.length).toBeGreaterThan(1);
    const load = line(shard, './bin/otelpoc load');
    expect(load).toContain('--serve');
    expect(load).toContain(`--shard ${gh('strategy.job-index')}/${gh('strategy.job-total')}`);
    expect(load).toContain(`--run-id ${gh('env.RUN_ID')}`);
    expect(workflow.env.RUN_ID).toContain(gh('github.run_id'));
  });

  it('uploads each manifest; verify downloads them all into the directory it verifies, even after a failed shard', () => {
    const load = line(shard, './bin/otelpoc load');
    const out = /--out (.+?\.json)/.exec(load)![1]!;
    const upload = shard.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.with!.path).toBe(out);
    expect(upload.with!['if-no-files-found']).toBe('error');
    expect(verify.needs).toBe('shard');
    expect(verify.if).toBe('always()');
    const download = verify.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'))!;
    expect(String(upload.with!.name).replace(gh('strategy.job-index'), '*')).toBe(download.with!.pattern);
    expect(download.with!['merge-multiple']).toBe(true);
    const v = line(verify, './bin/otelpoc verify');
    expect(/--manifest (\S+)/.exec(v)![1]).toBe(download.with!.path);
  });

  it('computes one start time in the plan job and gives it to every shard (OTELPOC_START_AT)', async () => {
    expect(shard.needs).toBe('plan');
    const step = plan.steps.find((s) => s.id === 'start')!;
    expect(plan.outputs!['start-at']).toBe(gh('steps.start.outputs.start-at'));
    const load = shard.steps.find((s) => s.run?.includes('./bin/otelpoc load'))!;
    expect(load.env!.OTELPOC_START_AT).toBe(gh('needs.plan.outputs.start-at'));
    // load reads that variable as --start-at.
    const sink = { write: () => true };
    const ctx = createContext(
      { env: {}, cwd: ROOT, stdout: sink, stderr: sink, signal: new AbortController().signal },
      { debug: false, noColor: true },
    );
    const options = buildProgram(ctx).commands.find((c) => c.name() === 'load')!.options;
    expect(options.find((o) => o.envVar === 'OTELPOC_START_AT')?.long).toBe('--start-at');
    // The step itself, run here with the input's default: one output line --start-at accepts.
    const delay = workflow.on.workflow_dispatch.inputs['start-delay']!.default;
    const dir = await mkdtemp(join(tmpdir(), 'otelpoc-workflow-'));
    try {
      const output = join(dir, 'github-output');
      await promisify(execFile)('bash', ['-e', '-c', step.run!.replace(gh('inputs.start-delay'), delay)], {
        env: { ...process.env, GITHUB_OUTPUT: output },
      });
      const lines = (await readFile(output, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(1);
      const [, value] = /^start-at=(.+)$/.exec(lines[0]!)!;
      const ahead = parseStartAt(value!) - Date.now();
      expect(ahead).toBeGreaterThan((Number(delay) - 10) * 1000);
      expect(ahead).toBeLessThanOrEqual(Number(delay) * 1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('uses only otelpoc flags that exist', () => {
    for (const [job, command] of [
      [shard, 'load'],
      [verify, 'verify'],
    ] as const) {
      const known = optionsOf(command);
      for (const flag of line(job, `./bin/otelpoc ${command}`).match(/(?<=\s)--?[a-z][a-z-]*/g) ?? []) {
        expect(known, `${command} ${flag}`).toContain(flag);
      }
    }
  });
});
