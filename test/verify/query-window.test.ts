import { describe, expect, it } from 'vitest';
import { runQuery, runSelector } from '../../src/verify/prometheus-source.js';
import {
  foreignInstances,
  foreignInstancesLine,
  QUERY_WINDOW_MARGIN_MS,
  queryWindowMs,
} from '../../src/verify/verify.js';

describe('the window verify reads a run in', () => {
  it('reaches from before the run start up to now, however long ago the run ended', () => {
    const started = 1_000_000_000;
    expect(queryWindowMs(started + 60_000, started)).toBe(60_000 + QUERY_WINDOW_MARGIN_MS);
    const dayLater = started + 24 * 3_600_000;
    expect(queryWindowMs(dayLater, started)).toBe(24 * 3_600_000 + QUERY_WINDOW_MARGIN_MS);
    // A clock behind the manifest's: never a negative window.
    expect(queryWindowMs(started - 10_000, started)).toBe(QUERY_WINDOW_MARGIN_MS);
  });

  it('asks for the newest sample of every series of the run in that window', () => {
    expect(runQuery(runSelector('r1', 'p-1'), 90_500)).toBe(
      'last_over_time({otelpoc_run_id="r1",otelpoc_poll!="p-1"}[91s])',
    );
    expect(runQuery(runSelector('r1'))).toBe('{otelpoc_run_id="r1"}');
  });
});

describe('series from another server instance', () => {
  const sample = (labels: Record<string, string>) => ({
    name: 'http_server_request_total',
    labels: { otelpoc_run_id: 'r1', ...labels },
    value: 1,
  });

  it('reads the instance from service_instance_id (VictoriaMetrics) or instance (Prometheus, Mimir)', () => {
    const known = new Set(['mine']);
    const observation = {
      isolated: true as const,
      views: [
        {
          tenant: 'tenant-1',
          samples: [
            sample({ service_instance_id: 'mine' }),
            sample({ service_instance_id: 'old' }),
            sample({ instance: 'old' }),
            sample({ instance: 'mine' }),
            // Neither label: cannot be told apart, not judged.
            sample({}),
          ],
        },
        { tenant: 'anonymous', samples: [sample({ instance: 'other' })] },
      ],
    };
    expect(foreignInstances(observation, known)).toEqual(
      new Map([
        ['old', 2],
        ['other', 1],
      ]),
    );
    expect(foreignInstancesLine('r1', foreignInstances(observation, known), ['mine'])).toMatch(
      /^3 series of run r1 come from server instance\(s\) old, other that no manifest of the run recorded \(its server instance\(s\): mine\)/,
    );
  });
});
