/**
 * The kind of OTLP metric data a run sent (protocol, temporality, histogram aggregation), as verify
 * reads it: from the manifest's optional `server.kind` (schema version 4, written by serve once it
 * emits every kind), else the one shape otelpoc always sent before: OTLP/HTTP protobuf, cumulative,
 * explicit-bucket histograms. Parsed with zod here, read side only, so a manifest of either version
 * is read the same way.
 */
import { z } from 'zod';

export const SentKindSchema = z.object({
  protocol: z.enum(['http/protobuf', 'http/json', 'grpc']),
  temporality: z.enum(['cumulative', 'delta', 'lowmemory']),
  histogram: z.enum(['explicit', 'exponential']),
  exponential: z.object({ maxSize: z.number().int().positive(), maxScale: z.number().int() }).optional(),
  boundaries: z.array(z.number()).optional(),
  /** The request counter's instrument: absent in manifests before it was observable (synchronous). */
  requestCounter: z.enum(['synchronous', 'observable']).optional(),
});
export type SentKind = z.infer<typeof SentKindSchema>;

/** What every manifest before schema version 4 sent. */
export const DEFAULT_KIND: SentKind = {
  protocol: 'http/protobuf',
  temporality: 'cumulative',
  histogram: 'explicit',
};

/**
 * The kind a manifest records (`server.kind`), or undefined when it records none (an older manifest,
 * or load --target: the user's server). A present but malformed kind is an error naming the field.
 */
export function kindOfManifest(manifest: { server?: unknown }, source: string): SentKind | undefined {
  const server = manifest.server as { kind?: unknown } | undefined;
  if (server?.kind === undefined) return undefined;
  const parsed = SentKindSchema.safeParse(server.kind);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${source}: server.kind.${issue?.path.join('.') ?? ''} is invalid (${issue?.message ?? 'unexpected shape'}): allowed protocol http/protobuf|http/json|grpc, temporality cumulative|delta|lowmemory, histogram explicit|exponential`,
    );
  }
  return parsed.data;
}

/** Cumulative with explicit buckets: the form every manifest before version 4 sent (any protocol). */
export function isDefaultForm(kind: SentKind): boolean {
  return kind.temporality === 'cumulative' && kind.histogram === 'explicit';
}

/** Sums and histograms are exported as deltas (lowmemory: counters and histograms delta, up-down counters cumulative). */
export function isDelta(kind: SentKind): boolean {
  return kind.temporality === 'delta' || kind.temporality === 'lowmemory';
}

/**
 * The request counter was exported as deltas. Under lowmemory the spec turns only Counter and
 * Histogram to delta, and keeps an ObservableCounter (otelpoc's since it counts at collection)
 * cumulative: then the counter is cumulative while the histogram is delta.
 */
export function isCounterDelta(kind: SentKind): boolean {
  if (kind.temporality === 'lowmemory') return kind.requestCounter !== 'observable';
  return kind.temporality === 'delta';
}

/** "exponential histogram, delta, http/protobuf": how a kind is named in messages. */
export function describeKind(kind: SentKind): string {
  return `${kind.histogram} histogram, ${kind.temporality}, ${kind.protocol}`;
}
