/**
 * An export stream's record, apart from the SDK (provider.ts), so that what reports it (the serve
 * part, the manifest) does not load the OpenTelemetry SDK for commands that export nothing.
 */

/**
 * What the exporter has done so far, as it runs (one pipeline's, or summed over a server's streams);
 * surfaced by serve, load and doctor (the SDK itself stays silent).
 */
export interface ExportStats {
  exports: number;
  failures: number;
  consecutiveFailures: number;
  lastError: string | undefined;
}

/**
 * A stopped stream's record, as the manifest (ManifestServer, each of its `streams`), the
 * `server-stopped` event and serve's and the canary's stop lines carry it: its exports, the failed
 * ones, and whether its last export (the final flush, once stopped) got through.
 */
export interface ExportTotals {
  exports: number;
  failedExports: number;
  finalFlushOk: boolean;
}

export function exportTotalsOf(s: Readonly<ExportStats>): ExportTotals {
  return { exports: s.exports, failedExports: s.failures, finalFlushOk: s.consecutiveFailures === 0 };
}
