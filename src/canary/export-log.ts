/**
 * What the canary's own exporter sent: per export, its timestamp and the cumulative value of every
 * request counter in it. The correctness check compares each sample the backend holds with the value
 * exported with that same timestamp, so the canary must remember them; only as long as the checked
 * window needs them, so memory stays flat however long the canary runs.
 *
 * `recordingExporter` wraps the SDK's exporter: it sees exactly the ResourceMetrics the SDK hands to
 * the OTLP exporter (same data points, same timestamps), so what is recorded is what was sent.
 */
import type { HrTime } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { DataPointType, type PushMetricExporter, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { ATTR, INSTRUMENTS, PROM } from '../telemetry/names.js';
import { observedExporter } from '../telemetry/provider.js';

/** One export: its data points' timestamp (epoch ms, as the backend stores it) and what it carried. */
export interface ExportRecord {
  atMs: number;
  /** seriesKey(name, client_id, status) → cumulative value. */
  values: Map<string, number>;
  /** client_id values with a series in this export: the tenants it was for. */
  clientIds: Set<string>;
  /** undefined while the export is in flight. */
  ok: boolean | undefined;
  error?: string;
}

/**
 * The series the canary compares exactly: the request counter and the histogram's count (integers).
 * The histogram's sum is a float a backend may store with less precision; it is left out.
 */
export const COMPARED_NAMES = [PROM.requestTotal, PROM.durationCount] as const;

/** How a series is named across the exporter and the backend: name, tenant, status code. */
export function seriesKey(name: string, clientId: string, status: string): string {
  return `${name}|${clientId}|${status}`;
}

export class ExportLog {
  readonly #records: ExportRecord[] = [];

  /** Oldest first. */
  get records(): readonly ExportRecord[] {
    return this.#records;
  }

  add(record: ExportRecord): void {
    this.#records.push(record);
    this.#records.sort((a, b) => a.atMs - b.atMs);
  }

  /** The record of the export with this timestamp (±1 ms: backends truncate, never round up). */
  at(atMs: number): ExportRecord | undefined {
    for (const r of this.#records) if (Math.abs(r.atMs - atMs) <= 1) return r;
    return undefined;
  }

  /** Forgets exports older than `beforeMs`: the window no longer reaches them. */
  prune(beforeMs: number): void {
    let n = 0;
    while (n < this.#records.length && this.#records[n]!.atMs < beforeMs) n++;
    if (n > 0) this.#records.splice(0, n);
  }
}

/**
 * One ExportLog per export stream: the single stream of the otlp-endpoint topology (key ''), or one
 * per tenant stream with per-tenant export. Streams export on timers of their own, so their
 * timestamps differ: a tenant's samples are matched against its own stream's exports only, and its
 * completeness counts its own stream's exports.
 */
export class ExportLogs {
  readonly #logs = new Map<string, ExportLog>();

  /** The log of the stream of `tenant` (undefined: the single stream); made on first use. */
  of(tenant: string | undefined): ExportLog {
    const key = tenant ?? '';
    let log = this.#logs.get(key);
    if (!log) {
      log = new ExportLog();
      this.#logs.set(key, log);
    }
    return log;
  }

  prune(beforeMs: number): void {
    for (const log of this.#logs.values()) log.prune(beforeMs);
  }
}

/** The record of one ResourceMetrics: its counters' values by series, its timestamp. */
export function recordOf(metrics: ResourceMetrics, runId: string): ExportRecord | undefined {
  const values = new Map<string, number>();
  const clientIds = new Set<string>();
  let atMs: number | undefined;
  for (const scope of metrics.scopeMetrics) {
    for (const m of scope.metrics) {
      const name = m.descriptor.name;
      if (name !== INSTRUMENTS.requestCount.name && name !== INSTRUMENTS.requestDuration.name) continue;
      for (const dp of m.dataPoints) {
        const a = dp.attributes;
        if (a[ATTR.runId] !== runId || typeof a[ATTR.clientId] !== 'string') continue;
        const clientId = a[ATTR.clientId] as string;
        const status = String(a[ATTR.statusCode] ?? '');
        atMs ??= hrToMs(dp.endTime);
        clientIds.add(clientId);
        if (m.dataPointType === DataPointType.SUM) {
          values.set(seriesKey(PROM.requestTotal, clientId, status), Number(dp.value));
        } else if (m.dataPointType === DataPointType.HISTOGRAM) {
          const h = dp.value as { count: number };
          values.set(seriesKey(PROM.durationCount, clientId, status), h.count);
        }
      }
    }
  }
  return atMs === undefined ? undefined : { atMs, values, clientIds, ok: undefined };
}

/** Epoch ms as a backend stores an OTLP timestamp: truncated, not rounded. */
export function hrToMs([s, ns]: HrTime): number {
  return s * 1000 + Math.floor(ns / 1e6);
}

export interface ExportObserver {
  /** Called when an export's result is known. */
  onResult?(record: ExportRecord | undefined, ok: boolean, error: string | undefined): void;
}

/** Wraps `inner`: every export is recorded in `log` before it is sent. */
export function recordingExporter(
  inner: PushMetricExporter,
  log: ExportLog,
  runId: string,
  observer: ExportObserver = {},
): PushMetricExporter {
  return observedExporter(inner, (metrics) => {
    const record = recordOf(metrics, runId);
    if (record) log.add(record);
    return (result) => {
      const ok = result.code === ExportResultCode.SUCCESS;
      const error = ok ? undefined : (result.error?.message ?? 'export failed');
      if (record) {
        record.ok = ok;
        if (error !== undefined) record.error = error;
      }
      observer.onResult?.(record, ok, error);
    };
  });
}
