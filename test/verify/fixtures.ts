/** Hand-built expectations and samples for the pure checks: exactly what a correct pipeline shows. */

import { totalsOf } from '../../src/load/result.js';
import type { RunManifest } from '../../src/manifest/schema.js';
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
  return {
    runId: RUN,
    shards,
    timeoutMs: 5000,
    startedAtMs: Date.parse('2026-11-25T10:00:00Z'),
    endedAtMs: Date.parse('2026-11-25T10:00:01Z'),
    tenants,
  };
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

/**
 * A manifest written by a real `otelpoc load --serve` (300 requests scheduled, 3 tenants with an
 * anonymous share, 200/404/500, 133 dropped at --max-inflight 4), to tamper with in tests. The run
 * wrote schema version 1 (fixtures/load-manifest.json, kept as written); load-manifest.v2.json is
 * the same run as version 2 reads it.
 */
export async function realLoadManifest(): Promise<RunManifest> {
  return JSON.parse(await realLoadManifestText(2)) as RunManifest;
}

/** The fixture's text in schema version 1 (as the run wrote it) or 2. */
export async function realLoadManifestText(version: 1 | 2): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const name = version === 1 ? 'load-manifest.json' : 'load-manifest.v2.json';
  return readFile(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
}

/**
 * Makes an edited manifest add up again: totals, errors and latency counts recomputed from its cells
 * (unanswered counted as timeouts), so a test can change what tenants got and still pass the reader.
 */
export function reconciled(m: RunManifest): RunManifest {
  const totals = totalsOf(m.tenants);
  const responses = totals.answered + totals.mismatched;
  const { sendLateness, ...latency } = m.latency;
  // The per-second timeline (optional) told the story of the counts before the edit: it goes.
  const { timeline: _timeline, ...rest } = m;
  return {
    ...rest,
    totals,
    errors: {
      refused: totals.refused,
      reset: 0,
      timeout: totals.unanswered,
      statusMismatch: totals.mismatched,
      other: 0,
    },
    latency: {
      service: { ...latency.service, count: responses },
      scheduleCorrected: { ...latency.scheduleCorrected, count: responses },
      ...(sendLateness ? { sendLateness: { ...sendLateness, count: totals.sent } } : {}),
    },
  };
}
