/**
 * Every PromQL expression of the provisioned dashboard runs without error against a real
 * Prometheus-compatible backend (VictoriaMetrics) loaded by real otelpoc traffic, and returns data.
 *
 * The single store holds every tenant's series, so it answers as the federated datasource
 * ("Mimir (all tenants)") does; a per-tenant datasource runs the same expressions over one tenant's
 * subset, which the by-tenant panels are checked to split correctly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROM } from '../../src/telemetry/names.js';
import {
  backendsAvailable,
  pollUntil,
  startVictoriaMetrics,
  type VictoriaMetrics,
} from '../helpers/backends.js';
import { type CliProcess, spawnCli } from '../helpers/cli.js';
import { concreteExpr, dashboardExpressions, readStack } from './stack-files.js';

const enabled = backendsAvailable('dashboard PromQL (VictoriaMetrics)');

const TENANTS = ['tenant-1', 'tenant-2', 'tenant-3'];
const STATUSES = [200, 404, 500];
const RUN_ID = `dashboard-${Date.now().toString(36)}`;

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
  let serve: CliProcess | undefined;
  const { dashboard } = readStack();

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
    serve = spawnCli([
      'serve',
      '--port',
      '0',
      '--delay',
      '5-30ms',
      '--seed',
      '3',
      '--export-interval',
      '1s',
      '--otlp-endpoint',
      vm.otlpEndpoint,
    ]);
    const [, base] = (await serve.waitFor(/listening on (http:\/\/\S+)\/api/)) as RegExpMatchArray;
    // Three waves over several export intervals, so rates and histogram quantiles have increases to
    // work with; every tenant (and requests without a Client-ID) gets every status in every wave.
    for (let wave = 0; wave < 3; wave++) {
      const sends: Promise<unknown>[] = [];
      for (const clientId of [...TENANTS, undefined]) {
        for (const sc of STATUSES) {
          for (let i = 0; i < 3; i++) {
            const headers: Record<string, string> = { 'X-Run-ID': RUN_ID };
            if (clientId) headers['Client-ID'] = clientId;
            sends.push(fetch(`${base}/api?sc=${sc}`, { headers }).then((r) => r.arrayBuffer()));
          }
        }
      }
      await Promise.all(sends);
      // Wait until this wave is exported and visible before the next (no fixed sleeps).
      const expected = (wave + 1) * 3 * STATUSES.length * (TENANTS.length + 1);
      await pollUntil(
        async () => {
          const [s] = await vm.query(`sum(${PROM.requestTotal}{otelpoc_run_id="${RUN_ID}"})`);
          return s?.value === expected ? true : undefined;
        },
        { timeoutMs: 30_000, describe: () => `wave ${wave} never reached ${expected}\n${vm.logs()}` },
      );
    }
  });

  afterAll(async () => {
    serve?.kill('SIGKILL');
    await vm?.stop();
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
    const expected = [...TENANTS, '-'].flatMap((t) => STATUSES.map((sc) => `${t}|${sc}`));
    expect(keys.sort()).toEqual(expected.sort());

    const stat = dashboard.panels.find((p) => p.title === 'Requests in range, by tenant')!;
    const totals = await promQuery(
      vm,
      concreteExpr(stat.targets[0]!.expr, {
        rateInterval: '40s',
        interval: '2s',
        range: '5m',
        vars: { run: RUN_ID },
      }),
      true,
    );
    expect(totals.map((s) => s.metric.client_id ?? '-').sort()).toEqual(['-', ...TENANTS].sort());
  });

  it('a wrong metric name would be caught: an expression on an unknown name returns no data', async () => {
    const series = await promQuery(vm, 'sum by (client_id) (rate(http_server_requests_total[40s]))', false);
    expect(series).toEqual([]);
  });
});
