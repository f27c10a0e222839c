/**
 * What a backend says it dropped, from its own /metrics, so that a red "not stored" can name the
 * backend's own counter:
 * - VictoriaMetrics counts each OTLP data point it skips in
 *   `vm_protoparser_rows_dropped_total{type="opentelemetry",reason="…"}` while it answers the export
 *   with success (measured on 1.112 with the OTel JS SDK: delta sums → unsupported_sum_aggregation,
 *   delta explicit histograms → unsupported_histogram_aggregation, delta exponential histograms →
 *   unsupported_exponential_histogram_aggregation). The whole backend's count, not one run's.
 * - Cortex (and Mimir, its fork) counts the native histogram samples a tenant sends while native
 *   histograms are off in `cortex_discarded_samples_total{reason="native-histogram-sample",user="<tenant>"}`
 *   (cortexproject/cortex@v1.20.1:pkg/ingester/ingester.go, the reason in pkg/ingester/series.go):
 *   per tenant.
 * Any failure to read the page is no verdict of its own (undefined): the checks stand on the series.
 */
import { request } from 'undici';

export const VM_DROPPED_ROWS = 'vm_protoparser_rows_dropped_total';
export const CORTEX_DISCARDED = 'cortex_discarded_samples_total';
export const CORTEX_NATIVE_REASON = 'native-histogram-sample';

/** One counter of dropped data above 0: its series as the backend names it, and its value. */
export interface DropCounter {
  name: string;
  reason: string;
  /** The tenant it counts for (Cortex's `user` label); absent: the whole backend's. */
  tenant?: string;
  value: number;
}
export type DropCounters = DropCounter[];

/** The counters of dropped data in an exposition text (only those above 0). */
export function parseDropCounters(text: string): DropCounters {
  const out: DropCounters = [];
  for (const line of text.split('\n')) {
    const m = /^(\w+)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!m || (m[1] !== VM_DROPPED_ROWS && m[1] !== CORTEX_DISCARDED)) continue;
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    const value = Number(m[3]);
    if (!labels.reason || !(value > 0)) continue;
    if (m[1] === VM_DROPPED_ROWS && labels.type !== 'opentelemetry') continue;
    out.push({
      name: m[1],
      reason: labels.reason,
      ...(m[1] === CORTEX_DISCARDED && labels.user !== undefined ? { tenant: labels.user } : {}),
      value,
    });
  }
  return out;
}

/** `name{reason="…"[,user="…"]} = n`: a counter as the verdict names it. */
export function describeDrop(d: DropCounter): string {
  return `${d.name}{reason="${d.reason}"${d.tenant !== undefined ? `,user="${d.tenant}"` : ''}} = ${d.value}`;
}

/**
 * The backend's metrics page for its Prometheus API URL: VictoriaMetrics single-node
 * (`http://host:8428/prometheus` → `http://host:8428/metrics`), Mimir and Cortex
 * (`http://host:9009/prometheus` → `http://host:9009/metrics`).
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
