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
  const junit = opts.junit === undefined ? undefined : { path: opts.junit, shown: opts.junit };
  await writeFiles(report, { junit }, { command: 'verify', manifests: [] }, () => {});
  if (!report.ok) ctx.exitCode = 1;
  if (!opts.json) ctx.runtime.stdout.write(renderReport(report, ctx.outColor));
}
