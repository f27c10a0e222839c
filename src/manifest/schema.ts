import { z } from 'zod';
import { LoadConfigSchema } from '../load/config.js';
import { LoadResultSchema } from '../load/result.js';
import { HISTOGRAM_AGGREGATIONS, OTLP_PROTOCOLS, TEMPORALITIES } from '../telemetry/config.js';
import { DURATION_BUCKETS_S } from '../telemetry/names.js';
import { TOPOLOGIES } from '../telemetry/topology.js';
import { ServiceProfileSchema, ServiceSnapshotSchema } from './service.js';

/**
 * The run manifest: what `otelpoc load` sent, exactly, and what `otelpoc verify` checks the backend
 * against. One schema, one type (inferred from the schema), shared by both commands; ./parse.ts
 * validates untrusted JSON against it.
 * Bump MANIFEST_SCHEMA_VERSION on any incompatible change, keep the older versions readable (see
 * ./v1.ts) and document it in the README.
 *
 * Version 4: adds `server.kind`, the kind of data the server exported (protocol, temporality,
 * histogram aggregation and its parameters, the instrument's explicit boundaries), so verify knows
 * what to expect. Versions 1 to 3 exported one kind only and are read as version 4 with that kind
 * (OLDER_SERVER_KIND).
 * Version 3: adds `timeline`, the run second by second (src/load/timeline.ts). Versions 1 and 2
 * have none and are read as version 3 without it.
 * Version 2: `config` is the load's LoadConfig (src/load/config.ts) and the serve settings are in
 * `server`; version 1 had a flatter config with a free-form `extra`.
 */
export const MANIFEST_SCHEMA_VERSION = 4;

const count = z.number().int().nonnegative();

/**
 * The kind of data the server exported. `protocol`: how it travelled (with the embedded capture:
 * the one configured, though nothing went over OTLP); `temporality`: the preference the exporter
 * was given (delta and lowmemory keep up-down counters cumulative, per the spec); `histogram`: how
 * http.server.request.duration was aggregated, with `exponential` its parameters, `boundaries` its
 * explicit bucket boundaries (seconds, the instrument's advice; present for explicit only).
 */
export const ManifestKindSchema = z.object({
  protocol: z.enum(OTLP_PROTOCOLS),
  temporality: z.enum(TEMPORALITIES),
  histogram: z.enum(HISTOGRAM_AGGREGATIONS),
  exponential: z.object({ maxSize: z.number().int().positive(), maxScale: z.number().int() }).optional(),
  boundaries: z.array(z.number()).optional(),
  /**
   * The request counter's instrument (http.server.request): `observable`, an ObservableCounter read
   * at collection, which lowmemory keeps cumulative (the spec); absent: a synchronous Counter, as
   * before otelpoc counted at collection.
   */
  requestCounter: z.enum(['synchronous', 'observable']).optional(),
});

/** What every server of a manifest before version 4 exported: OTLP/HTTP protobuf, cumulative, explicit buckets. */
export const OLDER_SERVER_KIND: z.infer<typeof ManifestKindSchema> = {
  protocol: 'http/protobuf',
  temporality: 'cumulative',
  histogram: 'explicit',
  // Unchanged since otelpoc's first version (git log -S on src/telemetry/names.ts).
  boundaries: [...DURATION_BUCKETS_S],
};

/** The in-process server of `load --serve` and `run`: its settings and how its exports went. */
export const ManifestServerSchema = z.object({
  url: z.string(),
  metricsTarget: z.string(),
  exports: count,
  failedExports: count,
  /** Whether the final flush after the run reached the metrics target. */
  finalFlushOk: z.boolean(),
  /** The response delay it was given (fixed: minMs = maxMs). */
  delay: z.object({ minMs: z.number().nonnegative(), maxMs: z.number().nonnegative() }).optional(),
  /** Seed of the random delays, or null. */
  seed: z.number().int().nullable().optional(),
  exportIntervalMs: z.number().positive().optional(),
  /** True when the metrics went to an in-process capture (run without a pipeline), not over OTLP. */
  embedded: z.boolean().optional(),
  /**
   * How tenants reached the backend (src/telemetry/topology.ts): one stream to an OTLP endpoint
   * (routing unknown), one stream per tenant with the tenant header, or the capture; `tenant-router`
   * in manifests of otelpoc 0.1.0 and earlier. Absent in older manifests still.
   */
  topology: z.enum(TOPOLOGIES).optional(),
  /**
   * The server's service.instance.id (every stream's): the `service_instance_id` label
   * (VictoriaMetrics) or `instance` label (Mimir, Prometheus) of its series. verify refuses series of
   * the run from any other instance (an earlier attempt under the same run id). Absent in older
   * manifests: not checked then.
   */
  instanceId: z.string().optional(),
  /** The kind of data exported (version 4; older manifests are read with OLDER_SERVER_KIND). */
  kind: ManifestKindSchema,
  /** Per-tenant export: each tenant stream's exports and whether its final flush got through. */
  streams: z
    .array(z.object({ tenant: z.string(), exports: count, failedExports: count, finalFlushOk: z.boolean() }))
    .optional(),
});

export const ManifestSchema = z.object({
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('otelpoc'), version: z.string() }),
  /** = config.runId; what verify selects series by. */
  runId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  /**
   * Present when this process sent one shard of a run split across processes (`load --shard i/n`):
   * index 0…count−1. `verify` sums the shards of a run and wants each exactly once.
   */
  shard: z.object({ index: count, count: z.number().int().positive() }).optional(),
  /** = config.target: the full URL requests were sent to, e.g. http://127.0.0.1:8088/api. */
  target: z.string().url(),
  /** The resolved load configuration (after scenario + flags): what the run executed. */
  config: LoadConfigSchema,
  ...LoadResultSchema.shape,
  /** Present when load started the server in process (--serve, run). */
  server: ManifestServerSchema.optional(),
  /**
   * Present when load was given a service profile (a service without otelpoc's run label): the
   * profile, and the service's cumulative counts just before the first request, which verify
   * subtracts (src/verify/service/). Optional, so no schema version bump: older readers ignore it.
   */
  service: z.object({ profile: ServiceProfileSchema, snapshot: ServiceSnapshotSchema }).optional(),
});

export type RunManifest = z.infer<typeof ManifestSchema>;
export type ManifestServer = z.infer<typeof ManifestServerSchema>;
export type ManifestKind = z.infer<typeof ManifestKindSchema>;
export type { LatencySummary, StatusCounts, TenantCounts } from '../load/result.js';
export {
  emptyStatusCounts,
  LatencySummarySchema,
  StatusCountsSchema,
  TenantCountsSchema,
} from '../load/result.js';
export { formatPath } from '../util/format-path.js';
