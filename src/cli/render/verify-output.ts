import type { VerifyEvent } from '../../pipeline/verify.js';
import type { CliContext } from '../context.js';
import type { Follower } from '../pipeline-events.js';
import { renderReport, renderServiceReports } from './verify-report.js';

/** verify's events: progress (the pipeline's), "report: <file>", and the final report as a table or --json. */
export function renderVerifyEvent(
  ctx: CliContext,
  e: VerifyEvent,
  follow: Follower,
  out: { json: boolean; talk: boolean },
): void {
  if (e.type === 'report-written') {
    if (out.talk) ctx.info(`report: ${e.shown}`);
  } else if (e.type === 'verify-report' || e.type === 'service-report') {
    const [doc, text] =
      e.type === 'verify-report'
        ? [e.report, renderReport(e.report, ctx.outColor)]
        : [e.reports, renderServiceReports(e.reports, ctx.outColor)];
    ctx.runtime.stdout.write(out.json ? `${JSON.stringify(doc, null, 2)}\n` : text);
  } else {
    follow.onEvent(e);
  }
}
