import { Option } from 'commander';
import type { RunManifest } from '../manifest/schema.js';
import type { ReportCommand } from '../report/html.js';
import { writeReportFile } from '../report/write.js';
import { checkOutputPath } from '../util/output-file.js';
import type { VerifyReport } from '../verify/types.js';
import type { CliContext } from './context.js';

/** `--report <file.html>`, on verify (load and run: OUTPUT_OPTIONS): checked up front, written at the end. */
export function reportOption(): Option {
  return new Option(
    '--report <file.html>',
    'also write a one-file HTML report: rate, errors and latency second by second, tenant × status counts, and the verify check matrix (opens offline)',
  );
}

/** Checked before any work starts: a report that cannot be written is refused now (exit 2). */
export function checkReportPath(path: string | undefined, ctx: CliContext): string | undefined {
  return path === undefined ? undefined : checkOutputPath(path, '--report', ctx.runtime);
}

/** Writes the report (src/report/write.ts); says where on stderr when `talk`. */
export async function writeHtmlReport(
  ctx: CliContext,
  absPath: string | undefined,
  input: { command: ReportCommand; manifests: readonly RunManifest[]; verify?: VerifyReport | undefined },
  opts: { talk: boolean; shown: string | undefined },
): Promise<void> {
  if (absPath === undefined) return;
  await writeReportFile(absPath, input);
  if (opts.talk) ctx.info(`report: ${opts.shown}`);
}
