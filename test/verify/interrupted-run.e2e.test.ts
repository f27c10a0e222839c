/**
 * A PASS of a manifest whose load was interrupted covers only what was sent before the interruption:
 * the report says so (terminal verdict and --json), against a real VictoriaMetrics.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/verify/types.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { loadServeArgv } from '../helpers/cli.js';
import { mainInProcess } from '../helpers/main-in-process.js';
import { expectedFromManifest, readManifestFile, waitForCounts } from '../helpers/run-counts.js';

const enabled = backendsAvailable('verify of an interrupted run (VictoriaMetrics)');
const RUN = 'interrupted-run';

function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return mainInProcess(argv, { cwd, env: {} });
}

describe.skipIf(!enabled)('otelpoc verify → a manifest with interrupted: true', () => {
  const vm = useVictoriaMetrics();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-interrupted-run-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('passes, saying the verdict covers only the requests sent before the interruption', async () => {
    const manifest = join(dir, 'run.json');
    const load = await cli(
      loadServeArgv({ requests: 12, tenants: 2, otlpEndpoint: vm.otlpEndpoint, runId: RUN, out: manifest }),
      dir,
    );
    expect(load.code, load.stderr).toBe(0);
    await waitForCounts(vm, RUN, expectedFromManifest(await readManifestFile(manifest)));
    // As a load stopped by SIGINT after these 12 requests writes it (every count still adds up).
    const m = JSON.parse(await readFile(manifest, 'utf8')) as { interrupted: boolean };
    await writeFile(manifest, JSON.stringify({ ...m, interrupted: true }));

    const args = [
      'verify',
      '--manifest',
      manifest,
      '--url',
      vm.promUrl,
      '--no-tenant-header',
      '--settle',
      '0',
    ];
    const json = await cli([...args, '--json'], dir);
    expect(json.code, json.stdout + json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.ok).toBe(true);
    expect(report.runInterrupted).toMatch(
      /^the run was interrupted \(.*run\.json\): the verdict covers only the 12 request\(s\) sent before the interruption/,
    );
    const text = await cli(args, dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/PASS run interrupted-run: .* — the run was interrupted/);
  });
});
