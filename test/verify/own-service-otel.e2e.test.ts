/**
 * Prove a service otelpoc did not instrument: node:http with the official OpenTelemetry SDK and
 * @opentelemetry/instrumentation-http 0.223 (stable semconv), one process per tenant (the tenant is
 * the resource attribute service.namespace: the instrumentation has no hook for metric attributes),
 * exporting OTLP to VictoriaMetrics. No otelpoc label anywhere: verify by the otel-http-stable
 * profile against the load's snapshot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadServiceProfile, parseServiceProfile } from '../../src/verify/service/profile.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import {
  type OwnService,
  startOtelHttpService,
  startTenantRouter,
  startVmagent,
  type TenantRouter,
  type Vmagent,
} from '../helpers/own-services.js';
import { loadAndVerify, problemsOf, TENANTS } from './own-service-helpers.js';

const EXPORT_MS = 500;

describe.runIf(backendsAvailable('own service: OpenTelemetry instrumentation-http'))(
  'own service: node:http + @opentelemetry/instrumentation-http, one process per tenant',
  () => {
    const vm = useVictoriaMetrics();
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
    });

    /** Three services (one per tenant) named `serviceName`, behind a router, exporting to `otlpEndpoint`. */
    async function services(serviceName: string, otlpEndpoint: string) {
      const procs = new Map<string, OwnService>();
      for (const tenant of TENANTS) {
        const s = await startOtelHttpService({
          tenant,
          serviceName,
          otlpEndpoint,
          exportIntervalMs: EXPORT_MS,
        });
        cleanup.push(() => s.stop());
        procs.set(tenant, s);
      }
      const router: TenantRouter = await startTenantRouter(new Map([...procs].map(([t, s]) => [t, s.port])));
      cleanup.push(() => router.stop());
      // The profile selects this test's services only (an extra matcher).
      const base = await loadServiceProfile('otel-http-stable');
      const profile = parseServiceProfile(
        { ...base, matchers: { service_name: serviceName } },
        'test profile',
      );
      return { procs, router, profile };
    }

    it('green: exact counts per tenant × status, from the histogram count alone', async () => {
      const { procs, router, profile } = await services('checkout-green', vm.otlpEndpoint);
      // Earlier traffic the service already counted: the snapshot holds it, the run must not count it.
      for (const s of procs.values()) for (let i = 0; i < 5; i++) await fetch(`${s.url}/api?sc=200`);
      await new Promise((r) => setTimeout(r, 4 * EXPORT_MS));
      const report = await loadAndVerify({
        runId: 'own-otel-green',
        target: router.url,
        profile,
        promUrl: vm.promUrl,
        timeoutMs: 20_000,
        settleMs: 2 * EXPORT_MS,
      });
      expect(report.ok, problemsOf(report)).toBe(true);
      const cells = report.service![0]!.cells;
      expect(new Set(cells.map((c) => c.tenant))).toEqual(new Set(TENANTS));
      expect(cells.every((c) => c.found === c.expected && c.expected > 0)).toBe(true);
      expect(cells.reduce((n, c) => n + c.found, 0)).toBe(report.manifest!.totals.answered);
      const snapshot = report.manifest!.service!.snapshot;
      expect(snapshot.tenants.map((t) => t.tenant)).toEqual(TENANTS);
      expect(snapshot.tenants.map((t) => t.series.reduce((n, s) => n + s.value, 0))).toEqual([5, 5, 5]);
    });

    it('red naming the tenant when its series are dropped on the way (a vmagent relabel drop)', async () => {
      let agent: Vmagent | undefined;
      agent = await startVmagent({
        writeUrl: `${vm.url}/api/v1/write`,
        dropLabel: { name: 'service_namespace', value: 'tenant-c' },
      });
      cleanup.push(() => agent!.stop());
      const { router, profile } = await services('checkout-drop', agent.otlpEndpoint);
      const report = await loadAndVerify({
        runId: 'own-otel-drop',
        target: router.url,
        profile,
        promUrl: vm.promUrl,
        timeoutMs: 8000,
        settleMs: 2 * EXPORT_MS,
      });
      expect(report.ok).toBe(false);
      const problems = report.service![0]!.problems;
      expect(problems.length).toBeGreaterThan(0);
      expect(
        problems.every((p) => /^found 0 requests for tenant-c \d{3}, sent \d+: \d+ did not arrive/.test(p)),
        problemsOf(report),
      ).toBe(true);
    });

    it('red "not from this run" when other requests reach the service during the run', async () => {
      const { procs, router, profile } = await services('checkout-busy', vm.otlpEndpoint);
      const report = await loadAndVerify({
        runId: 'own-otel-busy',
        target: router.url,
        profile,
        promUrl: vm.promUrl,
        timeoutMs: 20_000,
        settleMs: 2 * EXPORT_MS,
        during: async () => {
          // 7 requests of someone else to tenant-a's service, straight past the load: 4 during the
          // load, 3 more just after it, when verify may already have seen the first 4. All 7 are named.
          const other = () => fetch(`${procs.get('tenant-a')!.url}/api?sc=200`);
          await new Promise((r) => setTimeout(r, 300));
          for (let i = 0; i < 4; i++) await other();
          await new Promise((r) => setTimeout(r, 1200));
          for (let i = 0; i < 3; i++) await other();
        },
      });
      expect(report.ok).toBe(false);
      expect(report.service![0]!.problems, problemsOf(report)).toEqual([
        expect.stringMatching(
          /^found [\d,]+ requests for tenant-a 200, sent [\d,]+: 7 are not from this run — run on an idle service, or filter with a label$/,
        ),
      ]);
    });

    it('a counter reset mid-run (tenant-b restarted): counts still exact', async () => {
      const { procs, router, profile } = await services('checkout-reset', vm.otlpEndpoint);
      const report = await loadAndVerify({
        runId: 'own-otel-reset',
        target: router.url,
        profile,
        promUrl: vm.promUrl,
        timeoutMs: 20_000,
        settleMs: 2 * EXPORT_MS,
        // A pause in the middle: the restart happens there, and the new process then gets far fewer
        // requests than the old one counted, so its first export is a visible drop. (A new process
        // that counts past the old value before its first export is a reset no backend can see: the
        // same limit as Prometheus' increase. docs/verify.md.)
        stages: [
          { durationMs: 1500, fromPerSec: 200, toPerSec: 200 },
          { durationMs: 3000, fromPerSec: 0, toPerSec: 0 },
          { durationMs: 1500, fromPerSec: 30, toPerSec: 30 },
        ],
        during: async () => {
          // Let tenant-b's counts reach the backend, then restart it: the new process counts from 0.
          await new Promise((r) => setTimeout(r, 1500 + 3 * EXPORT_MS));
          // Meanwhile tenant-b's requests wait in the router (refused connections are retried).
          await procs.get('tenant-b')!.stop();
          const again = await startOtelHttpService({
            tenant: 'tenant-b',
            serviceName: 'checkout-reset',
            otlpEndpoint: vm.otlpEndpoint,
            exportIntervalMs: EXPORT_MS,
          });
          cleanup.push(() => again.stop());
          router.routes.set('tenant-b', again.port);
        },
      });
      expect(report.ok, problemsOf(report)).toBe(true);
      const b = report.service![0]!.cells.filter((c) => c.tenant === 'tenant-b');
      expect(b.every((c) => c.found === c.expected && c.expected > 0)).toBe(true);
    });
  },
);
