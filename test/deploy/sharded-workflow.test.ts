/**
 * .github/workflows/sharded.yml cannot run here; this checks what can be: it parses, the matrix jobs
 * each load one shard (index and count from the matrix) of one run id, upload their manifests under
 * names the verify job downloads into the directory it verifies, and every otelpoc flag exists.
 */
import { describe, expect, it } from 'vitest';
import { optionsOf, readWorkflow, type WorkflowStep as Step } from '../helpers/workflow.js';

interface Job {
  needs?: string;
  if?: string;
  strategy?: { 'fail-fast'?: boolean; matrix: { shard: number[] } };
  steps: Step[];
}

const workflow = readWorkflow<{
  env: Record<string, string>;
  jobs: { shard: Job; verify: Job };
}>('sharded.yml');
const { shard, verify } = workflow.jobs;
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
