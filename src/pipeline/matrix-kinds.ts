/**
 * `run --matrix`'s kinds and its own settings: every kind of OTLP metric data otelpoc emits
 * (protocol × temporality × histogram aggregation), each named by a slug such as
 * `cumulative-explicit-proto`, and which of them a matrix sends by default. Kept apart from
 * matrix.ts (which runs them) so that run's table can declare these settings without an import circle.
 */
import { option, toggle } from '../options/table.js';
import {
  HISTOGRAM_AGGREGATIONS,
  type HistogramAggregation,
  OTLP_PROTOCOLS,
  type OtlpProtocol,
  TEMPORALITIES,
  type Temporality,
} from '../telemetry/config.js';
import { UsageError } from '../util/errors.js';

export interface MatrixKind {
  slug: string;
  protocol: OtlpProtocol;
  temporality: Temporality;
  histogram: HistogramAggregation;
}

const PROTOCOL_SLUG: Record<OtlpProtocol, string> = {
  'http/protobuf': 'proto',
  'http/json': 'json',
  grpc: 'grpc',
};

/** Every kind, temporality first: cumulative-explicit-proto … lowmemory-exponential-grpc. */
export const ALL_KINDS: readonly MatrixKind[] = TEMPORALITIES.flatMap((temporality) =>
  HISTOGRAM_AGGREGATIONS.flatMap((histogram) =>
    OTLP_PROTOCOLS.map((protocol) => ({
      slug: `${temporality}-${histogram}-${PROTOCOL_SLUG[protocol]}`,
      protocol,
      temporality,
      histogram,
    })),
  ),
);

/**
 * The kinds a matrix sends without --kinds: cumulative and delta (lowmemory is delta for the
 * histogram only, its observable counters stay cumulative: ask for it with --kinds) × explicit and
 * exponential × OTLP/HTTP protobuf and JSON, and gRPC when `grpc` (the endpoint speaks it: a
 * --otlp-grpc-endpoint was given, or the kinds are captured in process).
 */
export function defaultKinds(grpc: boolean): MatrixKind[] {
  return ALL_KINDS.filter((k) => k.temporality !== 'lowmemory' && (grpc || k.protocol !== 'grpc'));
}

/** `--kinds a,b`: the kinds named, in the order given; an unknown slug is refused naming the allowed. */
export function parseKinds(text: string, name: string): MatrixKind[] {
  const slugs = [...new Set(text.split(',').map((s) => s.trim()))];
  const bad = slugs.filter((s) => !ALL_KINDS.some((k) => k.slug === s));
  if (bad.length > 0 || slugs.length === 0) {
    throw new UsageError(
      `${name}: ${bad.map((b) => `"${b}"`).join(', ') || 'no kind'} is not a kind; allowed (comma-separated): ${ALL_KINDS.map((k) => k.slug).join(', ')}`,
    );
  }
  return slugs.map((s) => ALL_KINDS.find((k) => k.slug === s)!);
}

/** A gRPC endpoint: scheme, host and port only (the service path is gRPC's own). */
function parseGrpcEndpoint(text: string, name: string): string {
  let u: URL | undefined;
  try {
    u = new URL(text);
  } catch {}
  if (!u || !/^https?:$/.test(u.protocol) || (u.pathname && u.pathname !== '/') || u.search) {
    throw new UsageError(
      `${name}: expected a gRPC endpoint, a scheme, host and port only (like http://localhost:4317), got "${text}"`,
    );
  }
  return `${u.protocol}//${u.host}`;
}

/** run's settings of the matrix (declared in RUN_OPTIONS). */
export const MATRIX_OPTIONS = {
  matrix: toggle(
    '--matrix',
    'send every kind the endpoint takes (protocol × temporality × histogram), each as its own run <run-id>-<kind>, concurrently, and print one table kind × tenant: exact, changed (how) or missing (where, and the fix)',
  ),
  kinds: option<MatrixKind[]>({
    flags: '--kinds <list>',
    help: 'with --matrix: only these kinds, a comma list of slugs <temporality>-<histogram>-<proto|json|grpc> (e.g. cumulative-explicit-proto,delta-exponential-json)',
    shown: "the endpoint's kinds",
    parse: parseKinds,
  }),
  otlpGrpcEndpoint: option<string>({
    flags: '--otlp-grpc-endpoint <url>',
    help: "with --matrix: the pipeline's OTLP/gRPC endpoint (scheme, host and port): the matrix then sends the gRPC kinds there too; without it, grpc kinds named in --kinds go to --otlp-endpoint's host on port 4317",
    parse: parseGrpcEndpoint,
  }),
};
