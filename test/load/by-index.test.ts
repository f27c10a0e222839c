/**
 * Request k from k alone (issue 21): ArrivalIndex gives the same due times and stages as the
 * sequential `arrivals`, and indexedMix the same tenant × status as drawing TrafficMix in turn,
 * for every k: constant, ramps, empty stages, per-stage mixes, and a mix too long to tabulate.
 */
import { describe, expect, it } from 'vitest';
import { TrafficMix } from '../../src/load/mix.js';
import { indexedMix, type MixSegment } from '../../src/load/mix-index.js';
import { ArrivalIndex, arrivals, type Stage } from '../../src/load/schedule.js';
import type { StatusWeight, TenantWeight } from '../../src/load/values.js';

const STAGE_PLANS: Stage[][] = [
  [{ durationMs: 2000, fromPerSec: 200, toPerSec: 200 }],
  [
    { durationMs: 1000, fromPerSec: 10, toPerSec: 90 },
    { durationMs: 500, fromPerSec: 40, toPerSec: 40 },
    { durationMs: 700, fromPerSec: 0, toPerSec: 0 },
    { durationMs: 333, fromPerSec: 77.7, toPerSec: 3 },
    { durationMs: 1000, fromPerSec: 100, toPerSec: 0 },
  ],
  [{ durationMs: 10_000, fromPerSec: 0, toPerSec: 100 }],
  [{ durationMs: 1234, fromPerSec: 3.3, toPerSec: 3.3 }],
];

describe('ArrivalIndex', () => {
  it('gives every request the due time and stage `arrivals` yields, bit for bit, and nothing past them', () => {
    for (const stages of STAGE_PLANS) {
      const seq = [...arrivals(stages)];
      const index = new ArrivalIndex(stages);
      expect(index.end).toBe(seq.length);
      for (const a of seq) {
        expect(index.stageOf(a.index)).toBe(a.stage);
        expect(index.atMs(a.index)).toBe(a.atMs);
      }
      expect(index.atMs(seq.length)).toBeNull();
      // Asked out of order (a shard's end-of-window walk goes back): still the same.
      for (const a of [...seq].reverse().slice(0, 50)) expect(index.atMs(a.index)).toBe(a.atMs);
    }
  });

  it('an unbounded constant stage has no end', () => {
    const index = new ArrivalIndex([{ durationMs: null, fromPerSec: 400, toPerSec: 400 }]);
    expect(index.end).toBe(Number.POSITIVE_INFINITY);
    expect(index.atMs(1_000_000_001)).toBeCloseTo(2_500_000_002.5, 3);
  });
});

const TENANTS: TenantWeight[] = [
  { clientId: 'acme', weight: 5 },
  { clientId: 'globex', weight: 2 },
  { clientId: null, weight: 1 },
];
const MIX: StatusWeight[] = [
  { status: 200, weight: 85 },
  { status: 404, weight: 10 },
  { status: 500, weight: 5 },
];
const STAGE_MIX: StatusWeight[] = [
  { status: 503, weight: 1 },
  { status: 200, weight: 3 },
];

/** The picks of requests 0…n−1 drawn in turn, as the engine always did. */
function drawn(tenants: TenantWeight[], mixes: StatusWeight[][], segments: MixSegment[], n: number) {
  const mix = new TrafficMix(tenants, mixes);
  const out: string[] = [];
  let s = 0;
  for (let k = 0; k < n; k++) {
    while (s + 1 < segments.length && k >= segments[s + 1]!.first) s++;
    const p = mix.next(segments[s]!.mix);
    out.push(`${p.tenant}|${p.status}`);
  }
  return out;
}

function byIndex(tenants: TenantWeight[], mixes: StatusWeight[][], segments: MixSegment[], ks: number[]) {
  const mix = indexedMix(tenants, mixes, segments);
  return ks.map((k) => {
    const p = mix.pickAt(k);
    return `${p.tenant}|${p.status}`;
  });
}

describe('indexedMix', () => {
  const cases: { name: string; tenants: TenantWeight[]; mixes: StatusWeight[][]; segments: MixSegment[] }[] =
    [
      { name: 'one mix', tenants: TENANTS, mixes: [MIX], segments: [{ first: 0, mix: 0 }] },
      {
        name: 'stages switching mixes, an empty stage, a mix coming back',
        tenants: TENANTS,
        mixes: [MIX, STAGE_MIX],
        segments: [
          { first: 0, mix: 0 },
          { first: 137, mix: 1 },
          { first: 200, mix: 0 },
          { first: 200, mix: 1 },
          { first: 951, mix: 0 },
        ],
      },
      {
        name: 'a period too long to tabulate (the drawn fallback)',
        tenants: [
          { clientId: 'a', weight: 999_983 },
          { clientId: 'b', weight: 999_979 },
        ],
        mixes: [MIX, STAGE_MIX],
        segments: [
          { first: 0, mix: 0 },
          { first: 400, mix: 1 },
        ],
      },
    ];
  for (const c of cases) {
    it(`request k gets the pick drawn in turn: ${c.name}`, () => {
      const n = 3000;
      const all = drawn(c.tenants, c.mixes, c.segments, n);
      const ks = Array.from({ length: n }, (_, k) => k);
      expect(byIndex(c.tenants, c.mixes, c.segments, ks)).toEqual(all);
      // A shard's requests only: every 7th from 3.
      const mine = ks.filter((k) => k % 7 === 3);
      expect(byIndex(c.tenants, c.mixes, c.segments, mine)).toEqual(mine.map((k) => all[k]));
    });
  }
});
