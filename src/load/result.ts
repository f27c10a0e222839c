/**
 * What a load run returns: plain data, exact counts. The run manifest (src/manifest/) records it
 * next to the configuration; the engine knows nothing of the manifest.
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

export const LatencySummarySchema = z.object({
  /** Completed requests measured. */
  count,
  minMs: ms,
  meanMs: ms,
  p50Ms: ms,
  p90Ms: ms,
  p99Ms: ms,
  p999Ms: ms,
  maxMs: ms,
});

/**
 * What became of the requests, counted in each tenant × status cell and in the totals: every
 * scheduled request is dropped or sent, every sent one answered, mismatched, unanswered or refused.
 */
const OUTCOME_COUNTS = {
  /** Scheduled but never sent: the in-flight cap was reached (open model). */
  dropped: count,
  /** Put on the wire (or attempted). sent = answered + mismatched + unanswered + refused. */
  sent: count,
  /** Responses received with exactly the requested status. The server recorded each of these. */
  answered: count,
  /** Responses received with another status; that status is counted in the tenant's receivedByStatus. */
  mismatched: count,
  /** Sent but no response (timeout, reset): the server may or may not have recorded them. */
  unanswered: count,
  /** Connection refused: never reached the server, certainly not recorded. */
  refused: count,
};

/** The outcome counts' names, in the manifest's order. */
export const OUTCOME_FIELDS = Object.keys(OUTCOME_COUNTS) as (keyof typeof OUTCOME_COUNTS)[];

/** One tenant × requested status cell. All counts are exact. */
export const StatusCountsSchema = z.object({
  /** The status code requested with ?sc=. */
  status: z.number().int().min(200).max(599),
  ...OUTCOME_COUNTS,
  /** Sum of service times (send → response) of the answered and mismatched requests, ms. */
  latencySumMs: ms,
  /** Longest service time among them, ms. */
  latencyMaxMs: ms,
});

export const TenantCountsSchema = z.object({
  /** The Client-ID sent, or null for requests sent without one (the stack's default tenant). */
  clientId: z.string().min(1).nullable(),
  byStatus: z.array(StatusCountsSchema),
  /** Responses received, by the status code the server actually answered with. */
  receivedByStatus: z.record(z.string().regex(/^\d{3}$/), count),
});

export const TotalsSchema = z.object({ scheduled: count, ...OUTCOME_COUNTS });

/** Client-side errors by category. */
export const ErrorCountsSchema = z.object({
  refused: count,
  reset: count,
  timeout: count,
  statusMismatch: count,
  other: count,
});

/** Latency percentiles of one timeline bucket, ms. */
export const TimelinePercentilesSchema = z.object({ p50Ms: ms, p90Ms: ms, p99Ms: ms, maxMs: ms });

/** One bucket (one second, unless the run was long: see ./timeline.ts) of the run. */
export const TimelineEntrySchema = z.object({
  /** Seconds since the start of the run: the bucket covers [t, t + bucketMs / 1000). */
  t: z.number().nonnegative(),
  /** Requests the schedule had due in this bucket: the target (closed model: = sent). */
  scheduled: count,
  /** Requests due in this bucket and dropped (the in-flight cap). */
  dropped: count,
  /** Requests put on the wire in this bucket: the achieved rate. */
  sent: count,
  /** Responses with the requested status received in this bucket. */
  answered: count,
  /** Requests that ended in this bucket without the requested status, by kind (as `errors`). */
  errors: ErrorCountsSchema,
  /** Of the responses received in this bucket (answered + statusMismatch); null when none. */
  service: TimelinePercentilesSchema.nullable(),
  scheduleCorrected: TimelinePercentilesSchema.nullable(),
});

export const TimelineSchema = z.object({
  /** Width of each bucket: 1000 ms, doubled for each halving of a run longer than the entry cap. */
  bucketMs: z.number().int().positive(),
  /** Every bucket from the start to the end of the run, in order, empty ones too. */
  entries: z.array(TimelineEntrySchema),
});

const LostWorkerSchema = z.object({
  worker: z.string(),
  why: z.string(),
  lastKnown: z
    .object({
      elapsedMs: z.number().nonnegative(),
      scheduled: z.number().int().nonnegative(),
      sent: z.number().int().nonnegative(),
      completed: z.number().int().nonnegative(),
      dropped: z.number().int().nonnegative(),
      errors: z.number().int().nonnegative(),
    })
    .nullable(),
});
export type LostWorker = z.infer<typeof LostWorkerSchema>;

export const LoadResultSchema = z.object({
  /** When sending began: the planned start (config.startAt) or, if this process was late for it, later. */
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  /**
   * A run with a planned start (config.startAt): that instant, and how late this process was for it
   * (the requests due before it started were counted as dropped, not sent in a burst).
   */
  plannedStartAt: z.iso.datetime().optional(),
  startLateMs: z.number().nonnegative().optional(),
  /**
   * `load --workers`: the workers that died or failed, one line each. Their requests (some of which
   * may have reached the server) are not in the counts, so the run cannot be verified complete.
   */
  workerFailures: z.array(z.string()).min(1).optional(),
  /**
   * `load --workers`: each worker that died, with its last progress report if one reached the
   * parent (`lastKnown`, counts as of `elapsedMs`; not in the totals), or null: its part is lost.
   */
  lostWorkers: z.array(LostWorkerSchema).min(1).optional(),
  /** `load --workers N`: how many worker processes sent the run (absent: this process alone). */
  workers: z.number().int().positive().optional(),
  /** True when the signal stopped the run early: counts are exact for what was done. */
  interrupted: z.boolean(),
  tenants: z.array(TenantCountsSchema),
  totals: TotalsSchema,
  errors: ErrorCountsSchema,
  rate: z.object({
    targetPerSec: z.number().nonnegative().nullable(),
    achievedPerSec: z.number().nonnegative(),
  }),
  latency: z.object({
    /** Send → response. */
    service: LatencySummarySchema,
    /** Scheduled start → response: includes any lateness of the sender (free of coordinated omission). */
    scheduleCorrected: LatencySummarySchema,
    /** How late requests were sent against their schedule (open model). */
    sendLateness: LatencySummarySchema.optional(),
  }),
  /** Per second (./timeline.ts). Absent in manifests of schema versions 1 and 2. */
  timeline: TimelineSchema.optional(),
});

export type LoadResult = z.infer<typeof LoadResultSchema>;
export type TenantCounts = z.infer<typeof TenantCountsSchema>;
export type StatusCounts = z.infer<typeof StatusCountsSchema>;
export type LatencySummary = z.infer<typeof LatencySummarySchema>;
export type Totals = z.infer<typeof TotalsSchema>;
export type Timeline = z.infer<typeof TimelineSchema>;
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;
export type TimelinePercentiles = z.infer<typeof TimelinePercentilesSchema>;

/** The run's totals, summed from its tenant × status cells (`scheduled = sent + dropped`). */
export function totalsOf(tenants: readonly Pick<TenantCounts, 'byStatus'>[]): Totals {
  const totals: Totals = { scheduled: 0, ...noOutcomes() };
  for (const t of tenants) {
    for (const c of t.byStatus) {
      totals.scheduled += c.dropped + c.sent;
      for (const f of OUTCOME_FIELDS) totals[f] += c[f];
    }
  }
  return totals;
}

/** A tenant × status cell with nothing counted yet. */
export function emptyStatusCounts(status: number): StatusCounts {
  return { status, ...noOutcomes(), latencySumMs: 0, latencyMaxMs: 0 };
}

function noOutcomes(): Record<(typeof OUTCOME_FIELDS)[number], number> {
  return { dropped: 0, sent: 0, answered: 0, mismatched: 0, unanswered: 0, refused: 0 };
}
