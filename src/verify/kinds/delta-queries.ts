/**
 * The queries verify reads a delta run with. A backend that stores raw deltas (Mimir with
 * otel_native_delta_ingestion, Cortex with -distributor.otlp.allow-delta-temporality) holds one
 * sample per export, each the increase since the one before: the run's total is their sum over the
 * window (`sum_over_time`), where a cumulative run's is the newest sample (`last_over_time`).
 * `sum_over_time` drops the metric name (Prometheus, Mimir, Cortex and VictoriaMetrics alike: one
 * selector over several names then fails with "vector cannot contain metrics with the same
 * labelset", measured on Cortex 1.20.1), so each name the checks read is asked on its own and named
 * back. Kept apart from prometheus-source.ts, whose one-selector query is the cumulative case.
 */
import { PROM } from '../../telemetry/names.js';

/** What the checks read of a delta run: the counter, the classic histogram's series, the native one. */
export const DELTA_NAMES = [
  PROM.requestTotal,
  PROM.durationBucket,
  PROM.durationSum,
  PROM.durationCount,
  PROM.durationNative,
] as const;

/** Without a window: the backend's default lookback (5 minutes in Prometheus and Mimir). */
const DEFAULT_RANGE = '5m';

/**
 * One query per name: `sum_over_time(name{selector}[window])`, and the name to give its samples;
 * for the float series also `last_over_time` (`newest`), which tells a pipeline that converted the
 * deltas to cumulative (its newest sample is the total, the sum over-counts: kinds/delta-storage.ts).
 */
export function deltaQueries(
  selector: string,
  windowMs?: number,
): { name: string; query: string; newest?: string }[] {
  const range = windowMs === undefined ? DEFAULT_RANGE : `${Math.max(1, Math.ceil(windowMs / 1000))}s`;
  return DELTA_NAMES.map((name) => ({
    name,
    query: `sum_over_time(${name}${selector}[${range}])`,
    ...(name === PROM.durationNative ? {} : { newest: `last_over_time(${name}${selector}[${range}])` }),
  }));
}
