import { Command, Option } from 'commander';
import { DEMO_TENANTS, PROBE_CLIENT_ID, STACK_URLS } from '../../doctor/defaults.js';
import { parseSkip, parseTopology, resolveDoctorConfig } from '../../doctor/plan.js';
import * as render from '../../doctor/render.js';
import type { DoctorInput, SkipName } from '../../doctor/types.js';
import { DEFAULT_TENANT, TENANT_HEADER } from '../../telemetry/names.js';
import { parseDurationMs } from '../../util/duration.js';
import { UsageError } from '../../util/errors.js';
import { parseHeaderName } from '../../util/http-headers.js';
import { TENANT_ID_RULE, tenantIdProblem } from '../../util/ids.js';
import { checkHttpUrl } from '../../util/net.js';
import type { CliContext } from '../context.js';
import { createProgress } from '../render/progress.js';

/** Commander's names for the flags: --timeout and --probe-timeout are the config's *Ms. */
type DoctorFlags = Omit<DoctorInput, 'timeoutMs' | 'probeTimeoutMs'> & {
  timeout: number;
  probeTimeout: number;
  json?: boolean;
};

export function doctorCommand(ctx: CliContext): Command {
  const url = (flag: string) => (v: string) => checkHttpUrl(v, flag).replace(/\/+$/, '');
  return new Command('doctor')
    .summary('check the stack, hop by hop, and send one probe request through it')
    .description(
      [
        'Checks, in pipeline order, what you would otherwise debug by hand: the OTLP endpoint accepts metrics (4318), Alloy is ready (12345), cortex-tenant is alive (8085), Mimir is ready and answers queries per tenant (9009), Grafana is healthy (3000).',
        `Then it starts an in-process serve, sends one request with Client-ID ${PROBE_CLIENT_ID}, flushes its metrics and waits until the series shows up in Mimir for that tenant, and reports how far the probe got. Every failure says what to look at next.`,
        'Exit 0 when every check that ran passed, 1 otherwise.',
      ].join('\n\n'),
    )
    .addOption(
      new Option(
        '--topology <name>',
        'router: OTLP → Alloy → cortex-tenant → Mimir; direct: per-tenant OTLP export straight into Mimir (/otlp), no Alloy or cortex-tenant checks',
      )
        .default('router')
        .argParser(parseTopology),
    )
    .addOption(
      new Option(
        '--otlp-endpoint <url>',
        `OTLP/HTTP base URL, as for serve (with --topology direct: --mimir-url's origin + /otlp unless given)`,
      )
        .env('OTEL_EXPORTER_OTLP_ENDPOINT')
        .default(STACK_URLS.otlpEndpoint),
    )
    .addOption(
      new Option('--alloy-url <url>', "Alloy's HTTP server")
        .default(STACK_URLS.alloy)
        .argParser(url('--alloy-url')),
    )
    .addOption(
      new Option('--cortex-tenant-url <url>', 'cortex-tenant')
        .default(STACK_URLS.cortexTenant)
        .argParser(url('--cortex-tenant-url')),
    )
    .addOption(
      new Option('--mimir-url <url>', "Mimir's Prometheus API prefix (as verify --url)")
        .default(STACK_URLS.mimir)
        .argParser(url('--mimir-url')),
    )
    .addOption(
      new Option('--grafana-url <url>', 'Grafana')
        .default(STACK_URLS.grafana)
        .argParser(url('--grafana-url')),
    )
    .addOption(
      new Option('--tenant-header <name>', 'header that names the tenant')
        .default(TENANT_HEADER)
        .argParser((v) => parseHeaderName(v, '--tenant-header')),
    )
    .addOption(
      new Option('--tenants <list>', 'comma-separated tenants whose queries must be answered')
        .default([DEFAULT_TENANT], DEFAULT_TENANT)
        .argParser(parseTenants),
    )
    .addOption(
      new Option('--probe-client-id <id>', "the probe request's Client-ID (its tenant)")
        .default(PROBE_CLIENT_ID)
        .argParser((v) => parseTenant(v, '--probe-client-id')),
    )
    .addOption(
      new Option(
        '--skip <checks>',
        'skip checks: otlp, alloy, cortex-tenant, mimir, grafana, probe (comma-separated, repeatable)',
      )
        .default([], 'none')
        .argParser((v, prev: SkipName[]) => parseSkip(v, prev)),
    )
    .addOption(
      new Option('--timeout <duration>', 'timeout of each HTTP request')
        .default(5000, '5s')
        .argParser((v) => parseDurationMs(v, '--timeout')),
    )
    .addOption(
      new Option('--probe-timeout <duration>', "how long the probe's series may take to show up in Mimir")
        .default(30_000, '30s')
        .argParser((v) => parseDurationMs(v, '--probe-timeout')),
    )
    .option('--json', 'print the results as one JSON document on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ docker compose up -d --wait && otelpoc doctor
  $ otelpoc doctor --skip grafana,cortex-tenant
  $ otelpoc doctor --topology direct          # compose profile direct: OTLP straight into Mimir
  $ otelpoc doctor --json | jq '.checks[] | select(.status == "fail")'
  $ otelpoc doctor --mimir-url http://mimir.internal:9009/prometheus --tenants ${DEMO_TENANTS.slice(0, 3).join(',')}`,
    )
    .action(async (flags: DoctorFlags, _cmd: Command) => {
      const { runtime } = ctx;
      const { timeout, probeTimeout, json: _, ...input } = flags;
      const config = resolveDoctorConfig(
        { ...input, timeoutMs: timeout, probeTimeoutMs: probeTimeout },
        runtime.env,
      );
      const { runDoctor, httpProbe, sleepUnlessAborted } = await import('../../doctor/run.js');
      const c = ctx.outColor;
      if (!flags.json) runtime.stdout.write(render.renderHeader(config.topology));
      // The probe's wait can take seconds: a spinner on a TTY, one plain line otherwise, nothing with --json.
      const progress = createProgress(ctx, { enabled: !flags.json });
      const onProgress = (m: string) => progress.update(ctx.errColor.dim(m));
      const onResult = (r: Parameters<typeof render.renderCheck>[0]) => {
        progress.stop();
        runtime.stdout.write(render.renderCheck(r, c));
      };
      const report = await runDoctor(config, {
        http: httpProbe,
        env: runtime.env,
        now: () => performance.now(),
        sleep: sleepUnlessAborted,
        signal: runtime.signal,
        onResult: flags.json ? undefined : onResult,
        onProgress: flags.json ? undefined : onProgress,
      });
      progress.stop();
      if (flags.json) runtime.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else runtime.stdout.write(render.renderSummary(report, c));
      if (runtime.signal.aborted) ctx.exitCode = 130;
      else ctx.exitCode = report.ok ? 0 : 1;
    });
}

function parseTenant(value: string, flag: string): string {
  const problem = tenantIdProblem(value);
  if (problem) throw new UsageError(`${flag}: "${value}" ${problem}; a tenant is ${TENANT_ID_RULE}`);
  return value;
}

function parseTenants(value: string): string[] {
  const list = value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (list.length === 0)
    throw new UsageError(`--tenants: expected a comma-separated list of tenants, got "${value}"`);
  return list.map((t) => parseTenant(t, '--tenants'));
}
