import type { StatusWeight, TenantWeight } from './values.js';

/**
 * Smooth weighted round robin (nginx's algorithm): each pick adds every item's weight to its current
 * value, takes the largest, and subtracts the total from it. Deterministic and exact: over any run
 * of `total weight` picks each item comes up exactly `weight` times, spread evenly, not in bursts.
 * Integer weights keep it exact.
 */
export class SmoothRoundRobin {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly weights: readonly number[]) {
    if (weights.length === 0 || weights.some((w) => !(w > 0))) {
      throw new Error('SmoothRoundRobin: weights must be > 0');
    }
    this.current = weights.map(() => 0);
    this.total = weights.reduce((a, b) => a + b, 0);
  }

  /** Index of the next item. */
  next(): number {
    let best = 0;
    for (let i = 0; i < this.weights.length; i++) {
      this.current[i]! += this.weights[i]!;
      if (this.current[i]! > this.current[best]!) best = i;
    }
    this.current[best]! -= this.total;
    return best;
  }
}

export interface Pick {
  tenant: number;
  status: number;
}

/**
 * Tenant × status choice: a round robin over the statuses of the active mix (stages may override
 * the mix), then, per status, a round robin over the tenants. So the statuses come out exactly per
 * their weights (1000 requests of 200:85,404:10,500:5 are exactly 850/100/50), and each status is
 * shared among the tenants exactly per the tenant weights.
 */
export class TrafficMix {
  /** [mix] → round robin over that mix's statuses. */
  private readonly statusRr: SmoothRoundRobin[];
  /** status code → round robin over the tenants. */
  private readonly tenantRr = new Map<number, SmoothRoundRobin>();
  private readonly tenantWeights: number[];

  constructor(
    readonly tenants: readonly TenantWeight[],
    /** Mix 0 is the plan's; stage overrides follow. */
    readonly mixes: readonly (readonly StatusWeight[])[],
  ) {
    this.tenantWeights = tenants.map((t) => t.weight);
    this.statusRr = mixes.map((mix) => new SmoothRoundRobin(mix.map((m) => m.weight)));
  }

  next(mix = 0): Pick {
    const status = this.mixes[mix]![this.statusRr[mix]!.next()]!.status;
    let rr = this.tenantRr.get(status);
    if (!rr) {
      rr = new SmoothRoundRobin(this.tenantWeights);
      this.tenantRr.set(status, rr);
    }
    return { tenant: rr.next(), status };
  }
}
