/** Hand-built expectations and samples for the pure checks: exactly what a correct pipeline shows. */
import { DURATION_BUCKETS_S, PROM } from '../../src/telemetry/names.js';
import type { RunExpectation, TenantExpectation } from '../../src/verify/expectations.js';
import type { Sample } from '../../src/verify/types.js';

export const RUN = 'run-1';

export function tenantExp(
  tenant: string,
  byStatus: Record<number, number>,
  extra: Partial<TenantExpectation> = {},
): TenantExpectation {
  const received = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const unanswered = extra.unanswered ?? 0;
  return {
    tenant,
    clientIds: [tenant === 'anonymous' ? '' : tenant],
    sent: received + unanswered,
    received,
    unanswered,
    refused: 0,
    byStatus: Object.entries(byStatus).map(([s, n]) => ({ status: Number(s), min: n, max: n + unanswered })),
    // Each request took the client 20 ms; the server measures 10 ms of it (see samplesFor).
    latencySumMs: received * 20,
    latencyMaxMs: 20,
    ...extra,
  };
}

export function runExp(tenants: TenantExpectation[], shards = 1): RunExpectation {
  return { runId: RUN, shards, timeoutMs: 5000, endedAtMs: Date.parse('2026-11-25T10:00:01Z'), tenants };
}

/** The 18 series per status a correct pipeline shows, each request 10 ms on the server. */
export function samplesFor(
  clientId: string | null,
  byStatus: Record<number, number>,
  serverS = 0.01,
): Sample[] {
  const out: Sample[] = [];
  for (const [status, n] of Object.entries(byStatus)) {
    const labels: Record<string, string> = {
      [PROM.labels.runId]: RUN,
      [PROM.labels.statusCode]: status,
      http_request_method: 'GET',
      service_name: 'otelpoc',
    };
    if (clientId) labels[PROM.labels.clientId] = clientId;
    out.push({ name: PROM.requestTotal, labels, value: n });
    out.push({ name: PROM.durationCount, labels, value: n });
    out.push({ name: PROM.durationSum, labels, value: n * serverS });
    for (const b of DURATION_BUCKETS_S) {
      out.push({
        name: PROM.durationBucket,
        labels: { ...labels, le: String(b) },
        value: b >= serverS ? n : 0,
      });
    }
    out.push({ name: PROM.durationBucket, labels: { ...labels, le: '+Inf' }, value: n });
  }
  return out;
}

export function withValue(
  samples: Sample[],
  pick: (s: Sample) => boolean,
  value: (v: number) => number,
): Sample[] {
  return samples.map((s) => (pick(s) ? { ...s, value: value(s.value) } : s));
}
