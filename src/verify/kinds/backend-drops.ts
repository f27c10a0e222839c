/**
 * What a backend says it dropped, from its own /metrics: VictoriaMetrics counts each OTLP data point
 * it skips in `vm_protoparser_rows_dropped_total{type="opentelemetry",reason="…"}` (measured on
 * 1.112 with the OTel JS SDK: delta sums → unsupported_sum_aggregation, delta explicit histograms →
 * unsupported_histogram_aggregation, delta exponential histograms →
 * unsupported_exponential_histogram_aggregation), while it answers the export with success. A red
 * "delta … not stored" that names that counter says where the data went. The counter is the whole
 * backend's, not one run's or tenant's: the verdict says so. Any failure to read it is no verdict of
 * its own (undefined): the checks stand on the series alone.
 */
import { request } from 'undici';

export const VM_DROPPED_ROWS = 'vm_protoparser_rows_dropped_total';

/** Dropped OTLP rows per reason (only reasons with a count above 0). */
export type DropCounters = Record<string, number>;

/** Parses the exposition text: the OpenTelemetry rows VictoriaMetrics dropped, by reason. */
export function parseDropCounters(text: string): DropCounters {
  const out: DropCounters = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${VM_DROPPED_ROWS}{`)) continue;
    const m = /^[^{]+\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (labels.type !== undefined && labels.type !== 'opentelemetry') continue;
    const n = Number(m[2]);
    if (labels.reason && n > 0) out[labels.reason] = (out[labels.reason] ?? 0) + n;
  }
  return out;
}

/**
 * The backend's metrics page for its Prometheus API URL, as VictoriaMetrics single-node serves them
 * (`http://host:8428/prometheus` → `http://host:8428/metrics`); Mimir's and Cortex's /metrics has no
 * such counter, so reading it there finds none.
 */
export function defaultBackendMetricsUrl(promUrl: string): string {
  return `${promUrl.replace(/\/+$/, '').replace(/\/prometheus$/, '')}/metrics`;
}

export async function readDropCounters(
  metricsUrl: string,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<DropCounters | undefined> {
  try {
    const res = await request(metricsUrl, {
      method: 'GET',
      headersTimeout: opts.timeoutMs ?? 5_000,
      bodyTimeout: opts.timeoutMs ?? 5_000,
      signal: opts.signal ?? null,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) return undefined;
    return parseDropCounters(text);
  } catch {
    return undefined;
  }
}
