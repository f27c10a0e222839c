/**
 * Every PromQL expression of the "otelpoc canary" dashboard runs without error against a real
 * Prometheus-compatible backend (VictoriaMetrics) holding a real canary's metrics, and returns data.
 * The canary runs in process against that VictoriaMetrics (its OTLP and Prometheus API, one store);
 * its /metrics are imported as the stack's scrape would write them (job="otelpoc-canary", plus `up`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANARY_SCRAPE_JOB } from '../../src/canary/metric-names.js';
import {
  backendsAvailable,
  pollUntil,
  startVictoriaMetrics,
  type VictoriaMetrics,
} from '../helpers/backends.js';
import { mainInProcess } from '../helpers/main-in-process.js';
import { concreteExpr, dashboardExpressions, readStack } from './stack-files.js';

const enabled = backendsAvailable('canary dashboard PromQL (VictoriaMetrics)');

describe.skipIf(!enabled)('the canary dashboard against a real canary', () => {
  let vm: VictoriaMetrics;
  beforeAll(async () => {
    vm = await startVictoriaMetrics();
  });
  afterAll(async () => {
    await vm?.stop();
  });

  it('every expression answers with data', async () => {
    const abort = new AbortController();
    let stderr = '';
    const run = mainInProcess(
      [
        'canary',
        '--url',
        vm.promUrl,
        '--no-tenant-header',
        '--otlp-endpoint',
        vm.otlpEndpoint,
        '--export-interval',
        '1s',
        '--interval',
        '1s',
        '--metrics-port',
        '0',
      ],
      { signal: abort.signal, onStderr: (s) => (stderr = s) },
    );
    try {
      const metricsUrl = await pollUntil(async () => /metrics at (http:\S+)\/metrics/.exec(stderr)?.[1], {
        timeoutMs: 10_000,
        describe: () => stderr,
      });
      // Three scrapes, a few seconds apart, so that rate() and increase() have two samples at least.
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 2500));
        const text = await (await fetch(`${metricsUrl}/metrics`)).text();
        const body = `${text}\nup{instance="canary:9465"} 1\n`;
        const res = await fetch(
          `${vm.url}/api/v1/import/prometheus?extra_label=job=${CANARY_SCRAPE_JOB}&extra_label=instance=canary:9465`,
          { method: 'POST', body },
        );
        expect(res.status, await res.text()).toBeLessThan(300);
      }
      await vm.forceFlush();
      const { canaryDashboard } = readStack();
      for (const { where, expr } of dashboardExpressions(canaryDashboard)) {
        const q = concreteExpr(expr, {
          rateInterval: '1m',
          interval: '15s',
          range: '5m',
          vars: { tenant: '.*' },
        });
        const result = await vm.query(q);
        expect(result.length, `${where}: ${q}`).toBeGreaterThan(0);
      }
      const tenants = (await vm.query('min by (tenant) (otelpoc_canary_check_ok{job="otelpoc-canary"})')).map(
        (s) => s.metric.tenant,
      );
      expect(tenants.sort()).toEqual(['tenant-1', 'tenant-2', 'tenant-3']);
    } finally {
      abort.abort();
      await run;
    }
  }, 60_000);
});
