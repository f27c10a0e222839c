import type { ChalkInstance } from 'chalk';
import { dropRate, errorRate } from '../../load/thresholds.js';
import type { LatencySummary, RunManifest } from '../../manifest/schema.js';
import { renderTable } from './table.js';

/**
 * The end-of-run summary: requests by tenant × status, achieved vs target rate, dropped, errors by
 * category, and latency percentiles of both kinds. Pure: manifest in, text out.
 */
export function renderLoadSummary(m: RunManifest, c: ChalkInstance): string {
  const out: string[] = [];
  const t = m.totals;
  const elapsedS = (Date.parse(m.endedAt) - Date.parse(m.startedAt)) / 1000;
  out.push(
    `${c.bold('otelpoc load')} ${m.interrupted ? c.yellow('(interrupted) ') : ''}run ${c.bold(m.runId)} → ${m.target} · ${elapsedS.toFixed(1)}s · ${m.config.model} model`,
  );
  out.push('');

  const counts = ['sent', 'answered', 'mismatched', 'unanswered', 'refused', 'dropped'] as const;
  const rows: string[][] = [['tenant', 'status', ...counts]];
  for (const tenant of m.tenants) {
    for (const s of tenant.byStatus) {
      rows.push([tenant.clientId ?? '(anonymous)', String(s.status), ...counts.map((k) => String(s[k]))]);
    }
  }
  rows.push(['total', '', ...counts.map((k) => String(t[k]))]);
  out.push(...renderTable(rows, { header: c.dim, last: c.bold }));
  out.push('');

  const target = m.rate.targetPerSec !== null ? ` of ${m.rate.targetPerSec} target` : '';
  out.push(
    `rate      ${c.bold(m.rate.achievedPerSec.toFixed(1))} req/s achieved${target} · scheduled ${t.scheduled} · dropped ${
      t.dropped > 0 ? c.yellow(`${t.dropped} (${pct(dropRate(m))})`) : '0'
    }`,
  );
  const e = m.errors;
  const errTotal = e.refused + e.reset + e.timeout + e.statusMismatch + e.other;
  const errLine = `refused ${e.refused} · reset ${e.reset} · timeout ${e.timeout} · status mismatch ${e.statusMismatch} · other ${e.other}`;
  out.push(`errors    ${errTotal > 0 ? c.red(errLine) : errLine} (${pct(errorRate(m))} of sent)`);
  const mismatchedTo = m.tenants
    .flatMap((tn) => Object.entries(tn.receivedByStatus))
    .reduce<Record<string, number>>((acc, [k, v]) => {
      acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {});
  out.push(
    `received  ${
      Object.entries(mismatchedTo)
        .map(([k, v]) => `${k}: ${v}`)
        .join(' · ') || 'nothing'
    }`,
  );
  out.push('');

  const lat: string[][] = [['latency (ms)', 'p50', 'p90', 'p99', 'p99.9', 'max', 'count']];
  // Nothing measured: no numbers, not zeros that read like a very fast server.
  const row = (name: string, l: LatencySummary) =>
    l.count === 0
      ? [name, '–', '–', '–', '–', '–', '0']
      : [name, f(l.p50Ms), f(l.p90Ms), f(l.p99Ms), f(l.p999Ms), f(l.maxMs), String(l.count)];
  lat.push(row('service (send → response)', m.latency.service));
  lat.push(row('schedule-corrected', m.latency.scheduleCorrected));
  if (m.latency.sendLateness) lat.push(row('send lateness', m.latency.sendLateness));
  out.push(...renderTable(lat, { header: c.dim }));
  if (m.server) {
    out.push('');
    out.push(
      `server    ${m.server.url} · metrics → ${m.server.metricsTarget} · ${m.server.exports} export(s), ${m.server.failedExports} failed · final flush ${
        m.server.finalFlushOk ? c.green('ok') : c.red('FAILED')
      }`,
    );
  }
  return `${out.join('\n')}\n`;
}

function f(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1)}%`;
}
