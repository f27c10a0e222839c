import { DOCTOR_OPTIONS, type DoctorEvent, doctor } from '../../doctor/command.js';
import { DEMO_TENANTS, PROBE_CLIENT_ID } from '../../doctor/defaults.js';
import * as render from '../../doctor/render.js';
import type { CliContext } from '../context.js';
import type { CommandSpec } from '../program.js';
import { createProgress, type Progress } from '../render/progress.js';

export const doctorSpec = (ctx: CliContext): CommandSpec<typeof DOCTOR_OPTIONS> => ({
  name: 'doctor',
  summary: 'check the stack, hop by hop, and send one probe request through it',
  description: [
    'Checks, in pipeline order, what you would otherwise debug by hand: the OTLP endpoint accepts metrics (4318), Alloy is ready (12345), cortex-tenant is alive (8085), Mimir is ready and answers queries per tenant (9009), Grafana is healthy (3000).',
    `Then it starts an in-process serve, sends one request with Client-ID ${PROBE_CLIENT_ID}, flushes its metrics and waits until the series shows up in Mimir for that tenant, and reports how far the probe got. Every failure says what to look at next.`,
    'Exit 0 when every check that ran passed, 1 otherwise.',
  ],
  table: DOCTOR_OPTIONS,
  examples: [
    'docker compose up -d --wait && otelpoc doctor',
    'otelpoc doctor --skip grafana,cortex-tenant',
    'otelpoc doctor --topology direct          # compose profile direct: OTLP straight into Mimir',
    'otelpoc doctor --json | jq \'.checks[] | select(.status == "fail")\'',
    `otelpoc doctor --mimir-url http://mimir.internal:9009/prometheus --tenants ${DEMO_TENANTS.slice(0, 3).join(',')}`,
  ],
  action: (given) => {
    // The probe's wait can take seconds: a spinner on a TTY, one plain line otherwise, nothing with --json.
    let progress: Progress | undefined;
    const out = (text: string) => ctx.runtime.stdout.write(text);
    return doctor(given, {
      env: ctx.runtime.env,
      signal: ctx.runtime.signal,
      onEvent: (e: DoctorEvent, { json }) => {
        if (e.type === 'started') {
          if (!json) out(render.renderHeader(e.topology));
          progress = createProgress(ctx, { enabled: !json });
        } else if (e.type === 'progress' && !json) progress?.update(ctx.errColor.dim(e.message));
        else if (e.type === 'result' && !json) {
          progress?.stop();
          out(render.renderCheck(e.check, ctx.outColor));
        } else if (e.type === 'report') {
          progress?.stop();
          out(json ? `${JSON.stringify(e.report, null, 2)}\n` : render.renderSummary(e.report, ctx.outColor));
        }
      },
    });
  },
});
