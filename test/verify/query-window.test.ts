import { describe, expect, it } from 'vitest';
import { runQuery, runSelector } from '../../src/verify/prometheus-source.js';
import { QUERY_WINDOW_MARGIN_MS, queryWindowMs } from '../../src/verify/verify.js';

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
