/** The tenant × status mix is exact and deterministic. */
import { describe, expect, it } from 'vitest';
import { SmoothRoundRobin, TrafficMix } from '../../src/load/mix.js';
import { buildTenantWeights, parseStatusMix } from '../../src/load/values.js';

function countPicks(mix: TrafficMix, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const p = mix.next();
    const key = `${mix.tenants[p.tenant]!.clientId ?? 'anon'}|${p.status}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

function byStatus(counts: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counts)) {
    const s = k.split('|')[1]!;
    out[s] = (out[s] ?? 0) + v;
  }
  return out;
}

describe('SmoothRoundRobin', () => {
  it('is exact over every period and spreads picks evenly (5,1,1 → a a b a c a a)', () => {
    const rr = new SmoothRoundRobin([5, 1, 1]);
    const picks = Array.from({ length: 14 }, () => rr.next());
    expect(picks).toEqual([0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0]);
  });
});

describe('TrafficMix', () => {
  it('1000 requests with 200:85,404:10,500:5 → exactly 850/100/50', () => {
    const mix = new TrafficMix(buildTenantWeights(['tenant-1'], undefined, 0), [
      parseStatusMix('200:85,404:10,500:5'),
    ]);
    expect(countPicks(mix, 1000)).toEqual({ 'tenant-1|200': 850, 'tenant-1|404': 100, 'tenant-1|500': 50 });
  });

  it('with 3 tenants the statuses stay exact and each status is split evenly among tenants', () => {
    const mix = new TrafficMix(buildTenantWeights(['a', 'b', 'c'], undefined, 0), [
      parseStatusMix('200:85,404:10,500:5'),
    ]);
    const counts = countPicks(mix, 1000);
    expect(byStatus(counts)).toEqual({ '200': 850, '404': 100, '500': 50 });
    expect(counts).toEqual({
      'a|200': 284,
      'b|200': 283,
      'c|200': 283,
      'a|404': 34,
      'b|404': 33,
      'c|404': 33,
      'a|500': 17,
      'b|500': 17,
      'c|500': 16,
    });
  });

  it('tenant weights 5,1,1 over 700 requests → 500/100/100', () => {
    const mix = new TrafficMix(buildTenantWeights(['a', 'b', 'c'], [5, 1, 1], 0), [parseStatusMix('200')]);
    expect(countPicks(mix, 700)).toEqual({ 'a|200': 500, 'b|200': 100, 'c|200': 100 });
  });

  it('--anonymous 10% with 3 tenants → exactly 10% without Client-ID, the rest split evenly', () => {
    const tenants = buildTenantWeights(['a', 'b', 'c'], undefined, 10);
    expect(tenants.at(-1)).toEqual({ clientId: null, weight: 30 });
    const mix = new TrafficMix(tenants, [parseStatusMix('200')]);
    expect(countPicks(mix, 3000)).toEqual({ 'a|200': 900, 'b|200': 900, 'c|200': 900, 'anon|200': 300 });
  });

  it('decimal weights and shares stay exact (2.5% anonymous, weights 1.5,1)', () => {
    const tenants = buildTenantWeights(['a', 'b'], [1.5, 1], 2.5);
    const mix = new TrafficMix(tenants, [parseStatusMix('200:99.5,503:0.5')]);
    const counts = countPicks(mix, 8000);
    expect((counts['anon|200'] ?? 0) + (counts['anon|503'] ?? 0)).toBe(200);
    expect(byStatus(counts)).toEqual({ '200': 7960, '503': 40 });
  });

  it('is deterministic: two mixes give the same sequence', () => {
    const make = () =>
      new TrafficMix(buildTenantWeights(['a', 'b'], [3, 2], 5), [parseStatusMix('200:7,500:3')]);
    const a = make();
    const b = make();
    for (let i = 0; i < 500; i++) expect(a.next()).toEqual(b.next());
  });

  it('stage overrides use their own status mix', () => {
    const mix = new TrafficMix(buildTenantWeights(['a'], undefined, 0), [
      parseStatusMix('200'),
      parseStatusMix('500:1,503:1'),
    ]);
    const s = Array.from({ length: 4 }, () => mix.next(1).status);
    expect(s.sort()).toEqual([500, 500, 503, 503]);
    expect(mix.next(0).status).toBe(200);
  });
});
