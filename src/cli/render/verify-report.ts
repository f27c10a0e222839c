/** Pure renderers of a VerifyReport: the terminal table and progress lines (JUnit: src/verify/junit.ts). */
import type { ChalkInstance } from 'chalk';
import { describeTopology } from '../../telemetry/topology.js';
import { formatSeconds as seconds } from '../../util/duration.js';
import { kindSummaryLines } from '../../verify/kinds/verdict.js';
import type { PollEvent } from '../../verify/poll.js';
import type { ServiceVerifyReport } from '../../verify/service/verify-service.js';
import type { CheckStatus } from '../../verify/status.js';
import { CHECK_TITLES, type CheckResult, statusOf, type VerifyReport } from '../../verify/types.js';
import { renderTable } from './table.js';

export function renderReport(report: VerifyReport, c: ChalkInstance): string {
  const lines: string[] = [];
  lines.push(
    `${c.bold('otelpoc verify')} · run ${report.runId} · ${report.source}${report.topology ? ` · topology ${report.topology} (${describeTopology(report.topology)})` : ''}`,
  );
  lines.push('');
  const rows = report.results.map((r) => [r.tenant, CHECK_TITLES[r.check], mark(r, c), r.expected, r.found]);
  const header = ['tenant', 'check', '', 'expected', 'found'];
  // A tenant's name on its first row only.
  const shown = rows.map((row, i) => [row[0] === rows[i - 1]?.[0] ? '' : row[0]!, ...row.slice(1)]);
  // Verify that failed before polling (nothing to verify) has no rows: no empty table then.
  if (rows.length > 0 || !report.cannotPass) {
    lines.push(...renderTable([header, ...shown], { align: header.map(() => 'left'), header: c.dim }));
  }
  const failed = report.results.filter((r) => statusOf(r) === 'fail');
  const noData = report.results.filter((r) => statusOf(r) === 'no-data');
  const undecided = report.results.filter((r) => r.undecided);
  const said = new Set<string>();
  const problemLines = (title: string, results: CheckResult[], bullet: string) => {
    if (results.every((r) => r.problems.length === 0)) return;
    lines.push('');
    lines.push(c.bold(title));
    for (const r of results) {
      for (const p of r.problems) {
        // One cause (e.g. a tenant the backend does not know) fails several checks: say it once.
        if (said.has(`${r.tenant}\u0000${p}`)) continue;
        said.add(`${r.tenant}\u0000${p}`);
        lines.push(`  ${bullet} ${r.tenant} · ${CHECK_TITLES[r.check]}: ${p}`);
      }
    }
  };
  const kinds = kindSummaryLines(report.kinds);
  if (kinds.length > 0) lines.push('', ...kinds);
  problemLines('Problems:', failed, c.red('✗'));
  if (noData.length > 0) {
    // Not problems found, but not passes either: say what had nothing to look at.
    lines.push('');
    lines.push(c.bold('No data (nothing to check, so not passed):'));
    for (const r of noData)
      lines.push(`  ${c.yellow('–')} ${r.tenant} · ${CHECK_TITLES[r.check]}: ${r.found}`);
  }
  if (report.flaps && report.flaps.length > 0) {
    lines.push('');
    lines.push(c.bold('Went red after every check had passed (settle window):'));
    for (const f of report.flaps) {
      lines.push(
        `  ${c.red('✗')} ${f.tenant} · ${CHECK_TITLES[f.check]} at ${seconds(f.atMs)} (all green since ${seconds(f.greenSinceMs)}): ${f.problem}`,
      );
    }
  }
  problemLines('Still awaited when interrupted (last poll):', undecided, c.yellow('?'));
  const blockers = (report.cannotPass ?? []).filter((b) => !report.undelivered?.includes(b));
  if (blockers.length > 0) {
    if (lines.at(-1) !== '') lines.push('');
    lines.push(c.bold('Cannot pass (from the manifests):'));
    for (const b of blockers) lines.push(`  ${c.red('✗')} ${b}`);
  }
  if (report.shardStarts) lines.push('', `${c.dim('shard starts:')} ${report.shardStarts}`);
  if (report.runInterrupted) {
    lines.push('');
    lines.push(`${c.yellow('!')} ${report.runInterrupted}`);
  }
  if (report.endedEarly) {
    // Said apart from the check rows: the reason verify stopped waiting, and what to change.
    const e = report.endedEarly;
    lines.push('');
    lines.push(
      c.bold(
        e.atMs === 0
          ? `Ended before polling (${e.signature}):`
          : `Ended early at ${seconds(e.atMs)}, before the timeout (${e.signature}):`,
      ),
    );
    lines.push(`  ${c.red('✗')} ${e.why}`);
    lines.push(`  fix: ${e.fix}`);
  }
  if (!report.ok && report.undelivered) {
    lines.push('');
    lines.push(c.bold('Metrics that never left their server (from the manifests):'));
    for (const u of report.undelivered) lines.push(`  ${c.red('✗')} ${u}`);
  }
  if (report.queries) {
    lines.push('');
    lines.push(c.bold('Queries (--explain):'));
    for (const q of report.queries) lines.push(`  ${q}`);
  }
  lines.push('');
  lines.push(verdictLine(report, c));
  return `${lines.join('\n')}\n`;
}

export function verdictLine(report: VerifyReport, c: ChalkInstance): string {
  const checks = report.results.length;
  const failed = report.results.filter((r) => statusOf(r) === 'fail');
  const noData = report.results.filter((r) => statusOf(r) === 'no-data').length;
  const tenants = report.tenants.length;
  const time = `${seconds(report.elapsedMs)}, ${report.polls} poll(s)`;
  if (report.interrupted) {
    const passed = report.results.filter((r) => r.ok).length;
    const undecided = report.results.filter((r) => r.undecided).length;
    const settling =
      report.greenForMs > 0 || (undecided === 0 && passed === checks && checks > 0)
        ? `; all green for ${seconds(report.greenForMs)} of the ${seconds(report.settleMs)} settle window`
        : '';
    return `${c.yellow.bold('INTERRUPTED')} run ${report.runId}: ${passed} of ${checks} checks passed, ${undecided} not decided when verify was interrupted${settling} (${time})`;
  }
  if (report.ok) {
    // Checks that could not be made (e.g. isolation with one store for all tenants) are not "passed".
    const skipped = report.results.filter((r) => r.skipped).length;
    const passed =
      skipped > 0
        ? `${checks - skipped} checks passed, ${skipped} not testable,`
        : `all ${checks} checks passed`;
    const cut = report.runInterrupted ? ` — ${report.runInterrupted}` : '';
    return `${c.green.bold('PASS')} run ${report.runId}: ${passed} for ${tenants} tenant(s), ${settled(report)} (${time})${cut}`;
  }
  const blocker = report.cannotPass?.[0];
  if (blocker !== undefined && report.results.every((r) => r.ok)) {
    // The backend showed what the checks wanted, but the manifest says that cannot be this run's data.
    const more = report.cannotPass!.length > 1 ? ` (and ${report.cannotPass!.length - 1} more)` : '';
    return `${c.red.bold('FAIL')} run ${report.runId}: ${blocker}${more} (${time})`;
  }
  if (report.results.every((r) => r.ok) && report.results.length > 0) {
    // Every check green when the deadline came, but the settle window could not be watched to its end
    // (the backend stopped answering): not a pass.
    return `${c.red.bold('FAIL')} run ${report.runId}: all checks green for ${seconds(report.greenForMs)}, but the ${seconds(report.settleMs)} settle window did not complete before the timeout${report.lastError ? ` (${report.lastError})` : ''} (${time})`;
  }
  if (report.endedEarly && report.polls === 0) {
    // Decided before any poll: no check was made, so none is counted as failed.
    return `${c.red.bold('FAIL')} run ${report.runId}: not verifiable, ended before polling (${report.endedEarly.signature}): ${report.endedEarly.why}; fix: ${report.endedEarly.fix}`;
  }
  const absent = report.results.filter((r) => r.check === 'presence' && r.found === 'none').length;
  const overflow = report.results
    .flatMap((r) => (r.check === 'presence' ? r.problems : []))
    .find((p) => p.includes('(--max-tenants) was hit'));
  const hint = overflow
    ? ` — ${overflow}`
    : absent === tenants && tenants > 0
      ? ` — the backend has no series of run ${report.runId} at all: wrong run, wrong backend, or the data never left the server`
      : '';
  const flap = report.flaps?.[0];
  const flapped = flap
    ? ` — ${flap.tenant} · ${CHECK_TITLES[flap.check]} went red at ${seconds(flap.atMs)}, after every check had been green since ${seconds(flap.greenSinceMs)}`
    : '';
  const lost = report.undelivered?.[0];
  const undelivered = lost
    ? ` — ${lost}${report.undelivered!.length > 1 ? ` (and ${report.undelivered!.length - 1} more)` : ''}`
    : '';
  const empty = noData > 0 ? `, ${noData} with no data (nothing to check: not passed)` : '';
  const early = report.endedEarly
    ? ` — ended early (${report.endedEarly.signature}), it cannot turn green: ${report.endedEarly.why}; fix: ${report.endedEarly.fix}`
    : '';
  return `${c.red.bold('FAIL')} run ${report.runId}: ${failed.length} of ${checks} checks failed${report.timedOut ? ` when the timeout ended (${time})` : ` (${time})`}${empty}${flapped}${undelivered}${early || hint}`;
}

/** "green for 6.0 s (settle window 6 s: …); visible after 2.1 s", or why there was no window. */
function settled(report: VerifyReport): string {
  const visible =
    report.visibleAfterMs !== undefined ? `; data visible after ${seconds(report.visibleAfterMs)}` : '';
  if (report.settleMs === 0) return `no settle window (${report.settleWhy})${visible}`;
  return `green for ${seconds(report.greenForMs)} (settle window ${seconds(report.settleMs)}: ${report.settleWhy})${visible}`;
}

/** The table's state column: ✓ only for a pass on evidence; no data is spelled out, never green. */
const MARKS: Record<CheckStatus, (c: ChalkInstance) => string> = {
  pass: (c) => c.green('✓'),
  fail: (c) => c.red('✗'),
  'not-testable': (c) => c.dim('–'),
  'no-data': (c) => c.yellow('no data'),
  undecided: (c) => c.yellow('?'),
};
const mark = (r: CheckResult, c: ChalkInstance) => MARKS[statusOf(r)](c);

/** One line of progress per poll: which tenants are green so far. */
export function renderProgress(event: PollEvent): string {
  const s = (event.elapsedMs / 1000).toFixed(1);
  if (event.type === 'transient-error')
    return `verify: ${s}s poll ${event.attempt}: ${event.message} (retrying)`;
  if (event.settling) {
    return `verify: ${s}s poll ${event.attempt}: all ${event.tenants.length} tenant(s) green · settling: green for ${seconds(event.settling.greenForMs)} of ${seconds(event.settling.settleMs)}`;
  }
  // A no-data check names no problem: wait on the first that does.
  const failing = event.results.filter((r) => !r.ok && r.problems.length > 0);
  const firstProblem = failing[0]?.problems[0];
  return `verify: ${s}s poll ${event.attempt}: ${event.greenTenants.length}/${event.tenants.length} tenant(s) green${
    event.greenTenants.length ? ` (${event.greenTenants.join(', ')})` : ''
  }${firstProblem ? ` · waiting: ${failing[0]!.tenant}: ${firstProblem}` : ''}`;
}

/** verify by a service profile: per manifest, tenant × status sent and counted, then what is wrong. */
export function renderServiceReports(reports: readonly ServiceVerifyReport[], c: ChalkInstance): string {
  const lines = reports.flatMap((r) => [
    `${c.bold('otelpoc verify')} · service profile ${r.profile} · ${r.ok ? c.green('exact') : c.red('failed')}`,
    ...renderTable(
      [
        ['tenant', 'status', 'answered', 'found', 'counter'],
        ...r.cells.map((x) => [x.tenant, x.status, `${x.expected}`, `${x.found}`, `${x.counter ?? ''}`]),
      ],
      { header: c.dim },
    ),
    ...r.problems.map((p) => `  ${c.red('✗')} ${p}`),
  ]);
  return `${lines.join('\n')}\n`;
}
