/**
 * Test helper: sends requests to /api and writes down exactly what was sent and received as a
 * RunManifest, the way `otelpoc load` does, so verify can be tested against what really reached a
 * server (and, through it, a real backend).
 */
import { parseManifest } from '../../src/manifest/parse.js';
import { emptyStatusCounts, MANIFEST_SCHEMA_VERSION, type RunManifest } from '../../src/manifest/schema.js';

export interface Send {
  clientId: string | null;
  status: number;
  n: number;
}

export async function sendTraffic(apiUrl: string, runId: string, sends: Send[]): Promise<RunManifest> {
  const startedAt = new Date().toISOString();
  type Cell = RunManifest['tenants'][number]['byStatus'][number];
  const tenants = new Map<string | null, { byStatus: Map<number, Cell>; received: Record<string, number> }>();
  const latencies: number[] = [];
  await Promise.all(
    sends.flatMap((s) =>
      Array.from({ length: s.n }, async () => {
        let t = tenants.get(s.clientId);
        if (!t) {
          t = { byStatus: new Map(), received: {} };
          tenants.set(s.clientId, t);
        }
        let cell = t.byStatus.get(s.status);
        if (!cell) {
          cell = emptyStatusCounts(s.status);
          t.byStatus.set(s.status, cell);
        }
        cell.sent++;
        const headers: Record<string, string> = { 'X-Run-ID': runId };
        if (s.clientId) headers['Client-ID'] = s.clientId;
        const t0 = performance.now();
        const res = await fetch(`${apiUrl}?sc=${s.status}`, { headers });
        await res.arrayBuffer();
        const ms = performance.now() - t0;
        latencies.push(ms);
        if (res.status === s.status) cell.answered++;
        else cell.mismatched++;
        cell.latencySumMs += ms;
        cell.latencyMaxMs = Math.max(cell.latencyMaxMs, ms);
        t.received[String(res.status)] = (t.received[String(res.status)] ?? 0) + 1;
      }),
    ),
  );
  const total = latencies.length;
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  const summary = {
    count: total,
    minMs: sorted[0] ?? 0,
    meanMs: total ? latencies.reduce((a, b) => a + b, 0) / total : 0,
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p99Ms: q(0.99),
    p999Ms: q(0.999),
    maxMs: sorted.at(-1) ?? 0,
  };
  const manifest: RunManifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    tool: { name: 'otelpoc', version: 'test' },
    runId,
    target: apiUrl,
    startedAt,
    endedAt: new Date().toISOString(),
    interrupted: false,
    config: {
      runId,
      target: apiUrl,
      model: 'closed',
      stages: [],
      durationMs: null,
      requests: total,
      connections: 1,
      maxInflight: 1000,
      timeoutMs: 5000,
      tenants: [...tenants.keys()].map((clientId) => ({ clientId, weight: 1 })),
      statusMix: [...new Set(sends.map((s) => s.status))].map((status) => ({ status, weight: 1 })),
      anonymousPercent: 0,
      scenario: null,
      thresholds: {},
    },
    tenants: [...tenants.entries()].map(([clientId, t]) => ({
      clientId,
      byStatus: [...t.byStatus.values()],
      receivedByStatus: t.received,
    })),
    totals: {
      scheduled: total,
      dropped: 0,
      sent: total,
      answered: total,
      mismatched: 0,
      unanswered: 0,
      refused: 0,
    },
    errors: { refused: 0, reset: 0, timeout: 0, statusMismatch: 0, other: 0 },
    rate: { targetPerSec: null, achievedPerSec: 0 },
    latency: { service: summary, scheduleCorrected: summary },
  };
  return parseManifest(manifest, 'test manifest');
}
