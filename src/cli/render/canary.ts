/** What `otelpoc canary` prints: its log lines on stderr, each interval on stdout (--json, or text with --once). */
import type { CanaryEvent, IntervalReport } from '../../canary/canary.js';
import type { CanaryOutput } from '../../canary/command.js';
import { intervalDocument, logEntryOf, logLine } from '../../canary/log.js';
import { formatSeconds } from '../../util/duration.js';
import type { CliContext } from '../context.js';

export { intervalDocument } from '../../canary/log.js';

export function renderCanaryEvent(ctx: CliContext, e: CanaryEvent, flags: CanaryOutput): void {
  const { stdout, stderr } = ctx.runtime;
  if (e.type === 'interval') {
    if (flags.json) stdout.write(`${JSON.stringify(intervalDocument(e.report))}\n`);
    else if (flags.once) stdout.write(`${intervalText(e.report)}\n`);
    return;
  }
  const entry = logEntryOf(e, flags);
  if (entry) stderr.write(logLine(entry, flags.logFormat, new Date()));
}

function intervalText(r: IntervalReport): string {
  return r.tenants
    .map(
      (t) =>
        `${t.status === 'red' ? 'red  ' : t.status} ${t.tenant}  lag ${formatSeconds(t.lagMs)}${
          t.ok
            ? ''
            : `  ${t.checks
                .filter((c) => !c.ok)
                .map((c) => `${c.check}${c.status === 'pending' ? ' (pending)' : ''}: ${c.reason}`)
                .join(' | ')}`
        }`,
    )
    .join('\n');
}
