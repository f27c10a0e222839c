/**
 * Every kind verified exactly, per tenant × status, against real backends: the OTel SDK exports a run
 * of known counts in one kind (test/helpers/kind-export.ts), verify reads what the backend holds.
 * - VictoriaMetrics (one store, tenants split by client_id): cumulative explicit → exact; exponential
 *   → changed (vmrange buckets), a pass only when accepted; delta → missing, naming its own counter
 *   of dropped rows and the fixes.
 * - Cortex v1.20.1 with native histograms and raw delta on, one tenant per X-Scope-OrgID: cumulative
 *   explicit, exponential (as a native histogram) and delta (raw deltas, summed) → exact.
 * - Cortex with both off: delta → missing (it refuses the export: 400); exponential → missing (the
 *   histogram is dropped without an error, the counter stored).
 * Each turns red when what it checks breaks: one tenant's export left out is named.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_HEADER } from '../../src/telemetry/names.js';
import { realClock } from '../../src/util/clock.js';
import { defaultBackendMetricsUrl } from '../../src/verify/kinds/backend-drops.js';
import type { SentKind } from '../../src/verify/kinds/kind.js';
import { PromClient } from '../../src/verify/prom-client.js';
import { PrometheusSource } from '../../src/verify/prometheus-source.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { runVerify } from '../../src/verify/verify.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { TOOL_DIR as CORTEX_TOOL_DIR, type Cortex, cortexAvailable, startCortex } from '../helpers/cortex.js';
import { exportKindRun, type KindRunResult } from '../helpers/kind-export.js';

const COUNTS = { 'tenant-1': { 200: 7, 404: 3 }, 'tenant-2': { 200: 4, 500: 2 } };
const kind = (temporality: SentKind['temporality'], histogram: SentKind['histogram']): SentKind => ({
  protocol: 'http/protobuf',
  temporality,
  histogram,
});
let runs = 0;
const runId = (what: string) => `kinds-${what}-${process.pid}-${++runs}`;

async function verifyIn(
  backend: { promUrl: string },
  run: KindRunResult,
  opts: { isolated: boolean; timeoutMs: number; acceptChanges?: string[]; metricsUrl?: string },
): Promise<VerifyReport> {
  const tenantHeader = opts.isolated ? TENANT_HEADER : null;
  const client = new PromClient({ baseUrl: backend.promUrl, tenantHeader, headers: {}, timeoutMs: 5_000 });
  const source = new PrometheusSource(client, { tenantHeader });
  try {
    return await runVerify({
      expectation: run.expectation,
      source,
      clock: realClock,
      timeoutMs: opts.timeoutMs,
      tenantHeader,
      ...(opts.acceptChanges ? { acceptChanges: opts.acceptChanges } : {}),
      ...(opts.metricsUrl ? { backendMetricsUrl: opts.metricsUrl } : {}),
    });
  } finally {
    await source.close();
  }
}

/** The kind check's result per tenant, and the failures of the other checks (none expected). */
function kindOf(report: VerifyReport) {
  const byTenant = Object.fromEntries(
    report.results.filter((r) => r.check === 'kind').map((r) => [r.tenant, r] as const),
  );
  const otherFailures = report.results.filter((r) => r.check !== 'kind' && !r.ok);
  const verdicts = Object.fromEntries((report.kinds?.tenants ?? []).map((v) => [v.tenant, v] as const));
  return { byTenant, otherFailures, verdicts };
}

/** Every tenant × status: the counter and the histogram's count as found equal the manifest's. */
function expectExactCounts(report: VerifyReport) {
  for (const [tenant, byStatus] of Object.entries(COUNTS)) {
    const v = report.kinds?.tenants.find((t) => t.tenant === tenant);
    expect(v, tenant).toBeDefined();
    expect(v!.byStatus).toEqual(
      Object.entries(byStatus).map(([s, n]) => ({
        status: Number(s),
        expected: String(n),
        counter: n,
        histogram: n,
      })),
    );
  }
}

const withVm = backendsAvailable('verify every kind against VictoriaMetrics');

describe.skipIf(!withVm)('every kind against VictoriaMetrics (one store)', () => {
  const vm = useVictoriaMetrics();

  it('cumulative explicit → exact, every check green', async () => {
    const run = await exportKindRun({
      runId: runId('vm-ce'),
      counts: COUNTS,
      kind: kind('cumulative', 'explicit'),
      endpoint: vm.otlpEndpoint,
    });
    const report = await verifyIn(vm, run, { isolated: false, timeoutMs: 20_000 });
    const { byTenant, otherFailures, verdicts } = kindOf(report);
    expect(otherFailures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(Object.values(verdicts).map((v) => [v.tenant, v.outcome, v.arrived])).toEqual([
      ['tenant-1', 'exact', 'classic'],
      ['tenant-2', 'exact', 'classic'],
    ]);
    // The default form is proven by the seven checks; the kind check row is for the other forms.
    expect(byTenant['tenant-1']).toBeUndefined();
    expectExactCounts(report);
  });

  it('exponential → changed (vmrange buckets, counts exact): red unless accepted by name', async () => {
    const run = await exportKindRun({
      runId: runId('vm-ex'),
      counts: COUNTS,
      kind: kind('cumulative', 'exponential'),
      endpoint: vm.otlpEndpoint,
    });
    const red = await verifyIn(vm, run, { isolated: false, timeoutMs: 3_000 });
    const { byTenant, otherFailures, verdicts } = kindOf(red);
    // The seven checks pass on the form that arrived: only the kind says it changed.
    expect(otherFailures).toEqual([]);
    expect(red.ok).toBe(false);
    for (const t of ['tenant-1', 'tenant-2']) {
      expect(verdicts[t]).toMatchObject({
        outcome: 'changed',
        change: 'vmrange-buckets',
        arrived: 'vmrange',
        accepted: false,
      });
      expect(verdicts[t]!.hop).toMatch(/VictoriaMetrics converts exponential histograms to vmrange buckets/);
      expect(byTenant[t]!.problems[0]).toMatch(
        /^changed \(vmrange-buckets\): exponential histogram arrived as VictoriaMetrics' own vmrange buckets.*acceptChanges: vmrange-buckets/,
      );
    }
    expectExactCounts(red);
    const accepted = await verifyIn(vm, run, {
      isolated: false,
      timeoutMs: 20_000,
      acceptChanges: ['vmrange-buckets'],
    });
    expect(accepted.ok).toBe(true);
    expect(kindOf(accepted).byTenant['tenant-2']!.found).toBe('changed (vmrange-buckets, accepted)');
  });

  it("exponential with one tenant's export left out → red naming that tenant, the other still changed", async () => {
    const run = await exportKindRun({
      runId: runId('vm-ex-lost'),
      counts: COUNTS,
      kind: kind('cumulative', 'exponential'),
      endpoint: vm.otlpEndpoint,
      skipExport: ['tenant-2'],
    });
    const report = await verifyIn(vm, run, {
      isolated: false,
      timeoutMs: 3_000,
      acceptChanges: ['vmrange-buckets'],
    });
    const { byTenant, verdicts } = kindOf(report);
    expect(report.ok).toBe(false);
    expect(verdicts['tenant-1']).toMatchObject({ outcome: 'changed', accepted: true });
    expect(verdicts['tenant-2']!.outcome).toBe('missing');
    expect(byTenant['tenant-2']!.problems[0]).toMatch(/no series of the run in tenant "tenant-2"/);
  });

  it('delta → missing: "not stored", with VictoriaMetrics\' own dropped-rows counter and the fixes', async () => {
    const run = await exportKindRun({
      runId: runId('vm-de'),
      counts: COUNTS,
      kind: kind('delta', 'explicit'),
      endpoint: vm.otlpEndpoint,
    });
    // VictoriaMetrics answers every delta export with success (measured): the SDK sees no failure.
    expect(Object.values(run.exports).map((e) => e.errors)).toEqual([[], []]);
    const report = await verifyIn(vm, run, {
      isolated: false,
      timeoutMs: 3_000,
      metricsUrl: defaultBackendMetricsUrl(vm.promUrl),
    });
    const { byTenant, verdicts } = kindOf(report);
    expect(report.ok).toBe(false);
    for (const t of ['tenant-1', 'tenant-2']) {
      expect(verdicts[t]!.outcome).toBe('missing');
      expect(verdicts[t]!.how).toMatch(/^delta sums and histograms not stored/);
      expect(verdicts[t]!.how).toMatch(
        /vm_protoparser_rows_dropped_total\{reason="unsupported_sum_aggregation"\} = \d+/,
      );
      expect(verdicts[t]!.how).toMatch(/unsupported_histogram_aggregation/);
      expect(verdicts[t]!.fixes!.join('\n')).toMatch(
        /otelcol\.processor\.deltatocumulative[\s\S]*otel_native_delta_ingestion/,
      );
      expect(byTenant[t]!.status).toBe('fail');
    }
  });
});

const withCortex = cortexAvailable('verify every kind against Cortex v1.20.1');

// Skipped, the title says why (and toolAvailable printed it); under CI=true it threw instead.
describe.skipIf(!withCortex)(
  withCortex
    ? 'every kind against Cortex v1.20.1 (X-Scope-OrgID per tenant)'
    : `every kind against Cortex v1.20.1 — SKIPPED: no Cortex at ${CORTEX_TOOL_DIR}`,
  () => {
    describe('native histograms and raw delta on', () => {
      let cortex: Cortex;
      beforeAll(async () => {
        cortex = await startCortex({ nativeHistograms: true, allowDelta: true });
      });
      afterAll(async () => {
        await cortex?.stop();
      });
      const send = (what: string, k: SentKind, skipExport?: string[]) =>
        exportKindRun({
          runId: runId(`cx-${what}`),
          counts: COUNTS,
          kind: k,
          endpoint: cortex.otlpEndpoint,
          tenantHeader: true,
          ...(skipExport ? { skipExport } : {}),
        });

      for (const [what, k, arrived] of [
        ['cumulative explicit', kind('cumulative', 'explicit'), 'classic'],
        ['exponential (as a native histogram)', kind('cumulative', 'exponential'), 'native'],
        ['delta explicit (raw deltas, summed)', kind('delta', 'explicit'), 'classic'],
        ['delta exponential (raw native deltas, summed)', kind('delta', 'exponential'), 'native'],
        // serve's ObservableCounter: lowmemory keeps it cumulative (the spec), the histogram delta.
        [
          'lowmemory explicit (observable counter cumulative, histogram raw deltas)',
          { ...kind('lowmemory', 'explicit'), requestCounter: 'observable' },
          'classic',
        ],
        [
          'delta explicit with the observable counter',
          { ...kind('delta', 'explicit'), requestCounter: 'observable' },
          'classic',
        ],
      ] as const) {
        it(`${what} → exact per tenant × status`, async () => {
          const run = await send(what.split(' ')[0]!, k);
          const report = await verifyIn(cortex, run, { isolated: true, timeoutMs: 20_000 });
          const { otherFailures, verdicts } = kindOf(report);
          expect(otherFailures).toEqual([]);
          expect(report.ok).toBe(true);
          expect(report.isolated).toBe(true);
          for (const t of ['tenant-1', 'tenant-2'])
            expect(verdicts[t]).toMatchObject({ outcome: 'exact', arrived });
          expectExactCounts(report);
        });
      }

      it('lowmemory read as if its counter were delta (a synchronous Counter) → red: the counter over-counted', async () => {
        const sent = { ...kind('lowmemory', 'explicit'), requestCounter: 'observable' } as const;
        const run = await exportKindRun({
          runId: runId('cx-lowmem-misread'),
          counts: COUNTS,
          kind: sent,
          endpoint: cortex.otlpEndpoint,
          tenantHeader: true,
          batches: 3,
        });
        const { requestCounter: _, ...asSynchronous } = sent;
        const misread = { ...run, expectation: { ...run.expectation, kind: asSynchronous } };
        const report = await verifyIn(cortex, misread, { isolated: true, timeoutMs: 3_000 });
        expect(report.ok).toBe(false);
        const right = await verifyIn(cortex, run, { isolated: true, timeoutMs: 20_000 });
        expect(right.ok).toBe(true);
      });

      it("exponential with one tenant's export left out → red naming that tenant", async () => {
        const run = await send('ex-lost', kind('cumulative', 'exponential'), ['tenant-1']);
        const report = await verifyIn(cortex, run, { isolated: true, timeoutMs: 3_000 });
        const { verdicts } = kindOf(report);
        expect(report.ok).toBe(false);
        expect(verdicts['tenant-2']!.outcome).toBe('exact');
        expect(verdicts['tenant-1']!.outcome).toBe('missing');
        expect(
          report.results.find((r) => r.tenant === 'tenant-1' && r.check === 'kind')!.problems[0],
        ).toMatch(/no series of the run in tenant "tenant-1"/);
      });
    });

    describe('native histograms and delta off (the defaults)', () => {
      let cortex: Cortex;
      beforeAll(async () => {
        cortex = await startCortex();
      });
      afterAll(async () => {
        await cortex?.stop();
      });

      it('delta → missing: Cortex refuses the export (400), nothing stored', async () => {
        const run = await exportKindRun({
          runId: runId('cxoff-de'),
          counts: COUNTS,
          kind: kind('delta', 'explicit'),
          endpoint: cortex.otlpEndpoint,
          tenantHeader: true,
        });
        for (const e of Object.values(run.exports)) {
          expect(e.ok).toBe(0);
          expect(e.errors.length).toBeGreaterThan(0);
          expect(e.errors[0]).toMatch(/Bad Request/);
        }
        const report = await verifyIn(cortex, run, { isolated: true, timeoutMs: 3_000 });
        const { verdicts } = kindOf(report);
        expect(report.ok).toBe(false);
        for (const t of ['tenant-1', 'tenant-2']) {
          expect(verdicts[t]!.outcome).toBe('missing');
          expect(verdicts[t]!.how).toMatch(/^delta sums and histograms not stored/);
          expect(verdicts[t]!.hop).toMatch(
            /Cortex without -distributor\.otlp\.allow-delta-temporality skips each delta metric .*answers 400 only when nothing else of the export converted/,
          );
        }
      });

      it('delta beside a cumulative up-down counter → the export is answered 200, the delta metrics dropped silently', async () => {
        const run = await exportKindRun({
          runId: runId('cxoff-de-mixed'),
          counts: COUNTS,
          kind: kind('delta', 'explicit'),
          endpoint: cortex.otlpEndpoint,
          tenantHeader: true,
          withActiveRequests: true,
        });
        // Cortex answers 400 only when nothing of the request converted (pkg/util/push/otlp.go).
        expect(Object.values(run.exports).map((e) => e.errors)).toEqual([[], []]);
        const report = await verifyIn(cortex, run, { isolated: true, timeoutMs: 3_000 });
        const { verdicts } = kindOf(report);
        expect(report.ok).toBe(false);
        for (const t of ['tenant-1', 'tenant-2']) {
          expect(verdicts[t]!.outcome).toBe('missing');
          expect(verdicts[t]!.how).toMatch(/^delta sums and histograms not stored/);
        }
        // The up-down counter (cumulative under a delta preference) arrived: the export was not refused.
        const gauge = await cortex.query(
          'tenant-1',
          `http_server_active_requests{otelpoc_run_id="${run.expectation.runId}"}`,
        );
        expect(gauge.length).toBe(Object.keys(COUNTS['tenant-1']).length);
      });

      it('exponential → missing: the counter stored, the histogram dropped without an error', async () => {
        const run = await exportKindRun({
          runId: runId('cxoff-ex'),
          counts: COUNTS,
          kind: kind('cumulative', 'exponential'),
          endpoint: cortex.otlpEndpoint,
          tenantHeader: true,
        });
        expect(Object.values(run.exports).map((e) => e.errors)).toEqual([[], []]);
        const report = await verifyIn(cortex, run, {
          isolated: true,
          timeoutMs: 3_000,
          metricsUrl: defaultBackendMetricsUrl(cortex.promUrl),
        });
        const { verdicts } = kindOf(report);
        expect(report.ok).toBe(false);
        for (const t of ['tenant-1', 'tenant-2']) {
          expect(verdicts[t]).toMatchObject({ outcome: 'missing', arrived: 'none' });
          expect(verdicts[t]!.how).toMatch(/exponential histogram was not stored \(the counter was\)/);
          // Cortex's per-tenant cortex_discarded_samples_total{reason="native-histogram-sample"} is named when
          // it can be read (kinds.test.ts), but it was seen on /metrics in 1 of 3 probes here: not asserted.
          expect(verdicts[t]!.fixes!.join('\n')).toMatch(
            /enable-native-histograms[\s\S]*send_native_histograms/,
          );
          expect(verdicts[t]!.byStatus.map((s) => s.counter)).toEqual(Object.values(COUNTS[t as 'tenant-1']));
        }
      });
    });
  },
);
