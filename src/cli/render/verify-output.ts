import { writeVerifyOutputs as writeFiles } from '../../pipeline/verify-outputs.js';
import type { VerifyReport } from '../../verify/types.js';
import type { CliContext } from '../context.js';
import { renderReport } from './verify-report.js';

/**
 * Verify's outputs, for `verify`: JUnit to its file (src/pipeline/verify-outputs.ts), the report
 * table on stdout (not with --json: the command prints its one JSON document), exit code 1 when a
 * check failed. An interrupted report is written the same way, marked interrupted.
 */
export async function writeVerifyOutputs(
  ctx: CliContext,
  report: VerifyReport,
  opts: { junit?: string | undefined; json: boolean },
): Promise<void> {
  if ((await writeFiles(report, opts)) !== 0) ctx.exitCode = 1;
  if (!opts.json) ctx.runtime.stdout.write(renderReport(report, ctx.outColor));
}
