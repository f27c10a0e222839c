/**
 * Manifests that say their run proved nothing cannot pass, whatever the backend shows: a run in
 * which no request was answered (nothing to verify), and a run whose server's exports all failed
 * (the data found under its run id is an earlier attempt's). Against a real VictoriaMetrics.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/verify/types.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, freePort } from '../helpers/backends.js';
import { loadServeArgv } from '../helpers/cli.js';
import { mainInProcess } from '../helpers/main-in-process.js';
import { expectedFromManifest, readManifestFile, waitForCounts } from '../helpers/run-counts.js';

const enabled = backendsAvailable('verify refuses manifests that prove nothing (VictoriaMetrics)');

function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return mainInProcess(argv, { cwd, env: {} });
}

/**
 * verify of one manifest (or directory) against one VictoriaMetrics (a single store), no settle
 * window; a timeout long enough for a busy machine (a green poll ends it at once).
 */
function verifyIn(promUrl: string, manifest: string, cwd: string, extra: string[] = []) {
  const flags = ['--url', promUrl, '--no-tenant-header', '--timeout', '20s', '--settle', '0'];
  return cli(['verify', '--manifest', manifest, ...flags, ...extra], cwd);
}

/** load --serve of 10 requests for one tenant, all 200, exporting every second to `otlp`. */
function loadServed(runId: string, out: string, otlpEndpoint: string, cwd: string) {
  const extra = ['--status-mix', '200:100'];
  return cli(loadServeArgv({ requests: 10, tenants: 1, otlpEndpoint, runId, out, extra }), cwd);
}

describe.skipIf(!enabled)('otelpoc verify → a manifest that says its run proved nothing', () => {
  const vm = useVictoriaMetrics();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-cannot-pass-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const verify = (manifest: string, extra: string[] = []) => verifyIn(vm.promUrl, manifest, dir, extra);

  it('fails when no request was answered (all refused): nothing to verify', async () => {
    const manifest = join(dir, 'refused.json');
    const dead = await freePort();
    await cli(
      [
        'load',
        '--target',
        `http://127.0.0.1:${dead}/api`,
        '--requests',
        '5',
        '--run-id',
        'all-refused',
        '--out',
        manifest,
        '--quiet',
      ],
      dir,
    );
    const m = await readManifestFile(manifest);
    expect(m.totals.refused).toBe(5);

    const json = await verify(manifest, ['--json']);
    expect(json.code, json.stdout + json.stderr).toBe(1);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.ok).toBe(false);
    expect(report.polls).toBe(0);
    expect(report.cannotPass?.[0]).toMatch(
      /^no request of run all-refused was answered by the server: nothing to verify — 5 sent, 5 refused, 0 unanswered/,
    );
    const junit = join(dir, 'refused.xml');
    const text = await verify(manifest, ['--junit', junit]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /FAIL run all-refused: no request of run all-refused was answered by the server/,
    );
    const xml = await readFile(junit, 'utf8');
    expect(xml).toMatch(/failures="1"/);
    expect(xml).toMatch(/<failure message="no request of run all-refused was answered/);
  });

  it('fails when the manifest says its exports failed, though an earlier attempt of the run id is in the backend', async () => {
    const RUN = 'retried-run';
    const load = (out: string, otlp: string) => loadServed(RUN, out, otlp, dir);
    const first = join(dir, 'first.json');
    expect((await load(first, vm.otlpEndpoint)).code).toBe(0);
    await waitForCounts(vm, RUN, expectedFromManifest(await readManifestFile(first)));

    const second = join(dir, 'second.json');
    await load(second, `http://127.0.0.1:${await freePort()}/opentelemetry`);
    const m = await readManifestFile(second);
    expect(m.server?.finalFlushOk).toBe(false);

    const res = await verify(second, ['--json']);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    const report = JSON.parse(res.stdout) as VerifyReport;
    expect(report.ok).toBe(false);
    expect(report.cannotPass?.join('\n')).toMatch(
      /second\.json: its server's final export to .* failed \(\d+ of \d+ exports failed\)/,
    );
  });
});

describe.skipIf(!enabled)('otelpoc verify → data of an earlier attempt under the same run id', () => {
  const vm = useVictoriaMetrics();
  /** Where the second attempt's data went instead (a wrong endpoint that accepted it). */
  const elsewhere = useVictoriaMetrics();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-earlier-attempt-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("fails when the backend's series of the run come from another server instance than the manifest's", async () => {
    const RUN = 'attempted-twice';
    const load = (out: string, otlp: string) => loadServed(RUN, out, otlp, dir);
    const first = join(dir, 'first.json');
    expect((await load(first, vm.otlpEndpoint)).code).toBe(0);
    const m1 = await readManifestFile(first);
    await waitForCounts(vm, RUN, expectedFromManifest(m1));
    // The second attempt's exports all got through, to somewhere else: its manifest looks delivered.
    const second = join(dir, 'second.json');
    expect((await load(second, elsewhere.otlpEndpoint)).code).toBe(0);
    const m2 = await readManifestFile(second);
    expect(m2.server?.finalFlushOk).toBe(true);
    expect(m1.server?.instanceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(m2.server?.instanceId).not.toBe(m1.server?.instanceId);

    const verify = (manifest: string) => verifyIn(vm.promUrl, manifest, dir, ['--json']);
    // The first attempt's own manifest: its instance, green.
    const own = await verify(first);
    expect(own.code, own.stdout + own.stderr).toBe(0);
    // The second's: the same counts are there, but from the first attempt's server.
    const res = await verify(second);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    const report = JSON.parse(res.stdout) as VerifyReport;
    expect(report.ok).toBe(false);
    expect(report.results.every((r) => r.ok)).toBe(true);
    expect(report.cannotPass).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\d+ series of run ${RUN} come from server instance\\(s\\) ${m1.server!.instanceId} that no manifest of the run recorded \\(its server instance\\(s\\): ${m2.server!.instanceId}\\): an earlier attempt`,
        ),
      ),
    ]);
  });

  it("fails when a re-run shard overwrote its manifest and the old shard's series are what the backend shows", async () => {
    const RUN = 'reshard';
    const out = join(dir, RUN);
    await mkdir(out);
    const shard = (i: number, otlp: string) =>
      cli(
        [
          'load',
          '--serve',
          '--shard',
          `${i}/2`,
          '--run-id',
          RUN,
          '--requests',
          '20',
          '--rps',
          '200',
          '--tenants',
          '1',
          '--status-mix',
          '200:100',
          '--delay',
          '0',
          '--export-interval',
          '1s',
          '--otlp-endpoint',
          otlp,
          '--out',
          join(out, `shard-${i}-of-2.json`),
          '--quiet',
        ],
        dir,
      );
    for (const i of [0, 1]) expect((await shard(i, vm.otlpEndpoint)).code).toBe(0);
    const old1 = await readManifestFile(join(out, 'shard-1-of-2.json'));
    const shard0 = await readManifestFile(join(out, 'shard-0-of-2.json'));
    await waitForCounts(vm, RUN, { 'tenant-1|200': 20 });
    // Shard 1 again, its data gone elsewhere: its new manifest replaces the old one.
    expect((await shard(1, elsewhere.otlpEndpoint)).code).toBe(0);
    const new1 = await readManifestFile(join(out, 'shard-1-of-2.json'));
    expect(new1.server?.finalFlushOk).toBe(true);

    const res = await verifyIn(vm.promUrl, out, dir, ['--json']);
    expect(res.code, res.stdout + res.stderr).toBe(1);
    const report = JSON.parse(res.stdout) as VerifyReport;
    expect(report.results.every((r) => r.ok)).toBe(true);
    expect(report.cannotPass?.join('\n')).toContain(
      `come from server instance(s) ${old1.server!.instanceId} that no manifest of the run recorded (its server instance(s): ${shard0.server!.instanceId}, ${new1.server!.instanceId})`,
    );
  });
});
