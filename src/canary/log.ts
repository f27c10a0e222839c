/**
 * The canary's outputs as data: each event's log entry (level, message, the JSON fields a log
 * pipeline reads), a log entry as a line (text or JSON), and each interval's --json document. The
 * CLI only writes them (src/cli/render/canary.ts).
 */
import { formatDurationMs } from '../util/duration.js';
import type { CanaryEvent, IntervalReport, Transition } from './canary.js';
import type { CanaryOutput, LogFormat } from './command.js';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

/** An event's log line on stderr, or none (an interval is a document on stdout, stopping is silent). */
export function logEntryOf(e: CanaryEvent, out: CanaryOutput): LogEntry | undefined {
  switch (e.type) {
    case 'warning':
      return { level: 'warn', message: e.message };
    case 'started':
      return {
        level: 'info',
        message: `canary started (${e.topology}): run id canary-${out.name}, server ${e.serverUrl}, checks every ${formatDurationMs(out.intervalMs)} over the last ${formatDurationMs(e.windowMs)}${e.metricsUrl ? `, metrics at ${e.metricsUrl}/metrics` : ''}`,
        fields: { event: 'started', topology: e.topology, metricsUrl: e.metricsUrl },
      };
    case 'transition':
      return transitionEntry(e.transition);
    case 'stopped':
      return {
        level: 'info',
        message: `canary stopped (${e.exports} export(s), ${e.failedExports} failed)`,
        fields: { event: 'stopped' },
      };
    default:
      return undefined;
  }
}

function transitionEntry(t: Transition): LogEntry {
  if (t.to === 'red') {
    const why = t.failing.map((c) => `${c.check}: ${c.reason}`).join(' | ');
    const failing = t.failing.map((c) => ({ check: c.check, reason: c.reason }));
    return {
      level: 'error',
      message: `tenant "${t.tenant}" is red: ${why}`,
      fields: { event: 'red', tenant: t.tenant, failing },
    };
  }
  if (t.firstAfterMs !== undefined) {
    // The first green since the start: the tenant's data has been seen arriving, right and complete.
    return {
      level: 'info',
      message: `tenant "${t.tenant}" is green: its data arrived (proven ${formatDurationMs(t.firstAfterMs)} after the start)`,
      fields: { event: 'green', tenant: t.tenant, firstAfterSeconds: t.firstAfterMs / 1000 },
    };
  }
  const redForMs = t.redForMs ?? 0;
  return {
    level: 'info',
    message: `tenant "${t.tenant}" is green again (red for ${formatDurationMs(redForMs)})`,
    fields: { event: 'green', tenant: t.tenant, redForSeconds: redForMs / 1000 },
  };
}

/** One log line: `<time> [level: ]message` or one JSON object `{time, level, msg, ...fields}`. */
export function logLine(entry: LogEntry, format: LogFormat, time: Date): string {
  const at = time.toISOString();
  if (format === 'json')
    return `${JSON.stringify({ time: at, level: entry.level, msg: entry.message, ...entry.fields })}\n`;
  return `${at} ${entry.level === 'info' ? '' : `${entry.level}: `}${entry.message}\n`;
}

/** The --json line of one interval. */
export function intervalDocument(r: IntervalReport) {
  return {
    time: new Date(r.atMs).toISOString(),
    status: r.status,
    ok: r.ok,
    topology: r.topology,
    tenants: r.tenants.map((t) => ({
      tenant: t.tenant,
      status: t.status,
      ok: t.ok,
      lagSeconds: t.lagMs / 1000,
      exportsExpected: t.exportsExpected,
      exportsVisible: t.exportsVisible,
      checks: Object.fromEntries(
        t.checks.map((c) => [
          c.check,
          c.status === 'pass'
            ? { status: c.status, ok: true, evidence: c.evidence }
            : { status: c.status, ok: c.ok, reason: c.reason },
        ]),
      ),
    })),
  };
}
