/**
 * `otelpoc load --serve` end to end against a real VictoriaMetrics: the backend holds exactly the
 * manifest's counts per tenant and status; SIGINT mid-run writes a partial manifest and exits 130.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/parse.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { type CliProcess, runCli, spawnCli } from '../helpers/cli.js';
import {
  expectedFromManifest,
  expectFlushedPartialManifest,
  readManifestFile,
  waitForCounts,
} from '../helpers/run-counts.js';

const enabled = backendsAvailable('load end-to-end (VictoriaMetrics)');

describe.skipIf(!enabled)('otelpoc load --serve → VictoriaMetrics', () => {
  const vm = useVictoriaMetrics();
  let dir: string;
  let proc: CliProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-load-e2e-'));
  });
  afterAll(async () => {
    proc?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('300 requests over 3 tenants + anonymous: the backend holds exactly the manifest counts', async () => {
    const out = join(dir, 'run.json');
    const r = await runCli(
      [
        'load',
        '--serve',
        '--requests',
        '300',
        '--rps',
        '300',
        '--tenants',
        '3',
        '--anonymous',
        '10%',
        '--status-mix',
        '200:85,404:10,500:5',
        '--delay',
        '0',
        '--export-interval',
        '1s',
        '--otlp-endpoint',
        vm.otlpEndpoint,
        '--run-id',
        'load-e2e-exact',
        '--out',
        out,
        '--json',
      ],
      { timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(''); // --json: nothing but the document
    const fromStdout = parseManifest(JSON.parse(r.stdout), 'stdout');
    const fromFile = await readManifestFile(out);
    expect(fromFile).toEqual(fromStdout);
    const m = fromFile;
    expect(m.totals).toMatchObject({ scheduled: 300, sent: 300, answered: 300, dropped: 0, unanswered: 0 });
    expect(m.server).toMatchObject({ finalFlushOk: true, failedExports: 0 });
    expect(m.tenants.map((t) => t.clientId)).toEqual(['tenant-1', 'tenant-2', 'tenant-3', null]);
    const statusTotals = (s: number) =>
      m.tenants.reduce((n, t) => n + (t.byStatus.find((c) => c.status === s)?.sent ?? 0), 0);
    expect([statusTotals(200), statusTotals(404), statusTotals(500)]).toEqual([255, 30, 15]);
    // Each status is shared among the tenants by its own round robin: anonymous (10 %) gets
    // 26 of the 255 200s, 3 of the 30 404s and 2 of the 15 500s.
    expect(m.tenants.at(-1)!.byStatus.map((c) => [c.status, c.sent])).toEqual([
      [200, 26],
      [404, 3],
      [500, 2],
    ]);

    const expected = expectedFromManifest(m);
    expect(Object.values(expected).reduce((a, b) => a + b, 0)).toBe(300);
    expect(await waitForCounts(vm, 'load-e2e-exact', expected)).toEqual(expected);
  });

  it('SIGINT mid-run: partial manifest with interrupted: true, exit 130, and the flushed counts match it', async () => {
    const out = join(dir, 'partial.json');
    proc = spawnCli([
      'load',
      '--serve',
      '--rps',
      '100',
      '--duration',
      '60s',
      '--tenants',
      '2',
      '--delay',
      '0-20ms',
      '--export-interval',
      '1h',
      '--otlp-endpoint',
      vm.otlpEndpoint,
      '--run-id',
      'load-e2e-sigint',
      '--out',
      out,
    ]);
    await proc.waitFor(/load: run load-e2e-sigint/);
    // Wait until the server has answered something (the first plain progress line comes at 5 s).
    await proc.waitFor(/load: .*sent \d+/, 20_000);
    proc.kill('SIGINT');
    const r = await proc.exited;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/otelpoc: interrupted; partial manifest written to /);
    const m = await readManifestFile(out);
    expectFlushedPartialManifest(m);
    expect(m.totals.sent).toBeLessThan(6000);
    // Export interval 1 h: only the final flush on interrupt can have delivered these.
    const expected = expectedFromManifest(m);
    expect(await waitForCounts(vm, 'load-e2e-sigint', expected)).toEqual(expected);
  });
});
