/**
 * verify's query of a shared store, split by client_id (src/verify/query-batches.ts), against a real
 * VictoriaMetrics: the parts together answer exactly what the one query answers, each series once,
 * whatever the client_id values hold (regex and PromQL metacharacters), and the series with a
 * client_id the run never sent, or none, are still seen.
 */
import { describe, expect, it } from 'vitest';
import { PromClient } from '../../src/verify/prom-client.js';
import { PrometheusSource } from '../../src/verify/prometheus-source.js';
import { clientIdMatchers } from '../../src/verify/query-batches.js';
import type { Sample } from '../../src/verify/types.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, pollUntil } from '../helpers/backends.js';

const enabled = backendsAvailable('verify query batches (VictoriaMetrics)');

/**
 * The run's client_ids: plain ones, and ones a regex or a PromQL string would misread unescaped
 * (sorted into groups of 2, "a.b" unescaped would match "axb" of the next group too).
 */
const SENT = ['t1', 't2', 't3', 't4', 't5', 'a.b', 'axb', 'x|y', 'q"uote', 'back\\slash', 'star*', '(p)'];
/** Series the split must not lose: client_ids nobody sent (some a wrong regex would match), none. */
const OTHER = ['stranger', 'x', 'y', 'p'];

function id(s: Sample): string {
  return `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
}

describe.skipIf(!enabled)('a shared store queried in client_id groups', () => {
  const vm = useVictoriaMetrics();

  it('answers every series of the one query, each once', async () => {
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const lines = [
      ...[...SENT, ...OTHER].map(
        (c) => `http_server_request_total{otelpoc_run_id="qb",client_id="${esc(c)}"} 3`,
      ),
      'http_server_request_total{otelpoc_run_id="qb"} 1',
      'http_server_request_total{otelpoc_run_id="other-run",client_id="t1"} 9',
    ];
    const res = await fetch(`${vm.url}/api/v1/import/prometheus`, {
      method: 'POST',
      body: `${lines.join('\n')}\n`,
    });
    expect(res.status).toBe(204);
    const client = new PromClient({
      baseUrl: vm.promUrl,
      tenantHeader: null,
      headers: {},
      timeoutMs: 10_000,
    });
    const whole = new PrometheusSource(client, { tenantHeader: null });
    const split = new PrometheusSource(client, { tenantHeader: null, clientIdsPerQuery: 2 });
    expect(clientIdMatchers(SENT, 2)).toHaveLength(7);
    try {
      const all = await pollUntil(
        async () => {
          await vm.forceFlush();
          const o = await whole.observe([], 'qb', { windowMs: 600_000 });
          return !o.isolated && o.all.length === SENT.length + OTHER.length + 1 ? o.all : undefined;
        },
        { timeoutMs: 20_000, describe: () => 'the imported series to show up' },
      );
      const o = await split.observe([], 'qb', { windowMs: 600_000, clientIds: SENT });
      if (o.isolated) throw new Error('not a shared store');
      expect(o.all.map(id).sort()).toEqual(all.map(id).sort());
      expect(split.explain([], 'qb', 600_000, undefined, SENT)).toHaveLength(7 + 2);
    } finally {
      await client.close();
    }
  });
});
