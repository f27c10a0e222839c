import { type Command, Option } from 'commander';

import type { TenantExportOptions } from '../server/tenant-streams.js';

import {
  DEFAULT_EXPORT_INTERVAL_MS,
  DEFAULT_OTLP_ENDPOINT,
  type OtlpConfig,
  parseExportInterval,
  resolveOtlpConfig,
} from '../telemetry/config.js';
import { DEFAULT_TENANT, TENANT_HEADER } from '../telemetry/names.js';

import { type DelayRange, formatDurationMs, parseDelayRange } from '../util/duration.js';
import type { Env } from '../util/env.js';
import { UsageError } from '../util/errors.js';
import { parseHeaderName } from '../util/http-headers.js';
import { TENANT_ID_RULE, tenantIdProblem } from '../util/ids.js';
import { parseSeed } from '../util/random.js';

/**
 * Option parsers shared by the commands. Each throws a UsageError whose message names the flag and
 * what is allowed; cli/main.ts prints it as one line and exits 2.
 */
export function parseIntegerIn(what: string, min: number, max: number) {
  return (text: string): number => {
    if (!/^-?\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
      throw new UsageError(`${what}: expected an integer from ${min} to ${max}, got "${text}"`);
    }
    return Number(text);
  };
}

export const parsePort = parseIntegerIn('--port', 0, 65535);

/** Flags of the in-process server, shared by `serve`, `load --serve` and `run`. */
export interface ServerFlags {
  delay: DelayRange;
  seed?: number;
  otlpEndpoint?: string;
  exportInterval?: number;
  maxTenants: number;
}

/** serve's and load's per-tenant export flags (run's: --per-tenant-export, see addServerOptions). */
export interface TenantExportFlags {
  tenantHeader?: string;
  defaultTenant?: string;
  perTenantExport?: boolean;
}

/**
 * The server option table. A command may give its own defaults (run: a short run), shown in its help.
 * --otlp-endpoint and --export-interval keep only a value given on the command line: their env vars
 * and defaults are resolved by otlpConfigFrom (see readOptionEnv).
 *
 * `tenantFlags`: 'own' (serve, load) adds --tenant-header and --default-tenant; 'shared' (run, whose
 * verify flags already have both, for the queries) adds --per-tenant-export, which exports with
 * those same two: in the per-tenant topology the write side and the read side must agree on them.
 */
export function addServerOptions(
  cmd: Command,
  opts: { delayDefault?: string; exportIntervalMs?: number; tenantFlags?: 'own' | 'shared' } = {},
): Command {
  const exportIntervalMs = opts.exportIntervalMs ?? DEFAULT_EXPORT_INTERVAL_MS;
  addTenantExportOptions(cmd, opts.tenantFlags ?? 'own');
  return cmd
    .addOption(
      new Option('--delay <range>', 'response delay: fixed (0, 50ms, 1s) or a uniform range (0-500ms)')
        .default(parseDelayRange(opts.delayDefault ?? '0-500ms'), opts.delayDefault ?? '0-500ms')
        .argParser((v) => parseDelayRange(v, '--delay')),
    )
    .addOption(
      new Option('--seed <n>', 'seed the random delays, for reproducible runs')
        .default(undefined, 'random')
        .argParser((v) => parseSeed(v)),
    )
    .addOption(
      new Option(
        '--otlp-endpoint <url>',
        'OTLP/HTTP base URL, /v1/metrics is appended (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, a full URL used as is, beats the generic variable)',
      )
        .env('OTEL_EXPORTER_OTLP_ENDPOINT')
        .default(DEFAULT_OTLP_ENDPOINT),
    )
    .addOption(
      new Option('--export-interval <duration>', 'metric export interval (the variable is in milliseconds)')
        .env('OTEL_METRIC_EXPORT_INTERVAL')
        .default(exportIntervalMs, formatDurationMs(exportIntervalMs))
        .argParser(parseExportInterval),
    )
    .addOption(
      new Option(
        '--max-tenants <n>',
        'distinct Client-ID values recorded (with --tenant-header: tenant streams) before client_id="__overflow__"',
      )
        .default(1000)
        .argParser(parseIntegerIn('--max-tenants', 1, 100_000)),
    );
}

/**
 * The exporter settings of a command with --otlp-endpoint (and --export-interval): a flag given on
 * the command line wins; then telemetry/config.ts, the one reader of OTEL_* variables, applies them
 * (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, used as is, before OTEL_EXPORTER_OTLP_ENDPOINT, /v1/metrics
 * appended); then the defaults the command's options declare (what its --help shows).
 */
export function otlpConfigFrom(cmd: Command, env: Env): OtlpConfig {
  const flags = cmd.opts<Partial<ServerFlags>>();
  // Empty would fall through to the variables and the default: not what the flag asked for.
  if (flags.otlpEndpoint !== undefined && flags.otlpEndpoint.trim() === '') {
    throw new UsageError(
      `--otlp-endpoint: expected an http:// or https:// URL, like ${DEFAULT_OTLP_ENDPOINT}, got ${JSON.stringify(flags.otlpEndpoint)}`,
    );
  }
  const declared = (name: string) => cmd.options.find((o) => o.attributeName() === name)?.defaultValue;
  return resolveOtlpConfig(
    { otlpEndpoint: flags.otlpEndpoint, exportIntervalMs: flags.exportInterval },
    env,
    { otlpEndpoint: declared('otlpEndpoint'), exportIntervalMs: declared('exportInterval') },
  );
}

/**
 * Commander applies an option's `.env()` variable from process.env. otelpoc's environment is its
 * Runtime's (bin/otelpoc: process.env; in-process tests: their own), so this replaces commander's
 * env step, at the same point of the parse (after the command line, before hooks and the action),
 * with one that reads `env`. The variable is declared once, on the Option, and --help shows it:
 *
 * - a value given on the command line wins; an empty variable counts as unset;
 * - an OTEL_* variable is never applied to its option: telemetry/config.ts reads those, with the
 *   spec's precedence (a signal-specific variable beats the generic one, intervals in milliseconds);
 *   the option keeps only a command-line value and its default is left to otlpConfigFrom;
 * - any other variable goes through the option's parser; a bad value is refused naming the variable.
 */
export function readOptionEnv(cmd: Command, env: Env): void {
  // A private commander method (not in its types): read it by name, no cast.
  if (typeof Reflect.get(cmd, '_parseOptionsEnv') !== 'function') {
    // Fail loudly rather than let commander read process.env behind the Runtime's back.
    throw new Error('commander no longer has Command._parseOptionsEnv: update readOptionEnv');
  }
  Object.assign(cmd, { _parseOptionsEnv: () => applyOptionEnv(cmd, env) });
}

function applyOptionEnv(cmd: Command, env: Env): void {
  for (const option of cmd.options) {
    const name = option.envVar;
    const key = option.attributeName();
    if (!name || cmd.getOptionValueSource(key) === 'cli') continue;
    if (name.startsWith('OTEL_')) {
      cmd.setOptionValueWithSource(key, undefined, 'default');
      continue;
    }
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    try {
      if (option.parseArg) value = option.parseArg(raw, option.defaultValue);
    } catch (err) {
      // The parsers name the flag ("--bearer-token: …"); the value came from the variable.
      const flag = option.long ?? '';
      if (err instanceof UsageError && flag && err.message.startsWith(`${flag}:`)) {
        throw new UsageError(`${name}${err.message.slice(flag.length)}`, { cause: err });
      }
      throw err;
    }
    cmd.setOptionValueWithSource(key, value, 'env');
  }
}

function addTenantExportOptions(cmd: Command, kind: 'own' | 'shared'): void {
  if (kind === 'shared') {
    cmd.addOption(
      new Option(
        '--per-tenant-export',
        'one OTLP export stream per tenant, each sending --tenant-header: <Client-ID> (no Client-ID: --default-tenant)',
      ),
    );
    return;
  }
  cmd
    .addOption(
      new Option(
        '--tenant-header <name>',
        'export one OTLP stream per tenant, each with this header = its Client-ID (e.g. X-Scope-OrgID); without it, one stream for all tenants',
      ).argParser((v) => parseHeaderName(v, '--tenant-header')),
    )
    .addOption(
      new Option(
        '--default-tenant <id>',
        'with --tenant-header: the tenant of requests sent without Client-ID',
      )
        .default(DEFAULT_TENANT)
        .argParser((v) => parseTenantId(v, '--default-tenant')),
    );
}

/**
 * --default-tenant of a command with its own --tenant-header (load --serve, serve) only names the
 * tenant of the per-tenant streams: given without --tenant-header it would be ignored, so refuse it.
 */
export function checkDefaultTenantUsed(cmd: Command): void {
  const source = cmd.getOptionValueSource('defaultTenant');
  if ((source === 'cli' || source === 'env') && typeof cmd.opts().tenantHeader !== 'string') {
    throw new UsageError(
      '--default-tenant: only used with --tenant-header (the tenant of requests without Client-ID in the per-tenant export); add --tenant-header, or drop --default-tenant',
    );
  }
}

/** The per-tenant export asked for by the flags, or undefined for the single stream. */
export function tenantExportFrom(
  flags: TenantExportFlags | (Omit<TenantExportFlags, 'tenantHeader'> & { tenantHeader: string | false }),
  kind: 'own' | 'shared',
): TenantExportOptions | undefined {
  const defaultTenant = flags.defaultTenant ?? DEFAULT_TENANT;
  if (kind === 'shared') {
    if (!flags.perTenantExport) return undefined;
    if (flags.tenantHeader === false) {
      throw new UsageError(
        '--per-tenant-export and --no-tenant-header: per-tenant export sends the tenant header; give one of them',
      );
    }
    // run's --default-tenant is verify's (not parsed there): checked here, since it becomes a header.
    return {
      header: flags.tenantHeader ?? TENANT_HEADER,
      defaultTenant: parseTenantId(defaultTenant, '--default-tenant'),
    };
  }
  return typeof flags.tenantHeader === 'string' ? { header: flags.tenantHeader, defaultTenant } : undefined;
}

function parseTenantId(value: string, flag: string): string {
  const problem = tenantIdProblem(value);
  if (problem) throw new UsageError(`${flag}: "${value}" ${problem}; a tenant is ${TENANT_ID_RULE}`);
  return value;
}
