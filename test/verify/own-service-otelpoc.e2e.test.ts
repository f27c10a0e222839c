/**
 * The otelpoc profile on otelpoc's own serve (no run-label selector used): the histogram's count
 * and otelpoc's request counter must agree; a manifest without a snapshot is refused.
 */
import { describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import { runPipeline } from '../../src/pipeline/index.js';
import { resolveOtlpConfig } from '../../src/telemetry/config.js';
import { UsageError } from '../../src/util/errors.js';
import { PromClient } from '../../src/verify/prom-client.js';
import { takeServiceSnapshot } from '../../src/verify/service/counts.js';
import { loadServiceProfile, parseServiceProfile } from '../../src/verify/service/profile.js';
import { verifyService } from '../../src/verify/service/verify-service.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { testPlan } from '../load/plan-fixture.js';
import { backendAt, problemsOf } from './own-service-helpers.js';

describe.runIf(backendsAvailable('own service: the otelpoc profile'))('the otelpoc profile', () => {
  const vm = useVictoriaMetrics();
  let manifest: RunManifest | undefined;

  it('otelpoc serve, verified by counts alone: green, and its counter agrees with the histogram', async () => {
    const profile = await loadServiceProfile('otelpoc');
    const backend = backendAt(vm.promUrl);
    const report = await runPipeline(
      {
        serve: {
          delay: { minMs: 0, maxMs: 0 },
          maxTenants: 100,
          otlp: resolveOtlpConfig({ otlpEndpoint: vm.otlpEndpoint, exportIntervalMs: 500 }, {}),
          metrics: 'otlp',
        },
        load: {
          config: testPlan({
            runId: 'own-otelpoc',
            stages: [{ durationMs: 800, fromPerSec: 100, toPerSec: 100 }],
            durationMs: 800,
            tenants: [
              { clientId: 'tenant-1', weight: 1 },
              { clientId: 'tenant-2', weight: 1 },
            ],
            statusMix: [
              { status: 200, weight: 3 },
              { status: 503, weight: 1 },
            ],
          }),
          cwd: process.cwd(),
          write: false,
          service: { profile, backend },
        },
        verify: {
          backend,
          serviceProfile: profile,
          timeoutMs: 20_000,
          settle: { ms: 1000, why: 'the test' },
          defaultTenant: 'default',
          alsoTenants: [],
          explain: false,
        },
      },
      { env: {}, warn: () => {} },
    );
    expect(report.ok, problemsOf(report)).toBe(true);
    const cells = report.service![0]!.cells;
    expect(cells.length).toBe(4);
    expect(cells.every((c) => c.counter === c.found && c.found === c.expected)).toBe(true);
    manifest = report.manifest;
  });

  it('red when the counter and the histogram disagree (samples written straight into the backend)', async () => {
    expect(manifest, 'needs the run of the test before').toBeDefined();
    const profile = parseServiceProfile(
      {
        metric: 'crafted_duration_seconds',
        requestCounter: 'crafted_requests_total',
        labels: { status: 'code' },
        tenant: { label: 'client_id' },
      },
      'crafted',
    );
    const client = new PromClient({ baseUrl: vm.promUrl, tenantHeader: null, headers: {}, timeoutMs: 5000 });
    try {
      const t0 = Date.now();
      const snapshot = await takeServiceSnapshot(client, profile, ['tenant-1', 'tenant-2'], t0);
      // What the manifest says was answered, in both series, but one more in tenant-2's 200 counter.
      const lines: string[] = [];
      for (const t of manifest!.tenants) {
        for (const [code, n] of Object.entries(t.receivedByStatus)) {
          const labels = `client_id="${t.clientId}",code="${code}"`;
          const extra = t.clientId === 'tenant-2' && code === '200' ? 1 : 0;
          lines.push(`crafted_duration_seconds_count{${labels}} ${n} ${t0 + 1000}`);
          lines.push(`crafted_requests_total{${labels}} ${n + extra} ${t0 + 1000}`);
        }
      }
      const res = await fetch(`${vm.url}/api/v1/import/prometheus`, {
        method: 'POST',
        body: `${lines.join('\n')}\n`,
      });
      expect(res.status).toBe(204);
      await vm.forceFlush();
      // The run's counts, with the crafted profile's own snapshot (the run's was taken with otelpoc's).
      const { service: _, ...counts } = manifest!;
      const report = await verifyService({
        client,
        profile,
        manifest: counts,
        snapshot,
        timeoutMs: 4000,
        settleMs: 0,
        now: () => Date.now() + 1500,
      });
      expect(report.ok).toBe(false);
      expect(report.problems).toEqual([
        expect.stringMatching(
          /^tenant-2 200: the counter crafted_requests_total counted \d+, the histogram \d+: they must agree$/,
        ),
      ]);
    } finally {
      await client.close();
    }
  });

  it('refuses a manifest without a snapshot, with one line', async () => {
    expect(manifest).toBeDefined();
    const { service: _, ...without } = manifest!;
    const profile = await loadServiceProfile('otelpoc');
    const report = runPipeline(
      {
        verify: {
          backend: backendAt(vm.promUrl),
          manifests: [{ manifest: without, source: 'm.json' }],
          serviceProfile: profile,
          timeoutMs: 1000,
          defaultTenant: 'default',
          alsoTenants: [],
          explain: false,
        },
      },
      { env: {}, warn: () => {} },
    );
    await expect(report).rejects.toThrow(UsageError);
    await expect(report).rejects.toThrow(
      /^--service-profile otelpoc: the manifest of run own-otelpoc has no snapshot of the service's counts; run load with --service-profile/,
    );
  });

  it('refuses to verify with another profile than the snapshot was taken with', async () => {
    expect(manifest).toBeDefined();
    const client = new PromClient({ baseUrl: vm.promUrl, tenantHeader: null, headers: {}, timeoutMs: 5000 });
    try {
      const err = await verifyService({
        client,
        profile: await loadServiceProfile('otel-http-stable'),
        manifest: manifest!,
        snapshot: manifest!.service!.snapshot,
        timeoutMs: 1000,
        settleMs: 0,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(
        '--service-profile otel-http-stable: the manifest of run own-otelpoc took its snapshot with the profile otelpoc, which selects other series; verify with that profile',
      );
    } finally {
      await client.close();
    }
  });
});
