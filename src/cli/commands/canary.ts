import { Command, Option } from 'commander';

import type { CanaryConfig } from '../../canary/canary.js';

import { CANARY_METRICS_PORT } from '../../canary/metric-names.js';

import {
  integerStatusMix,
  parseClientIds,
  parsePositiveInt,
  parseRate,
  parseStatusMix,
  type StatusWeight,
} from '../../load/values.js';
import { stopLimitMs } from '../../pipeline/lifecycle.js';
import { formatDurationMs, MAX_DURATION_MS, parseDurationMs } from '../../util/duration.js';
import type { Env } from '../../util/env.js';
import { CheckFailedError, UsageError } from '../../util/errors.js';
import { isValidRunId } from '../../util/ids.js';
import { ValueProblem } from '../../util/value-problem.js';
import type { CliContext } from '../context.js';
import {
  addServerOptions,
  otlpConfigFrom,
  parseIntegerIn,
  parseListenHost,
  type ServerFlags,
  tenantExportFrom,
} from '../options.js';
import { canaryLog, redSummary, renderCanaryEvent } from '../render/canary.js';
import { stopOf } from '../runtime.js';
import { addVerifyOptions, prometheusBackendFrom, type VerifyFlags } from '../verify-options.js';

interface CanaryFlags extends ServerFlags, VerifyFlags {
  perTenantExport?: boolean;
  name: string;
  tenants: number;
  clientIds?: string[];
  statusMix: StatusWeight[];
  rps: number | 'max';
  interval: number;
  maxLag?: number;
  metricsPort: number;
  metricsHost: string;
  once?: boolean;
  json?: boolean;
  logFormat: 'text' | 'json';
}

const DEFAULT_RPS = 3;
const DEFAULT_MIX = '200:85,404:10,500:5';
/** Checks per interval are a few queries: more often than this is load on the backend, not a canary. */
const MIN_INTERVAL_MS = 1000;

/** verify's flags that mean nothing to a canary: hidden from --help, refused when given. */
const VERIFY_ONLY = [
  'verifyTimeout',
  'settle',
  'junit',
  'explain',
  'allTenants',
  'tenantsUrl',
  'alsoTenants',
];
/**
 * --default-tenant names a tenant stream only with --per-tenant-export (as in `run`): refused
 * without it. The canary's own requests all carry a Client-ID; the flag is there for parity.
 */
const PER_TENANT_EXPORT_ONLY = 'defaultTenant';

/** `--flag: expected …, got "…"` for the load value parsers (exit 2). */
function flag<T>(name: string, parse: (text: string) => T) {
  return (text: string): T => {
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof ValueProblem)
        throw new UsageError(`${name}: ${err.message}, got ${JSON.stringify(text)}`);
      throw err;
    }
  };
}

export function canaryCommand(ctx: CliContext): Command {
  const cmd = new Command('canary')
    .summary('check continuously, per tenant, that the pipeline delivers')
    .description(
      [
        "Runs until SIGINT/SIGTERM. Starts the instrumented server in process (exporting over OTLP as `serve` does), sends it a steady, low, deterministic request mix for each tenant, and every --interval checks each tenant in the backend's Prometheus API (same options as `verify`): correctness (every sample equals the cumulative value the canary exported with that timestamp), freshness (delivery lag within --max-lag), completeness (no export missing in the window), isolation (no other tenant's client_id) and names.",
        "With --per-tenant-export the server keeps one OTLP export stream per tenant, each sending --tenant-header: <Client-ID> (the direct topology: no tenant router, e.g. straight into Mimir's /otlp endpoint); each tenant is checked against what its own stream exported.",
        'Its own metrics (prefix otelpoc_canary_) are on --metrics-port at /metrics, with /healthz. A tenant is pending (not proven) until its samples have been seen arriving, right and complete; pending turns red by itself after --max-lag. One log line when a tenant turns red (the failing check and its reason), one when it is first proven green, and one when it turns green again.',
        'Exit (--once): 0 every tenant green, 1 a check failed, 2 bad input.',
      ].join('\n\n'),
    )
    .addOption(
      new Option(
        '--name <name>',
        'this canary instance: its run id is canary-<name>; give each instance its own',
      ).default('default'),
    )
    .addOption(
      new Option('--tenants <n>', 'check tenant-1 … tenant-N')
        .default(3)
        .argParser(flag('--tenants', (t) => parsePositiveInt(t, 100))),
    )
    .addOption(
      new Option(
        '--client-ids <ids>',
        'comma-separated tenants (Client-ID values) instead of tenant-N',
      ).argParser(flag('--client-ids', parseClientIds)),
    )
    .addOption(
      new Option('--status-mix <mix>', 'status codes asked for, with weights')
        .default(parseStatusMix(DEFAULT_MIX), DEFAULT_MIX)
        .argParser(flag('--status-mix', parseStatusMix)),
    )
    .addOption(
      new Option('--rps <rate>', 'requests per second in all tenants')
        .default(DEFAULT_RPS)
        .argParser(flag('--rps', parseRate)),
    )
    .addOption(
      new Option('--interval <duration>', 'how often every tenant is checked')
        .default(30_000, '30s')
        .argParser((v) => parseDurationMs(v, '--interval')),
    )
    .addOption(
      new Option('--max-lag <duration>', 'delivery lag allowed')
        .default(undefined, '2 × the export interval + 30s')
        .argParser((v) => parseDurationMs(v, '--max-lag')),
    )
    .addOption(
      new Option('--metrics-port <port>', 'port of /metrics and /healthz; 0 picks a free one')
        .default(CANARY_METRICS_PORT)
        .argParser(parseIntegerIn('--metrics-port', 0, 65535)),
    )
    .addOption(
      new Option('--metrics-host <address>', 'address of /metrics (0.0.0.0 in a container)')
        .default('127.0.0.1')
        .argParser(parseListenHost('--metrics-host')),
    )
    .addOption(new Option('--once', 'run one interval, then exit 0 (all green) or 1'))
    .addOption(new Option('--json', "print each interval's result as one JSON line on stdout"))
    .addOption(
      new Option('--log-format <format>', 'red/green transition lines on stderr')
        .choices(['text', 'json'])
        .default('text'),
    );
  addServerOptions(cmd, { delayDefault: '0-20ms', tenantFlags: 'shared' });
  addVerifyOptions(cmd, { timeoutFlag: '--verify-timeout' });
  for (const o of cmd.options) if (VERIFY_ONLY.includes(o.attributeName())) o.hideHelp();
  cmd.addHelpText(
    'after',
    `
Examples:
  $ otelpoc canary                                              # Alloy on :4318, Mimir on :9009
  $ otelpoc canary --once --interval 20s --export-interval 5s    # a smoke test: exit 0/1
  $ otelpoc canary --name eu-1 --tenants 5 --log-format json --metrics-host 0.0.0.0
  $ otelpoc canary --per-tenant-export --otlp-endpoint http://localhost:9009/otlp --url http://localhost:9009/prometheus`,
  );
  return cmd.action(async (flags: CanaryFlags) => {
    const { runtime } = ctx;
    for (const name of VERIFY_ONLY) {
      const source = cmd.getOptionValueSource(name);
      if (source === 'cli' || source === 'env') {
        const opt = cmd.options.find((o) => o.attributeName() === name)!;
        throw new UsageError(`${opt.long}: not an option of canary (it is verify's); drop it`);
      }
    }
    const source = cmd.getOptionValueSource(PER_TENANT_EXPORT_ONLY);
    if ((source === 'cli' || source === 'env') && !flags.perTenantExport) {
      throw new UsageError(
        '--default-tenant: only used with --per-tenant-export (the tenant of requests without Client-ID); add it, or drop --default-tenant',
      );
    }
    const config = canaryConfigFrom(flags, cmd, runtime.env);
    const { runCanary, stopBoundMs } = await import('../../canary/canary.js');
    stopOf(runtime).limit(stopLimitMs(stopBoundMs(config)), { quiet: flags.json === true });
    const owed = stopOf(runtime).owe('the final metrics export of the canary not sent');
    try {
      const last = await runCanary(config, {
        env: runtime.env,
        signal: runtime.signal,
        warn: (m) => canaryLog(ctx, flags.logFormat, 'warn', m),
        onEvent: (e) => renderCanaryEvent(ctx, flags, e),
      });
      if (config.once && last && !last.ok) {
        throw new CheckFailedError(`canary: ${redSummary(last)}`);
      }
      if (config.once && !last) throw new CheckFailedError('canary: stopped before its first interval');
    } finally {
      owed();
    }
  });
}

function canaryConfigFrom(flags: CanaryFlags, cmd: Command, env: Env): CanaryConfig {
  const runId = `canary-${flags.name}`;
  // "" would make the run id "canary-": valid, but a name no one gave.
  if (flags.name === '' || !isValidRunId(runId)) {
    throw new UsageError(
      `--name: expected 1 to ${64 - 'canary-'.length} letters, digits, "-" or "_" (the run id is canary-<name>), got ${JSON.stringify(flags.name)}`,
    );
  }
  if (flags.rps === 'max')
    throw new UsageError('--rps: a canary sends a steady low rate; give a number, like 3');
  if (flags.rps > 1000) throw new UsageError(`--rps: at most 1000 for a canary, got ${flags.rps}`);
  const tenantsGiven = cmd.getOptionValueSource('tenants') === 'cli';
  let clientIds: string[];
  if (flags.clientIds) {
    if (tenantsGiven && flags.tenants !== flags.clientIds.length) {
      throw new UsageError(
        `--tenants: ${flags.tenants} does not match the ${flags.clientIds.length} --client-ids; give one of them`,
      );
    }
    clientIds = flags.clientIds;
  } else {
    clientIds = Array.from({ length: flags.tenants }, (_, i) => `tenant-${i + 1}`);
  }
  if (flags.interval < MIN_INTERVAL_MS) {
    throw new UsageError(`--interval: at least 1s, got ${formatDurationMs(flags.interval)}`);
  }
  const otlp = otlpConfigFrom(cmd, env);
  const maxLagMs = flags.maxLag ?? 2 * otlp.exportIntervalMs + 30_000;
  if (maxLagMs <= otlp.exportIntervalMs) {
    throw new UsageError(
      `--max-lag: ${formatDurationMs(maxLagMs)} is not longer than the export interval (${formatDurationMs(otlp.exportIntervalMs)}): every sample would be late`,
    );
  }
  if (maxLagMs > MAX_DURATION_MS / 4) throw new UsageError('--max-lag: at most 6 days');
  const backend = prometheusBackendFrom(cmd);
  return {
    name: flags.name,
    runId,
    clientIds,
    statusMix: integerStatusMix(flags.statusMix),
    ratePerSec: flags.rps,
    intervalMs: flags.interval,
    maxLagMs,
    once: flags.once === true,
    serve: {
      delay: flags.delay,
      seed: flags.seed,
      maxTenants: flags.maxTenants,
      otlp,
      tenantExport: tenantExportFrom(flags, 'shared'),
    },
    backend,
    metrics: flags.once ? null : { host: flags.metricsHost, port: flags.metricsPort },
  };
}
