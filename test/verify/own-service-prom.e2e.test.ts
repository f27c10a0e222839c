/**
 * Prove a Prometheus-client service: express 5 + express-prom-bundle 8 (prom-client 15), one
 * process for every tenant (customLabels/transformLabels put the Client-ID header into client_id),
 * scraped every second by vmagent into VictoriaMetrics. Verified by the prom-client-express
 * profile, selected by the scrape job (an extra matcher).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadServiceProfile, parseServiceProfile } from '../../src/verify/service/profile.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { startPromExpressService, startVmagent } from '../helpers/own-services.js';
import { loadAndVerify, problemsOf, TENANTS } from './own-service-helpers.js';

const SCRAPE_MS = 1000;

describe.runIf(backendsAvailable('own service: prom-client + express-prom-bundle'))(
  'own service: express + express-prom-bundle, scraped by vmagent',
  () => {
    const vm = useVictoriaMetrics();
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
    });

    async function scrapedService(job: string, dropTenant?: string, tenantHeader?: string) {
      const service = await startPromExpressService(tenantHeader ? { tenantHeader } : {});
      cleanup.push(() => service.stop());
      const agent = await startVmagent({
        writeUrl: `${vm.url}/api/v1/write`,
        scrape: { job, targets: [`127.0.0.1:${service.port}`] },
        ...(dropTenant ? { dropLabel: { name: 'client_id', value: dropTenant } } : {}),
      });
      cleanup.push(() => agent.stop());
      const base = await loadServiceProfile('prom-client-express');
      const profile = parseServiceProfile({ ...base, matchers: { job } }, 'test profile');
      // Earlier traffic, scraped before the run: in the snapshot, not in the run's counts.
      for (const t of TENANTS) {
        await fetch(`${service.url}/api?sc=200`, { headers: { [tenantHeader ?? 'Client-ID']: t } });
      }
      await new Promise((r) => setTimeout(r, 3 * SCRAPE_MS));
      return { service, profile };
    }

    it('green: exact counts per tenant × status', async () => {
      const { service, profile } = await scrapedService('checkout-green');
      const report = await loadAndVerify({
        runId: 'own-prom-green',
        target: service.url,
        profile,
        promUrl: vm.promUrl,
        timeoutMs: 20_000,
        settleMs: 2 * SCRAPE_MS,
      });
      expect(report.ok, problemsOf(report)).toBe(true);
      const cells = report.service![0]!.cells;
      expect(new Set(cells.map((c) => c.tenant))).toEqual(new Set(TENANTS));
      expect(cells.every((c) => c.found === c.expected && c.expected > 0)).toBe(true);
      const snapshot = report.manifest!.service!.snapshot;
      expect(snapshot.tenants.map((t) => t.series.reduce((n, s) => n + s.value, 0))).toEqual([1, 1, 1]);
    });

    it('red naming the tenant when its series are dropped on the way (a vmagent relabel drop)', async () => {
      const { service, profile } = await scrapedService('checkout-drop', 'tenant-b');
      const report = await loadAndVerify({
        runId: 'own-prom-drop',
        target: service.url,
        profile,
        promUrl: vm.promUrl,
        timeoutMs: 8000,
        settleMs: 2 * SCRAPE_MS,
      });
      expect(report.ok).toBe(false);
      const problems = report.service![0]!.problems;
      expect(problems.length).toBeGreaterThan(0);
      expect(
        problems.every((p) => /^found 0 requests for tenant-b \d{3}, sent \d+: \d+ did not arrive/.test(p)),
        problemsOf(report),
      ).toBe(true);
    });

    it('red "not from this run" when other requests reach the service during the run', async () => {
      const { service, profile } = await scrapedService('checkout-busy');
      const report = await loadAndVerify({
        runId: 'own-prom-busy',
        target: service.url,
        profile,
        promUrl: vm.promUrl,
        timeoutMs: 20_000,
        settleMs: 2 * SCRAPE_MS,
        during: async () => {
          await new Promise((r) => setTimeout(r, 300));
          for (let i = 0; i < 4; i++) {
            await fetch(`${service.url}/api?sc=404`, { headers: { 'Client-ID': 'tenant-c' } });
          }
        },
      });
      expect(report.ok).toBe(false);
      expect(report.service![0]!.problems, problemsOf(report)).toEqual([
        expect.stringMatching(
          /^found [\d,]+ requests for tenant-c 404, sent [\d,]+: 4 are not from this run — run on an idle service, or filter with a label$/,
        ),
      ]);
    });

    it('the tenant in another header (X-Tenant): load sends it there, green', async () => {
      const { service, profile } = await scrapedService('checkout-header', undefined, 'X-Tenant');
      const report = await loadAndVerify({
        runId: 'own-prom-header',
        target: service.url,
        profile: { ...profile, tenantHeader: 'X-Tenant' },
        promUrl: vm.promUrl,
        timeoutMs: 20_000,
        settleMs: 2 * SCRAPE_MS,
      });
      expect(report.ok, problemsOf(report)).toBe(true);
    });

    it('a service that belongs to one tenant ({ fixed }): all requests are that tenant’s, green', async () => {
      // Also the check that load sends no warm-up: its GET /healthz (no tenant header) would count here.
      const { service, profile } = await scrapedService('checkout-fixed');
      const fixed = parseServiceProfile({ ...profile, tenant: { fixed: 'team-a' } }, 'fixed-tenant profile');
      const report = await loadAndVerify({
        runId: 'own-prom-fixed',
        target: service.url,
        profile: fixed,
        promUrl: vm.promUrl,
        timeoutMs: 20_000,
        settleMs: 2 * SCRAPE_MS,
      });
      expect(report.ok, problemsOf(report)).toBe(true);
      const cells = report.service![0]!.cells;
      expect(new Set(cells.map((c) => c.tenant))).toEqual(new Set(['team-a']));
      expect(cells.reduce((n, c) => n + c.found, 0)).toBe(report.manifest!.totals.answered);
    });
  },
);
