/**
 * Verify's outputs besides the report the CLI prints (verify, run): the JUnit file, the exit code of
 * the checks, what a stop loses before they are written, and the line of an interrupted verify.
 */
import type { ExitCode } from '../util/errors.js';
import { writeFileAtomic } from '../util/output-file.js';
import { renderJunit } from '../verify/junit.js';
import type { VerifyReport } from '../verify/types.js';

/** Writes the JUnit report (its path already checked); 1 when a check failed, else 0. */
export async function writeVerifyOutputs(
  report: VerifyReport,
  opts: { junit?: string | undefined; json: boolean },
): Promise<ExitCode> {
  if (opts.junit) await writeFileAtomic(opts.junit, renderJunit(report), '--junit');
  return report.ok ? 0 : 1;
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
