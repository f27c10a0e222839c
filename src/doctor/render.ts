/** Pure renderers for doctor's results: a checklist line per check, hints under failures, a summary. */
import type { ChalkInstance } from 'chalk';
import { formatDurationMs } from '../util/duration.js';
import type { DoctorCheck, DoctorReport, DoctorTopology } from './types.js';

const TITLE_WIDTH = 26;

export function renderCheck(r: DoctorCheck, c: ChalkInstance): string {
  const mark = r.status === 'pass' ? c.green('✓') : r.status === 'fail' ? c.red('✗') : c.dim('-');
  const title = r.title.padEnd(TITLE_WIDTH);
  const detail = r.status === 'skip' ? c.dim(r.detail) : r.detail;
  const lines = [`${mark} ${r.status === 'fail' ? c.bold(title) : title} ${detail}`];
  if (r.status === 'fail') {
    lines.push(`    ${c.dim(`looked at: ${r.target}`)}`);
    for (const hint of r.hints) lines.push(`    ${c.yellow('→')} ${hint}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderSummary(report: DoctorReport, c: ChalkInstance): string {
  const { passed, failed, skipped } = report.summary;
  const parts = [`${passed} passed`, `${failed} failed`];
  if (skipped) parts.push(`${skipped} skipped`);
  const total = report.checks.reduce((sum, r) => sum + r.durationMs, 0);
  const verdict = report.ok ? c.green.bold('pipeline OK') : c.red.bold('pipeline has problems');
  const headline = report.headline ? `${c.red.bold(report.headline)}\n` : '';
  return `\n${headline}${verdict}: ${parts.join(', ')} (${formatDurationMs(total)})\n`;
}

/** The pipeline doctor checks, hop by hop: the direct topology has no Alloy and no cortex-tenant. */
export function renderHeader(topology: DoctorTopology = 'router'): string {
  return topology === 'direct'
    ? "otelpoc doctor (direct): OTLP per tenant → Mimir's /otlp → Mimir → Grafana, then one probe request\n"
    : 'otelpoc doctor: OTLP → Alloy → cortex-tenant → Mimir → Grafana, then one probe request\n';
}
