/**
 * What a manifest records of a service of the user's under test (`load --service-profile`): the
 * profile that tells its counts (which histogram, which labels, how the tenant is told) and the
 * snapshot of its cumulative counts taken just before the first request. The schemas live with the
 * manifest; src/verify/service/ loads profiles (built-ins, YAML) and takes and reads snapshots.
 */
import { z } from 'zod';

/** A Prometheus label name (https://prometheus.io/docs/concepts/data_model/); `__` names are reserved. */
const LabelName = z
  .string()
  .regex(
    /^[a-zA-Z_][a-zA-Z0-9_]*$/,
    'not a Prometheus label name (letters, digits, _; not starting with a digit)',
  )
  .refine((s) => !s.startsWith('__'), 'names starting with __ are reserved for Prometheus');

/** A metric name as stored: the histogram's base name (its series are NAME_count, NAME_bucket, …). */
const MetricName = z
  .string()
  .min(1, 'must not be empty')
  .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'not a Prometheus metric name (letters, digits, _ and :)')
  .refine(
    (s) => !/_(count|bucket|sum)$/.test(s),
    'give the histogram base name, without _count/_bucket/_sum',
  );

/** An HTTP header name (RFC 9110 token). */
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'not an HTTP header name');

export const ServiceProfileSchema = z.strictObject({
  /** For messages and the manifest: the built-in's name or the file's path. */
  name: z.string().min(1).optional(),
  /** The duration histogram's name as stored, e.g. http_server_request_duration_seconds. */
  metric: MetricName.default('http_server_request_duration_seconds'),
  /**
   * classic: counts from NAME_count (explicit-bucket histograms, VictoriaMetrics' vmrange ones too);
   * native: histogram_count(NAME) (Prometheus native histograms, Mimir's OTLP exponential ones).
   */
  histogram: z.enum(['classic', 'native']).default('classic'),
  labels: z.strictObject({
    status: LabelName,
    method: LabelName.optional(),
    route: LabelName.optional(),
  }),
  /** How a series' tenant is told: a label, or the whole service belongs to one tenant. */
  tenant: z.union([z.strictObject({ label: LabelName }), z.strictObject({ fixed: z.string().min(1) })]),
  /** Extra equality matchers that select the service, e.g. { job: "checkout" }. */
  matchers: z.record(LabelName, z.string()).default({}),
  /** The request header that carries the tenant when load sends it. */
  tenantHeader: HeaderName.default('Client-ID'),
  /**
   * A request counter of the same requests (otelpoc's own serve has one): when given, its count
   * deltas must agree with the histogram's (a check).
   */
  requestCounter: MetricName.optional(),
});

export type ServiceProfileInput = z.input<typeof ServiceProfileSchema>;
export type ServiceProfile = z.output<typeof ServiceProfileSchema>;

export const SeriesBaselineSchema = z.object({
  /** The stored series name (NAME_count, or the request counter's). */
  name: z.string(),
  labels: z.record(z.string(), z.string()),
  /** The last sample at or before the snapshot: its time (epoch ms) and cumulative value. */
  atMs: z.number(),
  value: z.number(),
});

/** What the manifest stores: when the snapshot was taken and every series' last value, per tenant. */
export const ServiceSnapshotSchema = z.object({
  atMs: z.number(),
  tenants: z.array(z.object({ tenant: z.string(), series: z.array(SeriesBaselineSchema) })),
});

export type SeriesBaseline = z.infer<typeof SeriesBaselineSchema>;
export type ServiceSnapshot = z.infer<typeof ServiceSnapshotSchema>;
