import { z } from 'zod';
import { UsageError } from '../util/errors.js';
import { assertManifestConsistent } from './consistency.js';

/**
 * The run manifest: what `otelpoc load` sent, exactly, and what `otelpoc verify` checks the backend
 * against. One schema, one type (inferred from the schema), one validator, shared by both commands.
 * Bump MANIFEST_SCHEMA_VERSION on any incompatible change and document it in the README.
 */
export const MANIFEST_SCHEMA_VERSION = 1;

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

/** One tenant × requested status cell. All counts are exact. */
export const StatusCountsSchema = z.object({
  /** The status code requested with ?sc=. */
  status: z.number().int().min(200).max(599),
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

export const ManifestSchema = z.object({
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('otelpoc'), version: z.string() }),
  runId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /** Shard of a run split across processes (--workers or separate load commands); verify sums shards. */
  shard: z.object({ index: count, of: z.number().int().positive() }).optional(),
  /** Full URL requests were sent to, e.g. http://127.0.0.1:8088/api. */
  target: z.string().url(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  /** True when SIGINT/SIGTERM stopped the run early: counts are exact for what was done. */
  interrupted: z.boolean(),
  /** The resolved load configuration (after scenario + flags), for the record. */
  config: z.object({
    model: z.enum(['open', 'closed']),
    /** Target rate in requests/s for a constant open-model run; null for scenarios with stages and closed model. */
    ratePerSec: z.number().nonnegative().nullable(),
    durationMs: z.number().nonnegative().nullable(),
    requests: count.nullable(),
    connections: z.number().int().positive().nullable(),
    maxInflight: z.number().int().positive(),
    timeoutMs: z.number().positive(),
    scenario: z.string().nullable(),
    seed: z.number().int().nullable(),
    tenants: z.array(z.object({ clientId: z.string().nullable(), weight: z.number().positive() })),
    statusMix: z.array(
      z.object({ status: z.number().int().min(200).max(599), weight: z.number().positive() }),
    ),
    /** Any further settings (stages, thresholds, serve options), free-form. */
    extra: z.record(z.string(), z.unknown()).optional(),
  }),
  tenants: z.array(TenantCountsSchema),
  totals: z.object({
    scheduled: count,
    dropped: count,
    sent: count,
    answered: count,
    mismatched: count,
    unanswered: count,
    refused: count,
  }),
  /** Client-side errors by category. */
  errors: z.object({ refused: count, reset: count, timeout: count, statusMismatch: count, other: count }),
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
  /** Present when load started the server in process (--serve, run). */
  server: z
    .object({
      url: z.string(),
      metricsTarget: z.string(),
      exports: count,
      failedExports: count,
      /** Whether the final flush after the run reached the metrics target. */
      finalFlushOk: z.boolean(),
    })
    .optional(),
});

export type RunManifest = z.infer<typeof ManifestSchema>;
export type TenantCounts = z.infer<typeof TenantCountsSchema>;
export type StatusCounts = z.infer<typeof StatusCountsSchema>;
export type LatencySummary = z.infer<typeof LatencySummarySchema>;

/** A tenant × status cell with nothing counted yet. */
export function emptyStatusCounts(status: number): StatusCounts {
  return {
    status,
    dropped: 0,
    sent: 0,
    answered: 0,
    mismatched: 0,
    unanswered: 0,
    refused: 0,
    latencySumMs: 0,
    latencyMaxMs: 0,
  };
}

/**
 * Validates untrusted JSON as a manifest. Throws a UsageError naming the source and every failing
 * path, e.g. `run.json: tenants[0].byStatus[1].sent: expected number, received string`, or, for a
 * well-formed manifest whose numbers contradict each other, the first broken equation
 * (manifest/consistency.ts).
 */
export function parseManifest(data: unknown, source: string): RunManifest {
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (data && typeof data === 'object' && version !== undefined && version !== MANIFEST_SCHEMA_VERSION) {
    // A string "1" is not a newer or older version: say which type is expected.
    throw new UsageError(
      typeof version === 'number'
        ? `${source}: manifest schemaVersion ${version} is not supported; this otelpoc reads version ${MANIFEST_SCHEMA_VERSION}`
        : `${source}: schemaVersion: expected the number ${MANIFEST_SCHEMA_VERSION}, got ${typeof version === 'string' ? 'the string ' : ''}${JSON.stringify(version)}`,
    );
  }
  const result = ManifestSchema.safeParse(data);
  if (result.success) {
    assertManifestConsistent(result.data, source);
    return result.data;
  }
  const problems = result.error.issues.map(
    (issue) => `${source}: ${formatPath(issue.path)}: ${issue.message}`,
  );
  throw new UsageError(problems.join('\n'));
}

export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}
