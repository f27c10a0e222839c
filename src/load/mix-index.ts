/**
 * The tenant × status of global request k from k alone: the picks TrafficMix (./mix.ts) would make
 * for requests 0…k in turn, without making them, so that a shard computes only its own requests
 * (issue 21: each shard drew the mix for every global request).
 *
 * Why that is possible: a smooth weighted round robin over integer weights of total W is back in
 * its initial state (all zeros) after W picks (each item has come up exactly its weight), so its
 * picks are periodic with period W. One period is tabulated (the item at each position, and how
 * often that item came up earlier in the period); then the p-th pick is item[p mod W], and the
 * number of times it came up before is ⌊p / W⌋·w + rank[p mod W]. The status round robin of each
 * mix advances once per request of a stage using that mix; the tenant round robin of a status
 * advances once per request with that status, across mixes: both positions follow from k and the
 * stage boundaries.
 *
 * A mix whose period is too long to tabulate (weights with many decimal places over many items)
 * falls back to drawing every global pick in turn, as before: the same answers, at the old cost.
 */
import { type Pick, SmoothRoundRobin, TrafficMix } from './mix.js';
import type { StatusWeight, TenantWeight } from './values.js';

/** The longest period tabulated (positions) and the most work spent on one table (positions × items). */
const MAX_PERIOD = 1 << 20;
const MAX_TABLE_WORK = 1 << 24;

/** One period of a smooth weighted round robin, tabulated. */
class Period {
  readonly length: number;
  /** The item picked at each position of the period. */
  readonly item: Uint32Array;
  /** How many times that item was picked earlier in the period. */
  readonly rank: Uint32Array;

  constructor(readonly weights: readonly number[]) {
    this.length = weights.reduce((a, b) => a + b, 0);
    this.item = new Uint32Array(this.length);
    this.rank = new Uint32Array(this.length);
    const rr = new SmoothRoundRobin(weights);
    const seen = new Array<number>(weights.length).fill(0);
    for (let p = 0; p < this.length; p++) {
      const i = rr.next();
      this.item[p] = i;
      this.rank[p] = seen[i]!++;
    }
  }

  static fits(weights: readonly number[]): boolean {
    if (!weights.every(Number.isInteger)) return false;
    const total = weights.reduce((a, b) => a + b, 0);
    return total <= MAX_PERIOD && total * weights.length <= MAX_TABLE_WORK;
  }

  /** How many of the first `picks` picks were item `i`. */
  countBefore(i: number, picks: number): number {
    const r = picks % this.length;
    let n = Math.floor(picks / this.length) * this.weights[i]!;
    for (let p = 0; p < r; p++) if (this.item[p] === i) n++;
    return n;
  }
}

/** A run of consecutive global requests that use one mix (a stage of the open model). */
export interface MixSegment {
  /** Global index of its first request. */
  first: number;
  /** Index into the mixes. */
  mix: number;
}

export interface IndexedMix {
  /** Tenant × status of global request `k`. Calls must come with `k` not decreasing (the fallback draws in turn). */
  pickAt(k: number): Pick;
}

/**
 * `segments`: in order of `first`, the first one at 0; the last one runs on forever (closed model:
 * one segment of mix 0).
 */
export function indexedMix(
  tenants: readonly TenantWeight[],
  mixes: readonly (readonly StatusWeight[])[],
  segments: readonly MixSegment[],
): IndexedMix {
  const tenantWeights = tenants.map((t) => t.weight);
  const tabulable = Period.fits(tenantWeights) && mixes.every((m) => Period.fits(m.map((s) => s.weight)));
  return tabulable
    ? new TabulatedMix(tenantWeights, mixes, segments)
    : new DrawnMix(new TrafficMix(tenants, mixes), segments);
}

/** Finds the segment of a global index; fastest for indices that only grow. */
class SegmentCursor {
  private s = 0;
  constructor(private readonly segments: readonly MixSegment[]) {}
  of(k: number): number {
    let s = this.s;
    if (k < this.segments[s]!.first) s = 0;
    while (s + 1 < this.segments.length && k >= this.segments[s + 1]!.first) s++;
    this.s = s;
    return s;
  }
}

class TabulatedMix implements IndexedMix {
  private readonly tenantPeriod: Period;
  private readonly statusPeriods: Period[];
  /** Per mix, per position in the mix: its status code's slot (statuses of all mixes, numbered). */
  private readonly slotOf: number[][];
  /** Per segment: the position in its mix's sequence of its first request. */
  private readonly mixBase: number[] = [];
  /** Per segment, per status slot: requests with that status before the segment, minus those of its mix before its base. */
  private readonly tenantBase: number[][] = [];
  private readonly cursor: SegmentCursor;
  private readonly out: Pick = { tenant: 0, status: 0 };

  constructor(
    tenantWeights: readonly number[],
    private readonly mixes: readonly (readonly StatusWeight[])[],
    private readonly segments: readonly MixSegment[],
  ) {
    this.tenantPeriod = new Period(tenantWeights);
    this.statusPeriods = mixes.map((m) => new Period(m.map((s) => s.weight)));
    const slots = new Map<number, number>();
    this.slotOf = mixes.map((m) =>
      m.map((s) => {
        if (!slots.has(s.status)) slots.set(s.status, slots.size);
        return slots.get(s.status)!;
      }),
    );
    this.cursor = new SegmentCursor(segments);
    const usedOfMix = mixes.map(() => 0); // picks of each mix so far
    const usedOfSlot = new Array<number>(slots.size).fill(0); // requests of each status so far
    segments.forEach((seg, s) => {
      const period = this.statusPeriods[seg.mix]!;
      const base = usedOfMix[seg.mix]!;
      this.mixBase.push(base);
      // The j of request k's status = (its count before this segment) + (its count in this
      // segment before k) = usedOfSlot + countBefore(base + offset) − countBefore(base).
      this.tenantBase.push(
        usedOfSlot.map((used, slot) => {
          const i = this.slotOf[seg.mix]!.indexOf(slot);
          return i < 0 ? used : used - period.countBefore(i, base);
        }),
      );
      const next = segments[s + 1];
      if (!next) return;
      const length = next.first - seg.first;
      this.slotOf[seg.mix]!.forEach((slot, i) => {
        usedOfSlot[slot]! += period.countBefore(i, base + length) - period.countBefore(i, base);
      });
      usedOfMix[seg.mix] = base + length;
    });
  }

  pickAt(k: number): Pick {
    const s = this.cursor.of(k);
    const seg = this.segments[s]!;
    const period = this.statusPeriods[seg.mix]!;
    const p = this.mixBase[s]! + (k - seg.first);
    const r = p % period.length;
    const i = period.item[r]!;
    const slot = this.slotOf[seg.mix]![i]!;
    // How many requests had this status before k: the tenant round robin's position.
    const j =
      this.tenantBase[s]![slot]! + Math.floor(p / period.length) * period.weights[i]! + period.rank[r]!;
    // One object reused: callers read it at once (no allocation per request).
    this.out.status = this.mixes[seg.mix]![i]!.status;
    this.out.tenant = this.tenantPeriod.item[j % this.tenantPeriod.length]!;
    return this.out;
  }
}

/** The fallback: every global pick drawn in turn, as TrafficMix always did. */
class DrawnMix implements IndexedMix {
  private drawn = 0;
  private readonly cursor: SegmentCursor;

  constructor(
    private readonly mix: TrafficMix,
    private readonly segments: readonly MixSegment[],
  ) {
    this.cursor = new SegmentCursor(segments);
  }

  pickAt(k: number): Pick {
    if (k < this.drawn) throw new Error(`IndexedMix: request ${k} asked after ${this.drawn - 1}`);
    while (this.drawn < k) this.mix.next(this.segments[this.cursor.of(this.drawn++)]!.mix);
    return this.mix.next(this.segments[this.cursor.of(this.drawn++)]!.mix);
  }
}
