/**
 * verify must see what the backend holds, not what one selector once answered. Against
 * VictoriaMetrics, a label-only selector `{otelpoc_run_id="<id>"}`, once queried, can keep answering
 * the old series set after new series with that label arrive; a name-qualified selector shows them.
 * Reproduced here: a run verified green, then one more request with its run id from a second serve
 * process (new series: another service_instance_id), flushed: verify must now be red. (It stayed
 * green while verify asked the same selector on every poll: the backend's answer comes from a cache
 * for a few seconds, and verify passes at its first green poll.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/verify/types.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, pollUntil } from '../helpers/backends.js';
import { type CliProcess, loadServeArgv, serveUrl, spawnServe } from '../helpers/cli.js';
import { mainInProcess } from '../helpers/main-in-process.js';

const enabled = backendsAvailable('verify sees late series (VictoriaMetrics)');
const RUN = 'late-series';

/** `main(argv)` in process, stdout and stderr collected. */
function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return mainInProcess(argv, { cwd, env: {} });
}

describe.skipIf(!enabled)('otelpoc verify → series that arrive after verify first looked', () => {
  const vm = useVictoriaMetrics();
  let dir: string;
  let second: CliProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-late-series-'));
  });
  afterAll(async () => {
    second?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a request of the run from a second serve process, after a green verify, turns verify red', async () => {
    const manifest = join(dir, 'run.json');
    const load = await cli(
      loadServeArgv({
        requests: 20,
        tenants: 2,
        otlpEndpoint: vm.otlpEndpoint,
        runId: RUN,
        out: manifest,
        extra: ['--status-mix', '200:80,404:20'],
      }),
      dir,
    );
    expect(load.code, load.stderr).toBe(0);
    const verify = (timeout: string, extra: string[] = []) =>
      cli(
        [
          'verify',
          '--manifest',
          manifest,
          '--url',
          vm.promUrl,
          '--no-tenant-header',
          '--timeout',
          timeout,
          '--json',
          ...extra,
        ],
        dir,
      );

    // About what the backend answers to verify's selector, not about the settle window (that has its
    // own test, settle.e2e.test.ts): the first verdict at the first all-green poll.
    const green = await verify('30s', ['--settle', '0']);
    expect(green.code, green.stderr + green.stdout).toBe(0);

    // From here on the data is flushed when the test says so, as a backend does on its own timer.
    vm.stopFlushing();
    // One more request with the same run id, from another process: new series (its own instance id).
    second = spawnServe(vm.otlpEndpoint, { exportInterval: '300ms' });
    const base = await serveUrl(second);
    const res = await fetch(`${base}/api?sc=200`, { headers: { 'X-Run-ID': RUN, 'Client-ID': 'tenant-1' } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    // Meanwhile someone reads the run with verify's selector (a dashboard, or a verify still
    // polling), until the second process has exported (300 ms) and well after.
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      await fetch(`${vm.promUrl}/api/v1/query`, {
        method: 'POST',
        body: new URLSearchParams({ query: `{otelpoc_run_id="${RUN}"}` }),
      }).then((r) => r.arrayBuffer());
      await new Promise((r) => setTimeout(r, 30));
    }
    // The backend holds it. Asked with a selector new on every attempt: one asked before could
    // still answer without it, which is the very thing this test is about.
    let attempt = 0;
    await pollUntil(
      async () => {
        const q = `sum(http_server_request_total{otelpoc_run_id="${RUN}",attempt!="${++attempt}"})`;
        const [s] = await vm.query(q);
        return s?.value === 21 ? true : undefined;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        describe: () => `the extra request never reached the backend\n${vm.logs()}`,
      },
    );

    const red = await verify('3s');
    expect(red.code, red.stdout).toBe(1);
    const report = JSON.parse(red.stdout) as VerifyReport;
    const counts = report.results.find((r) => r.tenant === 'tenant-1' && r.check === 'counts')!;
    expect(counts.ok).toBe(false);
    expect(counts.problems.join('\n')).toMatch(
      /status 200: \d+ request\(s\) recorded, expected \d+ \(more than were sent/,
    );
  });
});
