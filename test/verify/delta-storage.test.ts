/**
 * A delta run's storage told from the samples (kinds/delta-storage.ts): raw deltas when their sums
 * are the run's counts, converted to cumulative when the newest samples are (the sums over-count),
 * neither when no reading is. The real conversion, end to end: delta-to-cumulative.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PROM } from '../../src/telemetry/names.js';
import { assessKind } from '../../src/verify/kinds/assess.js';
import { deltaStorageOf, readDeltaStorage } from '../../src/verify/kinds/delta-storage.js';
import type { SentKind } from '../../src/verify/kinds/kind.js';
import type { Sample } from '../../src/verify/types.js';
import { runExp, samplesFor, tenantExp } from './fixtures.js';

const delta: SentKind = { protocol: 'http/protobuf', temporality: 'delta', histogram: 'explicit' };
const t1 = tenantExp('tenant-1', { 200: 3, 404: 1 });
/** Summed values as `value`, the newest sample as `newest`. */
const read = (summed: Record<number, number>, newest: Record<number, number>): Sample[] => {
  const last = samplesFor('tenant-1', newest);
  return samplesFor('tenant-1', summed).map((s, i) => ({ ...s, newest: last[i]!.value }));
};

describe('delta storage', () => {
  it('raw deltas: the sums are the counts (the newest sample is one export)', () => {
    expect(deltaStorageOf(t1, read({ 200: 3, 404: 1 }, { 200: 1, 404: 1 }))).toBe('raw');
  });

  it('converted to cumulative: the sums over-count, the newest samples are the counts', () => {
    expect(deltaStorageOf(t1, read({ 200: 5, 404: 2 }, { 200: 3, 404: 1 }))).toBe('cumulative');
  });

  it('neither: counts wrong either way (one status short)', () => {
    expect(deltaStorageOf(t1, read({ 200: 5, 404: 2 }, { 200: 2, 404: 1 }))).toBeUndefined();
    // Without the newest samples (a native histogram, an older source) it cannot be told converted.
    expect(deltaStorageOf(t1, samplesFor('tenant-1', { 200: 5, 404: 2 }))).toBeUndefined();
  });

  it('a converted tenant is read by its newest samples, and the verdict says changed (delta-to-cumulative)', () => {
    const samples = read({ 200: 5, 404: 2 }, { 200: 3, 404: 1 });
    const { observation, converted } = readDeltaStorage(runExp([t1]), { isolated: false, all: samples });
    expect(converted).toEqual(['tenant-1']);
    const own = observation.isolated ? [] : observation.all;
    const v = assessKind(t1, own, delta, { deltaConverted: true });
    expect(v).toMatchObject({ outcome: 'changed', change: 'delta-to-cumulative', accepted: false });
    expect(v!.how).toContain(
      'delta converted to cumulative on the way (e.g. Alloy otelcol.processor.deltatocumulative)',
    );
    expect(
      assessKind(t1, own, delta, { deltaConverted: true, acceptChanges: ['delta-to-cumulative'] })?.accepted,
    ).toBe(true);
    // Not converted: the same samples read as summed are wrong counts, not a change.
    expect(assessKind(t1, samples, delta)?.outcome).toBe('missing');
  });

  it('lowmemory with the observable counter: the counter read by its newest sample, the histogram by its sums', () => {
    const lowmemory: SentKind = { ...delta, temporality: 'lowmemory', requestCounter: 'observable' };
    // Three exports of a cumulative counter (1, 2, 3 → summed 6) beside the histogram's raw deltas (1, 1, 1 → 3).
    const samples = read({ 200: 3, 404: 1 }, { 200: 1, 404: 1 }).map((s) =>
      s.name === PROM.requestTotal ? { ...s, value: s.value * 2, newest: s.value } : s,
    );
    const { observation, converted } = readDeltaStorage(
      runExp([t1]),
      { isolated: false, all: samples },
      lowmemory,
    );
    expect(converted).toEqual([]);
    expect(deltaStorageOf(t1, observation.isolated ? [] : observation.all)).toBe('raw');
    // Read as a synchronous (delta) counter, the same samples are wrong counts.
    const { requestCounter: _, ...synchronous } = lowmemory;
    const misread = readDeltaStorage(runExp([t1]), { isolated: false, all: samples }, synchronous);
    expect(deltaStorageOf(t1, misread.observation.isolated ? [] : misread.observation.all)).toBeUndefined();
  });
});
