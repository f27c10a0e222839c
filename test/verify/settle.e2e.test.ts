/**
 * verify must not pass on a moment's agreement. Against VictoriaMetrics: a run whose data is all in
 * the backend, verified; the moment verify's progress says every check is green, one more request
 * with the run's id reaches the server (a retried request, a second process reusing the run id).
 * With a settle window verify keeps looking, sees the count go past what was sent, and is red,
 * naming the check that flapped. Without one (--settle 0, the old behaviour) the same sequence is a
 * false green.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useServe, useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, pollUntil } from '../helpers/backends.js';
import { mainInProcess } from '../helpers/main-in-process.js';
import { sendTraffic } from './traffic.js';

const enabled = backendsAvailable('verify settle window (VictoriaMetrics)');

/** A progress line of a poll where every tenant is green (settling or not). */
const ALL_GREEN = /poll \d+: (all \d+ tenant\(s\) green|(\d+)\/\2 tenant\(s\) green)/;

describe.skipIf(!enabled)('otelpoc verify → a request that arrives after the first green poll', () => {
  const vm = useVictoriaMetrics();
  const serve = useServe(vm, { exportInterval: '300ms' });
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-settle-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * A run of 10 requests (tenant-1: 200 ×6, 404 ×2; tenant-2: 200 ×2), in the backend before verify
   * starts; then verify, and one more tenant-1 request of the run as soon as its progress shows every
   * tenant green.
   */
  async function verifyWithLateRequest(runId: string, settle: string) {
    const manifest = await sendTraffic(serve.api, runId, [
      { clientId: 'tenant-1', status: 200, n: 6 },
      { clientId: 'tenant-1', status: 404, n: 2 },
      { clientId: 'tenant-2', status: 200, n: 2 },
    ]);
    const file = join(dir, `${runId}.json`);
    await writeFile(file, JSON.stringify(manifest));
    // All of it in the backend first: verify's first poll is green, whatever the machine's load.
    let attempt = 0;
    await pollUntil(
      async () => {
        const q = `sum(http_server_request_total{otelpoc_run_id="${runId}",attempt!="${++attempt}"})`;
        const [s] = await vm.query(q);
        return s?.value === 10 ? true : undefined;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        describe: () => `the run never reached the backend\n${vm.logs()}`,
      },
    );

    let late: Promise<void> | undefined;
    const r = await mainInProcess(
      [
        'verify',
        '--manifest',
        file,
        '--url',
        vm.promUrl,
        '--no-tenant-header',
        '--timeout',
        '4s',
        '--settle',
        settle,
      ],
      {
        env: {},
        cwd: dir,
        // The moment verify's progress says every tenant is green, one more request of the run.
        onStderr: (stderr) => {
          if (!late && ALL_GREEN.test(stderr)) {
            late = fetch(`${serve.api}?sc=200`, {
              headers: { 'X-Run-ID': runId, 'Client-ID': 'tenant-1' },
            }).then(async (res) => {
              expect(res.status).toBe(200);
              await res.arrayBuffer();
            });
          }
        },
      },
    );
    expect(late, `verify never reported an all-green poll:\n${r.stderr}`).toBeDefined();
    await late;
    return r;
  }

  it('with --settle 3s: red, naming the check that went red after the first green poll', async () => {
    const r = await verifyWithLateRequest('settle-3s', '3s');
    expect(r.code, r.stderr + r.stdout).toBe(1);
    expect(r.stderr).toMatch(/settling: green for/);
    expect(r.stdout).toMatch(
      /Went red after every check had passed \(settle window\):\n {2}✗ tenant-1 · exact counts per status at \d+\.\d s \(all green since \d+\.\d s\): status 200: 7 request\(s\) recorded, expected 6/,
    );
    expect(r.stdout).toMatch(
      /FAIL run settle-3s: \d+ of \d+ checks failed when the timeout ended .* — tenant-1 · exact counts per status went red at/,
    );
  });

  it('with --settle 0 (the old behaviour) the same sequence passes: the false green the window prevents', async () => {
    const r = await verifyWithLateRequest('settle-0', '0');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/PASS run settle-0: .*no settle window \(--settle\)/);
  });
});
