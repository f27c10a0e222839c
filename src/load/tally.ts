import type { ErrorCategory, Outcome } from './client.js';
import {
  emptyStatusCounts,
  type LoadResult,
  type StatusCounts,
  type TenantCounts,
  totalsOf,
} from './result.js';
import type { TenantWeight } from './values.js';

type Cell = StatusCounts;

/**
 * Exact counts per tenant × requested status, plus what actually came back. Every scheduled request
 * lands in exactly one of dropped or sent; every sent one in exactly one of answered, mismatched,
 * unanswered or refused.
 */
export class Tally {
  private readonly cells: Map<number, Cell>[];
  private readonly received: Map<string, number>[];
  readonly errors: Record<ErrorCategory | 'statusMismatch', number> = {
    refused: 0,
    reset: 0,
    timeout: 0,
    statusMismatch: 0,
    other: 0,
  };
  scheduled = 0;
  dropped = 0;
  sent = 0;
  completed = 0;

  constructor(private readonly tenants: readonly TenantWeight[]) {
    this.cells = tenants.map(() => new Map());
    this.received = tenants.map(() => new Map());
  }

  cell(tenant: number, status: number): Cell {
    const byStatus = this.cells[tenant]!;
    let c = byStatus.get(status);
    if (!c) {
      c = emptyStatusCounts(status);
      byStatus.set(status, c);
    }
    return c;
  }

  drop(tenant: number, status: number): void {
    this.scheduled++;
    this.dropped++;
    this.cell(tenant, status).dropped++;
  }

  send(tenant: number, status: number): void {
    this.scheduled++;
    this.sent++;
    this.cell(tenant, status).sent++;
  }

  complete(tenant: number, status: number, outcome: Outcome, serviceMs: number): void {
    this.completed++;
    const c = this.cell(tenant, status);
    if (outcome.error === undefined) {
      if (outcome.status === status) c.answered++;
      else {
        c.mismatched++;
        this.errors.statusMismatch++;
      }
      c.latencySumMs += serviceMs;
      if (serviceMs > c.latencyMaxMs) c.latencyMaxMs = serviceMs;
      const key = String(outcome.status);
      const rec = this.received[tenant]!;
      rec.set(key, (rec.get(key) ?? 0) + 1);
    } else {
      this.errors[outcome.error]++;
      if (outcome.error === 'refused') c.refused++;
      else c.unanswered++;
    }
  }

  get failed(): number {
    const e = this.errors;
    return e.refused + e.reset + e.timeout + e.other + e.statusMismatch;
  }

  /** The result's tenants, totals and errors. */
  result(): Pick<LoadResult, 'tenants' | 'totals' | 'errors'> {
    const tenants: TenantCounts[] = this.tenants.map((t, i) => ({
      clientId: t.clientId,
      byStatus: [...this.cells[i]!.values()]
        .sort((a, b) => a.status - b.status)
        .map((c) => ({ ...c, latencySumMs: round3(c.latencySumMs), latencyMaxMs: round3(c.latencyMaxMs) })),
      receivedByStatus: Object.fromEntries(
        [...this.received[i]!.entries()].sort(([a], [b]) => a.localeCompare(b)),
      ),
    }));
    return { tenants, totals: totalsOf(tenants), errors: { ...this.errors } };
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
