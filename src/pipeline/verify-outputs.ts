/**
 * Verify's output files and its verdict (verify, run): --junit and --report written once the report is
 * final (an interrupted one too, marked so), what a stop loses before they are, and the exit code.
 */
import type { RunManifest } from '../manifest/schema.js';
import type { ReportCommand } from '../report/html.js';
import { writeReportFile } from '../report/write.js';
import { InterruptedError } from '../util/errors.js';
import { writeFileAtomic } from '../util/output-file.js';
import { renderJunit } from '../verify/junit.js';
import type { VerifyReport } from '../verify/types.js';

/** An output file: its absolute path (checked writable before any work started) and as it was given. */
export interface OutputFile {
  path: string;
  shown: string;
}

export interface VerifyOutputFiles {
  junit?: OutputFile | undefined;
  report?: OutputFile | undefined;
}

/** Said when the HTML report is written (the CLI prints "report: <file>"). */
export interface ReportWritten {
  type: 'report-written';
  shown: string;
}

/** Writes --junit and --report (atomically); the HTML report also shows `html`'s manifests. */
export async function writeVerifyOutputs(
  report: VerifyReport,
  files: VerifyOutputFiles,
  html: { command: ReportCommand; manifests: readonly RunManifest[] },
  onEvent: (event: ReportWritten) => void,
): Promise<void> {
  if (files.junit) await writeFileAtomic(files.junit.path, renderJunit(report), '--junit');
  if (files.report) {
    await writeReportFile(files.report.path, { ...html, verify: report });
    onEvent({ type: 'report-written', shown: files.report.shown });
  }
}

/** What a stop loses before verify's outputs are written. */
export function verifyOutputsLost(opts: { junit?: string | undefined; json: boolean }): string {
  return `${[opts.json ? 'the --json report' : 'the report', opts.junit && `--junit ${opts.junit}`].filter(Boolean).join(' and ')} not written`;
}

/**
 * Verify's exit code, decided here: 0 every check passed, 1 one failed; interrupted: an
 * InterruptedError (130) whose one line says what was decided and where the report is.
 */
export function verifyExitCode(report: VerifyReport, junit: string | undefined): 0 | 1 {
  if (report.interrupted) throw new InterruptedError(interruptedVerifyMessage(report, junit));
  return report.ok ? 0 : 1;
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
