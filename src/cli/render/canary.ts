/**
 * What `otelpoc canary` prints: the log lines on stderr (text or JSON: started, stopped, warnings,
 * each tenant's red/green transitions), each interval's result on stdout (one JSON line with --json,
 * the per-tenant text with --once), and the --once failure summary.
 */
import type { CanaryEvent, IntervalReport, Transition } from '../../canary/canary.js';
import type { CanaryOutput } from '../../canary/command.js';
import { formatDurationMs } from '../../util/duration.js';
import type { CliContext } from '../context.js';

export function renderCanaryEvent(ctx: CliContext, e: CanaryEvent, flags: CanaryOutput): void {
  const { runtime } = ctx;
  switch (e.type) {
    case 'warning':
      canaryLog(ctx, flags.logFormat, 'warn', e.message);
      break;
    case 'started':
      canaryLog(
        ctx,
        flags.logFormat,
        'info',
        `canary started (${e.topology}): run id canary-${flags.name}, server ${e.serverUrl}, checks every ${formatDurationMs(flags.intervalMs)} over the last ${formatDurationMs(e.windowMs)}${e.metricsUrl ? `, metrics at ${e.metricsUrl}/metrics` : ''}`,
        { event: 'started', topology: e.topology, metricsUrl: e.metricsUrl },
      );
      break;
    case 'interval':
      if (flags.json) runtime.stdout.write(`${JSON.stringify(intervalDocument(e.report))}\n`);
      else if (flags.once) runtime.stdout.write(`${intervalText(e.report)}\n`);
      break;
    case 'transition':
      transitionLine(ctx, flags.logFormat, e.transition);
      break;
    case 'stopping':
      break;
    case 'stopped':
      canaryLog(
        ctx,
        flags.logFormat,
        'info',
        `canary stopped (${e.exports} export(s), ${e.failedExports} failed)`,
        {
          event: 'stopped',
        },
      );
      break;
  }
}

function transitionLine(ctx: CliContext, format: 'text' | 'json', t: Transition): void {
  if (t.to === 'red') {
    const why = t.failing.map((c) => `${c.check}: ${c.reason}`).join(' | ');
    canaryLog(ctx, format, 'error', `tenant "${t.tenant}" is red: ${why}`, {
      event: 'red',
      tenant: t.tenant,
      failing: t.failing.map((c) => ({ check: c.check, reason: c.reason })),
    });
  } else if (t.firstAfterMs !== undefined) {
    // The first green since the start: the tenant's data has been seen arriving, right and complete.
    canaryLog(
      ctx,
      format,
      'info',
      `tenant "${t.tenant}" is green: its data arrived (proven ${formatDurationMs(t.firstAfterMs)} after the start)`,
      { event: 'green', tenant: t.tenant, firstAfterSeconds: t.firstAfterMs / 1000 },
    );
  } else {
    canaryLog(
      ctx,
      format,
      'info',
      `tenant "${t.tenant}" is green again (red for ${formatDurationMs(t.redForMs ?? 0)})`,
      {
        event: 'green',
        tenant: t.tenant,
        redForSeconds: (t.redForMs ?? 0) / 1000,
      },
    );
  }
}

function canaryLog(
  ctx: CliContext,
  format: 'text' | 'json',
  level: 'info' | 'warn' | 'error',
  message: string,
  fields: Record<string, unknown> = {},
): void {
  const time = new Date().toISOString();
  if (format === 'json') {
    ctx.runtime.stderr.write(`${JSON.stringify({ time, level, msg: message, ...fields })}\n`);
  } else {
    ctx.runtime.stderr.write(`${time} ${level === 'info' ? '' : `${level}: `}${message}\n`);
  }
}

/** The --json line of one interval (exported for the tests of the states it carries). */
export function intervalDocument(r: IntervalReport) {
  return {
    time: new Date(r.atMs).toISOString(),
    status: r.status,
    ok: r.ok,
    topology: r.topology,
    tenants: r.tenants.map((t) => ({
      tenant: t.tenant,
      status: t.status,
      ok: t.ok,
      lagSeconds: t.lagMs / 1000,
      exportsExpected: t.exportsExpected,
      exportsVisible: t.exportsVisible,
      checks: Object.fromEntries(
        t.checks.map((c) => [
          c.check,
          c.status === 'pass'
            ? { status: c.status, ok: true, evidence: c.evidence }
            : { status: c.status, ok: c.ok, reason: c.reason },
        ]),
      ),
    })),
  };
}

function intervalText(r: IntervalReport): string {
  return r.tenants
    .map(
      (t) =>
        `${t.status === 'red' ? 'red  ' : t.status} ${t.tenant}  lag ${(t.lagMs / 1000).toFixed(1)} s${
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
