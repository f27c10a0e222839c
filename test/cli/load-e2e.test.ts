/**
 * `otelpoc load --serve` end to end against a real VictoriaMetrics: the backend holds exactly the
 * manifest's counts per tenant and status; SIGINT mid-run writes a partial manifest and exits 130.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/parse.js';
import type { RunManifest } from '../../src/manifest/schema.js';
import {
  backendsAvailable,
  pollUntil,
  startVictoriaMetrics,
  type VictoriaMetrics,
} from '../helpers/backends.js';
import { type CliProcess, runCli, spawnCli } from '../helpers/cli.js';

const enabled = backendsAvailable('load end-to-end (VictoriaMetrics)');

/** What the server must have recorded: per tenant, the statuses it answered with. */
function expectedFromManifest(m: RunManifest): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of m.tenants) {
    for (const [status, n] of Object.entries(t.receivedByStatus)) out[`${t.clientId ?? '-'}|${status}`] = n;
  }
  return sortKeys(out);
}

async function countsInVm(vm: VictoriaMetrics, runId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of await vm.query(
    `sum by (client_id, http_response_status_code) (http_server_request_total{otelpoc_run_id="${runId}"})`,
  )) {
    out[`${s.metric.client_id ?? '-'}|${s.metric.http_response_status_code}`] = s.value;
  }
  return sortKeys(out);
}

async function waitForCounts(vm: VictoriaMetrics, runId: string, expected: Record<string, number>) {
  return pollUntil(
    async () => {
      const got = await countsInVm(vm, runId);
      return JSON.stringify(got) === JSON.stringify(expected) ? got : undefined;
    },
    {
      timeoutMs: 30_000,
      describe: () => `VictoriaMetrics never held ${JSON.stringify(expected)}\n${vm.logs()}`,
    },
  );
}

describe.skipIf(!enabled)('otelpoc load --serve → VictoriaMetrics', () => {
  let vm: VictoriaMetrics;
  let dir: string;
  let proc: CliProcess | undefined;

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-load-e2e-'));
  });
  afterAll(async () => {
    proc?.kill('SIGKILL');
    await vm?.stop();
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
    const fromFile = parseManifest(JSON.parse(await readFile(out, 'utf8')), out);
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
    const m = parseManifest(JSON.parse(await readFile(out, 'utf8')), out);
    expect(m.interrupted).toBe(true);
    expect(m.totals.sent).toBeGreaterThan(0);
    expect(m.totals.sent).toBeLessThan(6000);
    expect(m.totals.sent).toBe(
      m.totals.answered + m.totals.mismatched + m.totals.unanswered + m.totals.refused,
    );
    expect(m.server?.finalFlushOk).toBe(true);
    // Export interval 1 h: only the final flush on interrupt can have delivered these.
    const expected = expectedFromManifest(m);
    expect(await waitForCounts(vm, 'load-e2e-sigint', expected)).toEqual(expected);
  });
});

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
