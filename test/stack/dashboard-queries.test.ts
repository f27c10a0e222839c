/**
 * Every PromQL expression of the provisioned dashboard runs without error against a real
 * Prometheus-compatible backend (VictoriaMetrics) loaded by a real `otelpoc load --serve` run, and
 * returns data.
 *
 * The single store holds every tenant's series, so it answers as the federated datasource
 * ("Mimir (all tenants)") does; a per-tenant datasource runs the same expressions over one tenant's
 * subset, which the by-tenant panels are checked to split correctly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/manifest/io.js';
import type { RunManifest } from '../../src/manifest/schema.js';
import { PROM } from '../../src/telemetry/names.js';
import {
  backendsAvailable,
  pollUntil,
  startVictoriaMetrics,
  type VictoriaMetrics,
} from '../helpers/backends.js';
import { runCli } from '../helpers/cli.js';
import { concreteExpr, dashboardExpressions, readStack } from './stack-files.js';

const enabled = backendsAvailable('dashboard PromQL (VictoriaMetrics)');

const TENANTS = ['tenant-1', 'tenant-2', 'tenant-3'];
const STATUSES = [200, 404, 500];
const RUN_ID = `dashboard-${Date.now().toString(36)}`;
const REQUESTS = 120;
/**
 * A second run for the run-total panel: one run id served by two `serve` processes one after the
 * other (a restart), each taking a burst that ends before its first periodic export. Every series is
 * then born inside the query range with its whole count in its first sample: the case where
 * `increase()` is wrong (Prometheus extrapolates it; VictoriaMetrics takes that first sample for the
 * counter's previous value and drops it).
 */
const BURST_RUN_ID = `dashboard-burst-${Date.now().toString(36)}`;
const BURST_REQUESTS = 600;
const BURST_PROCESSES = 2;
const TOTAL_PANEL = 'Requests per run, by tenant and status';

/** tenant|status → answered requests, summed over manifests. */
function answeredCells(manifests: RunManifest[]): Map<string, number> {
  const cells = new Map<string, number>();
  for (const m of manifests) {
    for (const t of m.tenants) {
      for (const b of t.byStatus) {
        if (b.answered === 0) continue;
        const key = `${t.clientId ?? '-'}|${b.status}`;
        cells.set(key, (cells.get(key) ?? 0) + b.answered);
      }
    }
  }
  return cells;
}

interface Series {
  metric: Record<string, string>;
  values: number[];
}

async function promQuery(vm: VictoriaMetrics, expr: string, instant: boolean): Promise<Series[]> {
  await vm.forceFlush();
  const nowS = Date.now() / 1000;
  const params = new URLSearchParams({ query: expr });
  if (instant) params.set('time', String(nowS));
  else {
    params.set('start', String(nowS - 120));
    params.set('end', String(nowS));
    params.set('step', '2');
  }
  const res = await fetch(`${vm.promUrl}/api/v1/${instant ? 'query' : 'query_range'}?${params}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: {
      result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[];
    };
  };
  if (!res.ok || body.status !== 'success') {
    // A query error is a test failure, not something to retry.
    throw Object.assign(new Error(`${expr} → HTTP ${res.status}: ${body.error ?? ''}`), { fatal: true });
  }
  return body.data!.result.map((r) => ({
    metric: r.metric,
    values: (r.values ?? (r.value ? [r.value] : [])).map((v) => Number(v[1])),
  }));
}

describe.skipIf(!enabled)('dashboard PromQL against VictoriaMetrics', () => {
  let vm: VictoriaMetrics;
  const { dashboard } = readStack();

  let manifest: RunManifest;
  const burstManifests: RunManifest[] = [];
  let dir: string;

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-dashboard-'));
    // A real load run: 3 tenants plus anonymous requests, every status of the mix, spread over several
    // 1 s export intervals so rates and histogram quantiles have increases to work with.
    const res = await runCli(
      [
        'load',
        '--serve',
        '--requests',
        String(REQUESTS),
        '--rps',
        '40',
        '--tenants',
        String(TENANTS.length),
        '--anonymous',
        '25%',
        '--status-mix',
        STATUSES.map((s) => `${s}:1`).join(','),
        '--delay',
        '5-30ms',
        '--seed',
        '3',
        '--export-interval',
        '1s',
        '--otlp-endpoint',
        vm.otlpEndpoint,
        '--run-id',
        RUN_ID,
        '--out',
        join(dir, 'manifest.json'),
        '--quiet',
      ],
      { timeoutMs: 60_000 },
    );
    expect(res.code, res.stderr).toBe(0);
    manifest = await readManifest(join(dir, 'manifest.json'));
    expect(manifest.totals.answered).toBe(REQUESTS);
    await pollUntil(
      async () => {
        const [s] = await vm.query(`sum(${PROM.requestTotal}{otelpoc_run_id="${RUN_ID}"})`);
        return s?.value === REQUESTS ? true : undefined;
      },
      { timeoutMs: 30_000, describe: () => `the run's ${REQUESTS} requests never all arrived\n${vm.logs()}` },
    );

    for (let i = 0; i < BURST_PROCESSES; i++) {
      const out = join(dir, `burst-${i}.json`);
      const burst = await runCli(
        [
          'load',
          '--serve',
          '--requests',
          String(BURST_REQUESTS),
          '--rps',
          '2000',
          '--tenants',
          String(TENANTS.length),
          '--anonymous',
          '25%',
          '--status-mix',
          '200:1',
          '--delay',
          '0',
          '--export-interval',
          '10s',
          '--otlp-endpoint',
          vm.otlpEndpoint,
          '--run-id',
          BURST_RUN_ID,
          '--out',
          out,
          '--quiet',
        ],
        { timeoutMs: 60_000 },
      );
      expect(burst.code, burst.stderr).toBe(0);
      const m = await readManifest(out);
      expect(m.totals.answered).toBe(BURST_REQUESTS);
      burstManifests.push(m);
    }
    // Every request of both processes is stored (each process flushes on stop). The two processes'
    // series must differ, or the second would overwrite (reset) the first and no query could add them.
    await pollUntil(
      async () => {
        const series = await vm.query(`${PROM.requestTotal}{otelpoc_run_id="${BURST_RUN_ID}"}`);
        const sum = series.reduce((acc, s) => acc + s.value, 0);
        return sum === BURST_REQUESTS * BURST_PROCESSES ? true : undefined;
      },
      {
        timeoutMs: 30_000,
        describe: () => `the burst runs' requests never all arrived as separate series\n${vm.logs()}`,
      },
    );
  });

  afterAll(async () => {
    await vm?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const exprs = dashboardExpressions(dashboard);
  const runVar = dashboard.templating.list.find((v) => v.name === 'run')!;

  for (const run of [
    { label: 'this run', value: RUN_ID },
    { label: 'All runs', value: runVar.allValue! },
  ]) {
    it.each(exprs)(`$where returns data (run = ${run.label})`, async ({ expr, instant }) => {
      const concrete = concreteExpr(expr, {
        // Grafana: max(4 × scrape interval, step + scrape interval); the datasources say 10s.
        rateInterval: '40s',
        interval: '2s',
        range: '5m',
        vars: { run: run.value },
      });
      const outcome = await pollUntil(
        async () => {
          let s: Series[];
          try {
            s = await promQuery(vm, concrete, instant);
          } catch (err) {
            // The backend rejected the expression: fail at once instead of polling on.
            if ((err as { fatal?: boolean }).fatal) return { error: (err as Error).message };
            throw err;
          }
          const finite = s.filter((x) => x.values.some((v) => Number.isFinite(v)));
          return finite.length > 0 ? { series: finite } : undefined;
        },
        { timeoutMs: 20_000, describe: () => `no data for ${concrete}\n${vm.logs()}` },
      );
      expect(outcome.error).toBeUndefined();
      expect(outcome.series!.length).toBeGreaterThan(0);
    });
  }

  it('the by-tenant panels split per client_id, one series per tenant (as a per-tenant datasource sees them)', async () => {
    const panel = dashboard.panels.find((p) => p.title === 'Request rate by tenant and status')!;
    const concrete = concreteExpr(panel.targets[0]!.expr, {
      rateInterval: '40s',
      interval: '2s',
      range: '5m',
      vars: { run: RUN_ID },
    });
    const series = await promQuery(vm, concrete, true);
    const keys = series.map((s) => `${s.metric.client_id ?? '-'}|${s.metric.http_response_status_code}`);
    // Exactly the tenant × status cells the manifest says were answered.
    const expected = manifest.tenants.flatMap((t) =>
      t.byStatus.filter((b) => b.answered > 0).map((b) => `${t.clientId ?? '-'}|${b.status}`),
    );
    expect(expected).toHaveLength((TENANTS.length + 1) * STATUSES.length);
    expect(keys.sort()).toEqual(expected.sort());
  });

  /** The run-total panel's values, tenant|status → count, as Grafana's instant query returns them. */
  async function runTotals(run: string): Promise<Map<string, number>> {
    const stat = dashboard.panels.find((p) => p.title === TOTAL_PANEL)!;
    const series = await promQuery(
      vm,
      concreteExpr(stat.targets[0]!.expr, {
        rateInterval: '40s',
        interval: '2s',
        range: '5m',
        vars: { run },
      }),
      true,
    );
    return new Map(
      series.map((s) => [`${s.metric.client_id ?? '-'}|${s.metric.http_response_status_code}`, s.values[0]!]),
    );
  }

  it('the run-total panel shows exactly the requests answered, per tenant and status', async () => {
    const expected = answeredCells([manifest]);
    expect(expected.size).toBe((TENANTS.length + 1) * STATUSES.length);
    expect(await runTotals(RUN_ID)).toEqual(expected);
  });

  it('the run-total panel is exact for series born inside the range with their whole count, across a serve restart', async () => {
    const expected = answeredCells(burstManifests);
    expect([...expected.values()].reduce((a, b) => a + b, 0)).toBe(BURST_REQUESTS * BURST_PROCESSES);
    const totals = await runTotals(BURST_RUN_ID);
    expect(totals).toEqual(expected);
    expect([...totals.values()].reduce((a, b) => a + b, 0)).toBe(BURST_REQUESTS * BURST_PROCESSES);
  });

  it('a wrong metric name would be caught: an expression on an unknown name returns no data', async () => {
    const series = await promQuery(vm, 'sum by (client_id) (rate(http_server_requests_total[40s]))', false);
    expect(series).toEqual([]);
  });
});
