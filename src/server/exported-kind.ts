/**
 * The kind of data the instrumented server exports, as the manifest records it (server.kind):
 * protocol, temporality, histogram aggregation and, for http.server.request.duration, what shapes
 * its buckets: the exponential parameters, or the explicit boundaries the instrument declares
 * (request-metrics.ts passes DURATION_BUCKETS_S as its advice). verify reads it to know what to expect.
 */
import type { HistogramAggregation, OtlpKind, OtlpProtocol, Temporality } from '../telemetry/config.js';
import { DURATION_BUCKETS_S } from '../telemetry/names.js';

export interface ExportedKind {
  protocol: OtlpProtocol;
  temporality: Temporality;
  histogram: HistogramAggregation;
  exponential?: { maxSize: number; maxScale: number };
  boundaries?: number[];
  /** RequestMetrics counts requests with an ObservableCounter (lowmemory keeps it cumulative). */
  requestCounter: 'observable';
}

export function exportedKind(kind: OtlpKind): ExportedKind {
  const { protocol, temporality, histogram } = kind;
  const common = { protocol, temporality, requestCounter: 'observable' } as const;
  return histogram.aggregation === 'exponential'
    ? {
        ...common,
        histogram: 'exponential',
        exponential: { maxSize: histogram.maxSize, maxScale: histogram.maxScale },
      }
    : { ...common, histogram: 'explicit', boundaries: [...DURATION_BUCKETS_S] };
}
