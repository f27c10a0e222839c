import type { Clock } from '../util/clock.js';
import type { LoadClient } from './client.js';
import { LatencyRecorder } from './latency.js';
import type { Tally } from './tally.js';
import { TimelineRecorder } from './timeline.js';
import type { TenantWeight } from './values.js';

/** The part of the clock the scheduler uses. */
export type LoadClock = Pick<Clock, 'now' | 'wallNow' | 'sleepUntil' | 'yield'>;

/**
 * The one send path of both executors: put a request on the wire, tally it, and record its latency
 * when it completes. It also counts what is in flight, which the open model's cap and the drain use.
 */
export class Dispatcher {
  /** Send → response, of the requests that got one. */
  readonly service = new LatencyRecorder();
  /**
   * Intended start → response: the open model's schedule-corrected latency. The closed model has
   * no schedule; it passes the send time, so this equals the service time.
   */
  readonly corrected = new LatencyRecorder();
  /** The same, second by second (its origin is set when the schedule starts). */
  readonly timeline = new TimelineRecorder();
  private inflightCount = 0;
  private onIdle: (() => void) | undefined;

  constructor(
    private readonly clock: LoadClock,
    private readonly client: LoadClient,
    private readonly tally: Tally,
    private readonly tenants: readonly TenantWeight[],
  ) {}

  get inflight(): number {
    return this.inflightCount;
  }

  /**
   * Sends one request of `tenant` asking for `status`, due at `intendedAt` (clock ms). `then` runs
   * after it is counted. Returns the send time.
   */
  send(tenant: number, status: number, intendedAt: number | null, then?: () => void): number {
    const sentAt = this.clock.now();
    const due = intendedAt ?? sentAt;
    this.tally.send(tenant, status);
    this.timeline.scheduled(due);
    this.timeline.sent(sentAt);
    this.inflightCount++;
    this.client.send({ clientId: this.tenants[tenant]!.clientId, status }, (outcome) => {
      const end = this.clock.now();
      this.inflightCount--;
      const serviceMs = end - sentAt;
      this.tally.complete(tenant, status, outcome, serviceMs);
      if (outcome.error === undefined) {
        this.service.recordMs(serviceMs);
        this.corrected.recordMs(end - due);
        const kind = outcome.status === status ? null : 'statusMismatch';
        this.timeline.completed(end, kind, { serviceMs, correctedMs: end - due });
      } else {
        this.timeline.completed(end, outcome.error);
      }
      if (this.inflightCount === 0) this.onIdle?.();
      then?.();
    });
    return sentAt;
  }

  /** Counts a request due at `due` (clock ms) as dropped: not sent (the open model's in-flight cap). */
  drop(tenant: number, status: number, due: number): void {
    this.tally.drop(tenant, status);
    this.timeline.scheduled(due);
    this.timeline.dropped(due);
  }

  /** Resolves when nothing is in flight. */
  idle(): Promise<void> {
    if (this.inflightCount === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.onIdle = resolve;
    });
  }
}
