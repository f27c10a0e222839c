/**
 * The settle window is bounded (MAX_SETTLE_MS) whatever asks for it, so a verify with --timeout T
 * ends by T + MAX_SETTLE_MS: a genuine `--export-interval 576h` recorded in the manifest used to
 * mean a 24-day window.
 */
import { describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import type { PollClock } from '../../src/verify/poll.js';
import type { SeriesSource } from '../../src/verify/types.js';
import { defaultSettle, MAX_SETTLE_MS, runVerify } from '../../src/verify/verify.js';
import { runExp, samplesFor, tenantExp } from './fixtures.js';

const DAY_MS = 86_400_000;

describe('the settle window bound', () => {
  it('a manifest with a 576h export interval: verify ends by --timeout + MAX_SETTLE_MS, and says it capped', async () => {
    let t = 0;
    const clock: PollClock = {
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    };
    // Always green: only the settle window keeps verify polling.
    const source: SeriesSource = {
      isolated: false,
      description: 'stub',
      observe: async () => ({ isolated: false, all: samplesFor('tenant-1', { 200: 5 }) }),
      explain: () => [],
      close: async () => {},
    };
    const manifest = { server: { exportIntervalMs: 24 * DAY_MS } } as unknown as RunManifest;
    const settle = defaultSettle([manifest]);
    expect(settle.ms).toBe(24 * DAY_MS + 5_000);
    const timeoutMs = 2_000;
    const report = await runVerify({
      expectation: runExp([tenantExp('tenant-1', { 200: 5 })]),
      source,
      clock,
      timeoutMs,
      tenantHeader: null,
      settle,
      wallClockMs: () => Date.parse('2026-11-25T10:00:02Z'),
    });
    expect(report.ok).toBe(true);
    expect(report.settleMs).toBe(MAX_SETTLE_MS);
    expect(report.settleWhy).toMatch(/capped at 5m \(the longest settle window verify watches\)$/);
    expect(report.elapsedMs).toBeLessThanOrEqual(timeoutMs + MAX_SETTLE_MS);
    expect(t).toBeLessThanOrEqual(timeoutMs + MAX_SETTLE_MS);
  });
});
