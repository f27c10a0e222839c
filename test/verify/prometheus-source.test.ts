/** The selector verify polls with: the run's every series, and one the backend was never asked before. */
import { describe, expect, it } from 'vitest';
import type { PromClient } from '../../src/verify/prom-client.js';
import { PrometheusSource, runSelector } from '../../src/verify/prometheus-source.js';

function recording(): { client: PromClient; queries: string[] } {
  const queries: string[] = [];
  const client = {
    baseUrl: 'http://x/prometheus',
    query: async (q: string) => {
      queries.push(q);
      return [];
    },
    close: async () => {},
  } as unknown as PromClient;
  return { client, queries };
}

describe('PrometheusSource', () => {
  it('asks a selector it never asked before on every poll, and in every source', async () => {
    const a = recording();
    const b = recording();
    const one = new PrometheusSource(a.client, { tenantHeader: null });
    const two = new PrometheusSource(b.client, { tenantHeader: null });
    await one.observe(['t'], 'r1');
    await one.observe(['t'], 'r1');
    await two.observe(['t'], 'r1');
    const all = [...a.queries, ...b.queries];
    expect(new Set(all).size).toBe(3);
    for (const q of all) expect(q).toMatch(/^\{otelpoc_run_id="r1",otelpoc_poll!="[0-9a-f]{8}-\d+"\}$/);
  });

  it('--explain shows the selector with <poll>, and a plain one for Grafana', () => {
    const { client } = recording();
    const lines = new PrometheusSource(client, { tenantHeader: 'X-Scope-OrgID' }).explain(['t1'], 'r1');
    expect(lines[0]).toBe(
      'POST http://x/prometheus/api/v1/query  X-Scope-OrgID: t1  query={otelpoc_run_id="r1",otelpoc_poll!="<poll>"}',
    );
    expect(lines.at(-1)).toContain(`(http_server_request_total${runSelector('r1')})`);
  });

  it('a delta run: observe sums each name over the window, and --explain shows those queries', async () => {
    const { client, queries } = recording();
    const source = new PrometheusSource(client, { tenantHeader: 'X-Scope-OrgID' });
    const delta = { protocol: 'http/protobuf', temporality: 'delta', histogram: 'explicit' } as const;
    await source.observe(['t1'], 'r1', { windowMs: 60_000, kind: delta });
    const asked = queries.map((q) => q.replace(/otelpoc_poll!="[^"]+"/, 'P'));
    expect(asked.filter((q) => q.startsWith('sum_over_time'))).toEqual(
      [
        'http_server_request_total',
        'http_server_request_duration_seconds_bucket',
        'http_server_request_duration_seconds_sum',
        'http_server_request_duration_seconds_count',
        'http_server_request_duration_seconds',
      ].map((n) => `sum_over_time(${n}{otelpoc_run_id="r1",P}[60s])`),
    );
    // The newest sample of each float series too: deltas converted to cumulative on the way (kinds/delta-storage.ts).
    expect(asked.filter((q) => !q.startsWith('sum_over_time'))).toEqual(
      [
        'http_server_request_total',
        'http_server_request_duration_seconds_bucket',
        'http_server_request_duration_seconds_sum',
        'http_server_request_duration_seconds_count',
      ].map((n) => `last_over_time(${n}{otelpoc_run_id="r1",P}[60s])`),
    );
    const lines = source.explain(['t1'], 'r1', 60_000, delta);
    expect(lines[0]).toBe(
      'POST http://x/prometheus/api/v1/query  X-Scope-OrgID: t1  query=sum_over_time(http_server_request_total{otelpoc_run_id="r1",otelpoc_poll!="<poll>"}[60s])',
    );
  });
});
