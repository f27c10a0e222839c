/**
 * A later verify sees data that reached the backend after the run, however long after. The run is
 * placed two hours in the past: its samples are re-imported into VictoriaMetrics with their
 * timestamps moved back (VictoriaMetrics' /api/v1/import), its manifest's times moved the same.
 * Then 5 more requests of the run arrive 4.5 minutes after its end: verify must see the new count
 * and be red. (Verify used to query at the run's end + 4 minutes and passed on the old count.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { loadServeArgv } from '../helpers/cli.js';
import { mainInProcess } from '../helpers/main-in-process.js';
import { expectedFromManifest, readManifestFile, waitForCounts } from '../helpers/run-counts.js';

const enabled = backendsAvailable('verify sees late data (VictoriaMetrics)');
const SOURCE = 'late-data-src';
const RUN = 'late-data';
const SHIFT_MS = 2 * 3_600_000;

function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return mainInProcess(argv, { cwd, env: {} });
}

interface ExportLine {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

describe.skipIf(!enabled)('otelpoc verify → a run verified long after it ended, with late data', () => {
  const vm = useVictoriaMetrics();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-late-data-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const exportRun = async (runId: string): Promise<ExportLine[]> => {
    await vm.forceFlush();
    const res = await fetch(
      `${vm.url}/api/v1/export?${new URLSearchParams({ 'match[]': `{otelpoc_run_id="${runId}"}` })}`,
    );
    expect(res.status).toBe(200);
    return (await res.text())
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as ExportLine);
  };
  const importLines = async (lines: ExportLine[]) => {
    const res = await fetch(`${vm.url}/api/v1/import`, {
      method: 'POST',
      body: lines.map((l) => JSON.stringify(l)).join('\n'),
    });
    expect(res.status, await res.text()).toBe(204);
    await vm.forceFlush();
  };

  it('5 requests of the run arriving 4.5 min after its end turn a later verify red', async () => {
    const srcPath = join(dir, 'src.json');
    const load = await cli(
      loadServeArgv({ requests: 20, tenants: 2, otlpEndpoint: vm.otlpEndpoint, runId: SOURCE, out: srcPath }),
      dir,
    );
    expect(load.code, load.stderr).toBe(0);
    const src = await readManifestFile(srcPath);
    await waitForCounts(vm, SOURCE, expectedFromManifest(src));

    // The same run two hours ago, under its own run id.
    const lines: ExportLine[] = (await exportRun(SOURCE)).map((l) => ({
      ...l,
      metric: { ...l.metric, otelpoc_run_id: RUN },
      timestamps: l.timestamps.map((t) => t - SHIFT_MS),
    }));
    expect(lines.length).toBeGreaterThan(0);
    await importLines(lines);
    const shift = (iso: string) => new Date(Date.parse(iso) - SHIFT_MS).toISOString();
    const old: RunManifest = {
      ...src,
      runId: RUN,
      config: { ...src.config, runId: RUN },
      startedAt: shift(src.startedAt),
      endedAt: shift(src.endedAt),
    };
    const manifest = join(dir, 'old-run.json');
    await writeFile(manifest, JSON.stringify(old));
    const verify = () =>
      cli(
        [
          'verify',
          '--manifest',
          manifest,
          '--url',
          vm.promUrl,
          '--no-tenant-header',
          '--timeout',
          '5s',
          '--settle',
          '0',
          '--json',
        ],
        dir,
      );
    const green = await verify();
    expect(green.code, green.stdout + green.stderr).toBe(0);

    // 5 more requests with status 200 of tenant-1, recorded 4.5 minutes after the run's end.
    const endedAt = Date.parse(old.endedAt);
    const counter = lines.filter(
      (l) =>
        l.metric.__name__ === 'http_server_request_total' &&
        l.metric.client_id === 'tenant-1' &&
        l.metric.http_response_status_code === '200',
    );
    expect(counter.length).toBe(1);
    const c = counter[0]!;
    await importLines([
      { metric: c.metric, values: [c.values.at(-1)! + 5], timestamps: [endedAt + 4.5 * 60_000] },
    ]);

    const red = await verify();
    expect(red.code, red.stdout + red.stderr).toBe(1);
    const report = JSON.parse(red.stdout) as VerifyReport;
    const counts = report.results.find((r) => r.tenant === 'tenant-1' && r.check === 'counts')!;
    expect(counts.ok).toBe(false);
    expect(counts.problems.join('\n')).toMatch(/status 200: \d+ request\(s\) recorded, expected \d+/);
  });
});
