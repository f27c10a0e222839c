import { writeFileAtomic } from '../../util/output-file.js';
import { renderJunit } from '../../verify/junit.js';
import type { VerifyReport } from '../../verify/types.js';
import type { CliContext } from '../context.js';
import { renderReport } from './verify-report.js';

/**
 * Verify's outputs, for `verify` and `run`: JUnit to its file (already checked writable), the report
 * table on stdout (not with --json: the command prints its one JSON document), exit code 1 when a
 * check failed. An interrupted report is written the same way, marked interrupted.
 */
export async function writeVerifyOutputs(
  ctx: CliContext,
  report: VerifyReport,
  opts: { junit?: string | undefined; json: boolean },
): Promise<void> {
  if (opts.junit) await writeFileAtomic(opts.junit, renderJunit(report), '--junit');
  if (!opts.json) ctx.runtime.stdout.write(renderReport(report, ctx.outColor));
  if (!report.ok) ctx.exitCode = 1;
}

/** What a stop loses before verify's outputs are written. */
export function verifyOutputsLost(opts: { junit?: string | undefined; json: boolean }): string {
  return `${[opts.json ? 'the --json report' : 'the report', opts.junit && `--junit ${opts.junit}`].filter(Boolean).join(' and ')} not written`;
}

/** The one line on stderr of an interrupted verify (exit 130): what was decided, and where it is. */
export function interruptedVerifyMessage(report: VerifyReport, junit: string | undefined): string {
  const passed = report.results.filter((r) => r.ok).length;
  const undecided = report.results.filter((r) => r.undecided).length;
  const where = junit ? ` (also in ${junit})` : '';
  if (undecided === 0 && passed === report.results.length && passed > 0) {
    // Every check green, but the settle window was not over: not a pass either.
    return `verify interrupted in the settle window: all ${passed} checks green for ${(report.greenForMs / 1000).toFixed(1)} s of ${(report.settleMs / 1000).toFixed(1)} s; the report says so${where}`;
  }
  return `verify interrupted before all checks passed: ${passed} passed, ${undecided} not decided; the report says which${where}`;
}
