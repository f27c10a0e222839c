import { type Command, Option } from 'commander';
import type { TenantExportOptions } from '../server/tenant-streams.js';
import { parseExportInterval } from '../telemetry/config.js';
import { DEFAULT_TENANT, TENANT_HEADER } from '../telemetry/names.js';
import { type DelayRange, parseDelayRange } from '../util/duration.js';
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
 * `tenantFlags`: 'own' (serve, load) adds --tenant-header and --default-tenant; 'shared' (run, whose
 * verify flags already have both, for the queries) adds --per-tenant-export, which exports with
 * those same two: in the per-tenant topology the write side and the read side must agree on them.
 */
export function addServerOptions(
  cmd: Command,
  opts: { delayDefault?: string; tenantFlags?: 'own' | 'shared' } = {},
): Command {
  addTenantExportOptions(cmd, opts.tenantFlags ?? 'own');
  return cmd
    .addOption(
      new Option('--delay <range>', 'response delay: fixed (0, 50ms, 1s) or a uniform range (0-500ms)')
        .default(parseDelayRange(opts.delayDefault ?? '0-500ms'), opts.delayDefault ?? '0-500ms')
        .argParser((v) => parseDelayRange(v, '--delay')),
    )
    .addOption(
      new Option('--seed <n>', 'seed the random delays, for reproducible runs').argParser((v) =>
        parseSeed(v),
      ),
    )
    .addOption(
      new Option(
        '--otlp-endpoint <url>',
        'OTLP/HTTP base URL (/v1/metrics is appended) [env: OTEL_EXPORTER_OTLP_ENDPOINT, default http://localhost:4318]',
      ),
    )
    .addOption(
      new Option(
        '--export-interval <duration>',
        'metric export interval [env: OTEL_METRIC_EXPORT_INTERVAL, default 10s]',
      ).argParser(parseExportInterval),
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
        'export one OTLP stream per tenant, each with this header = its Client-ID (e.g. X-Scope-OrgID); default: one stream for all',
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
