/** What the "prove your own service" tests share: one load + verify by a profile, through runPipeline. */

import type { ServiceProfile } from '../../src/manifest/service.js';
import { runPipeline } from '../../src/pipeline/index.js';
import type { PrometheusBackend, RunReport } from '../../src/pipeline/types.js';
import { testPlan } from '../load/plan-fixture.js';

export const TENANTS = ['tenant-a', 'tenant-b', 'tenant-c'];

export function backendAt(promUrl: string): PrometheusBackend {
  return {
    url: promUrl,
    given: true,
    urlFlag: '--url',
    headers: {},
    tenantHeader: null,
    queryTimeoutMs: 5000,
  };
}

/**
 * 240 requests over 1.2 s, three tenants, 200/404/500 mixed, to `target`; then verify by `profile`.
 * `during` runs while the load is on (other traffic, a restart).
 */
export async function loadAndVerify(opts: {
  runId: string;
  target: string;
  profile: ServiceProfile;
  promUrl: string;
  timeoutMs: number;
  settleMs: number;
  during?: () => Promise<void>;
  durationMs?: number;
  /** Instead of 200/s for durationMs. */
  stages?: { durationMs: number; fromPerSec: number; toPerSec: number }[];
}): Promise<RunReport> {
  const backend = backendAt(opts.promUrl);
  const stages = opts.stages ?? [{ durationMs: opts.durationMs ?? 1200, fromPerSec: 200, toPerSec: 200 }];
  const durationMs = stages.reduce((n, st) => n + st.durationMs, 0);
  const run = runPipeline(
    {
      load: {
        config: testPlan({
          runId: opts.runId,
          target: `${opts.target}/api`,
          stages,
          durationMs,
          tenants: TENANTS.map((clientId) => ({ clientId, weight: 1 })),
          statusMix: [
            { status: 200, weight: 6 },
            { status: 404, weight: 3 },
            { status: 500, weight: 1 },
          ],
        }),
        cwd: process.cwd(),
        write: false,
        service: { profile: opts.profile, backend },
      },
      verify: {
        backend,
        serviceProfile: opts.profile,
        timeoutMs: opts.timeoutMs,
        settle: { ms: opts.settleMs, why: 'the test' },
        defaultTenant: 'default',
        alsoTenants: [],
        explain: false,
      },
    },
    { env: {}, warn: () => {} },
  );
  await opts.during?.();
  return run;
}

/** The report's problems, for assertion messages. */
export function problemsOf(report: RunReport): string {
  return JSON.stringify(report.service?.flatMap((r) => r.problems) ?? report, null, 1);
}
