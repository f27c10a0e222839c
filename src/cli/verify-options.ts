import { type Command, Option } from 'commander';
import type { PrometheusBackend, VerifyPart } from '../pipeline/types.js';
import { defaultTenantsUrl } from '../pipeline/verify-backend.js';
import { DEFAULT_TENANT, TENANT_HEADER } from '../telemetry/names.js';
import { parseDurationMs } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import { checkHeader, parseHeaderLine, parseHeaderName } from '../util/http-headers.js';
import { TENANT_ID_RULE, tenantIdProblem } from '../util/ids.js';
import { checkHttpUrl } from '../util/net.js';

export const DEFAULT_PROM_URL = 'http://localhost:9009/prometheus';

/** Flags shared by `verify` and `run` (run names the deadline --verify-timeout: --timeout is load's). */
export interface VerifyFlags {
  url?: string;
  tenantHeader: string | false;
  defaultTenant: string;
  basicAuth?: string;
  bearerToken?: string;
  header: string[];
  verifyTimeout: number;
  /** --settle: how long every check must stay green before verify passes (undefined: from the manifest). */
  settle?: number;
  queryTimeout: number;
  explain?: boolean;
  junit?: string;
  /** Look in every tenant the backend lists (Mimir's and Cortex's distributor) for the run's series. */
  allTenants?: boolean;
  /** Where the backend lists its tenants; default derived from the Prometheus URL. */
  tenantsUrl?: string;
  /** Further tenants to look in, for backends that cannot list theirs. */
  alsoTenants: string[];
}

export function addVerifyOptions(
  cmd: Command,
  opts: { timeoutFlag: '--timeout' | '--verify-timeout' },
): Command {
  // Checked as parsed: a bad header otherwise fails only when the first query is sent.
  const collect = (v: string, prev: string[]) => {
    parseHeaderLine(v, '--header');
    return [...prev, v];
  };
  // --tenant-header X and --no-tenant-header set the same value, and commander lets the last one
  // win; they contradict each other, so giving both is refused (see refuseBothTenantHeaderFlags).
  refuseBothTenantHeaderFlags(cmd);
  return cmd
    .addOption(
      new Option('--url <url>', 'Prometheus API prefix of the backend')
        .env('OTELPOC_VERIFY_URL')
        .default(DEFAULT_PROM_URL),
    )
    .addOption(
      new Option('--tenant-header <name>', 'header that names the tenant on each query')
        .default(TENANT_HEADER)
        .argParser((v) => parseHeaderName(v, '--tenant-header')),
    )
    .addOption(new Option('--no-tenant-header', 'send no tenant header: a single-tenant backend'))
    .addOption(
      new Option('--default-tenant <id>', 'tenant of the requests sent without Client-ID').default(
        DEFAULT_TENANT,
      ),
    )
    .addOption(
      new Option('--basic-auth <user:pass>', 'HTTP basic auth')
        .env('OTELPOC_VERIFY_BASIC_AUTH')
        .argParser((v) => {
          if (!v.includes(':')) throw new UsageError('--basic-auth: expected user:password');
          return v;
        }),
    )
    .addOption(
      new Option('--bearer-token <token>', 'bearer token')
        .env('OTELPOC_VERIFY_BEARER_TOKEN')
        .argParser((v) => {
          checkHeader('Authorization', `Bearer ${v}`, '--bearer-token');
          return v;
        }),
    )
    .addOption(
      new Option('--header <"K: V">', 'extra request header, repeatable').default([]).argParser(collect),
    )
    .addOption(
      new Option(
        `${opts.timeoutFlag} <duration>`,
        'keep polling until all checks pass or this much time passed',
      )
        .default(90_000, '90s')
        .argParser((v) => parseDurationMs(v, opts.timeoutFlag)),
    )
    .addOption(
      new Option(
        '--settle <duration>',
        'after the first poll where all checks pass, keep polling this long and pass only if they all stayed green; 0 passes at once',
      )
        .default(undefined, "the run's export interval + 5s when the manifest knows it, else 15s")
        .argParser((v) => parseDurationMs(v, '--settle', { allowZero: true })),
    )
    .addOption(
      new Option('--query-timeout <duration>', 'timeout of one query')
        .default(10_000, '10s')
        .argParser((v) => parseDurationMs(v, '--query-timeout')),
    )
    .addOption(
      new Option(
        '--all-tenants',
        'also look in every tenant the backend lists (Mimir/Cortex distributor) for series of the run',
      ),
    )
    .addOption(
      new Option('--tenants-url <url>', 'where the backend lists its tenants, for --all-tenants').default(
        undefined,
        '--url without /prometheus + /distributor/all_user_stats',
      ),
    )
    .addOption(
      new Option('--also-tenants <ids>', 'also look in these tenants (comma-separated, repeatable)')
        .default([])
        // Empty entries are kept, to be refused with the others: "" would otherwise ask for nothing.
        .argParser((v: string, prev: string[]) => [...prev, ...v.split(',').map((t) => t.trim())]),
    )
    .addOption(new Option('--explain', 'print the queries verify makes (to paste into Grafana)'))
    .addOption(
      new Option('--junit <file>', 'also write a JUnit XML report (one testcase per tenant × check)'),
    );
}

/**
 * Flags → the backend to verify at, every value checked. --url, --basic-auth and --bearer-token
 * come from the command line or their OTELPOC_VERIFY_* variables (readOptionEnv), so the command's
 * value sources tell which to name.
 */
export function prometheusBackendFrom(cmd: Command): PrometheusBackend {
  const flags = cmd.opts<VerifyFlags>();
  const source = (name: keyof VerifyFlags) => cmd.getOptionValueSource(name);
  const envName = (name: keyof VerifyFlags, flag: string) =>
    source(name) === 'env' ? (cmd.options.find((o) => o.attributeName() === name)?.envVar ?? flag) : flag;
  const url = flags.url ?? DEFAULT_PROM_URL;
  const urlFlag = envName('url', '--url');
  checkHttpUrl(url, urlFlag);
  const headers: Record<string, string> = {};
  for (const h of flags.header) {
    const [name, value] = parseHeaderLine(h, '--header');
    headers[name] = value;
  }
  const basic = flags.basicAuth;
  const bearer = flags.bearerToken;
  if (basic && bearer) {
    throw new UsageError(
      `${envName('basicAuth', '--basic-auth')} and ${envName('bearerToken', '--bearer-token')}: give one of them, not both`,
    );
  }
  if (basic !== undefined) headers.Authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
  if (bearer !== undefined) headers.Authorization = `Bearer ${bearer}`;
  const tenantHeader = flags.tenantHeader === false ? null : flags.tenantHeader;
  const tenantsUrl = tenantSearchFrom(flags, url, tenantHeader);
  return {
    url,
    given: source('url') === 'cli' || source('url') === 'env',
    urlFlag,
    headers,
    tenantHeader,
    tenantsUrl,
    queryTimeoutMs: flags.queryTimeout,
  };
}

/**
 * The verify step as `verify` and `run` configure it: at `backend`, polling for `timeoutMs` (each
 * command names its deadline flag), with the settle window of --settle or, without it, the manifest's.
 */
export function verifyPartFrom(
  flags: VerifyFlags,
  backend: PrometheusBackend,
  timeoutMs: number,
): Omit<VerifyPart, 'manifests' | 'ownShardOnly'> {
  return {
    backend,
    timeoutMs,
    defaultTenant: flags.defaultTenant,
    alsoTenants: flags.alsoTenants ?? [],
    explain: flags.explain ?? false,
    settle: flags.settle !== undefined ? { ms: flags.settle, why: '--settle' } : undefined,
  };
}

/** Checks --all-tenants, --tenants-url and --also-tenants; returns the tenant list URL when listing. */
function tenantSearchFrom(flags: VerifyFlags, url: string, tenantHeader: string | null): string | undefined {
  for (const t of flags.alsoTenants ?? []) {
    const problem = tenantIdProblem(t);
    if (problem) throw new UsageError(`--also-tenants: "${t}" ${problem}; tenant IDs are ${TENANT_ID_RULE}`);
  }
  if (tenantHeader === null && (flags.allTenants || (flags.alsoTenants ?? []).length > 0)) {
    throw new UsageError(
      `--${flags.allTenants ? 'all-tenants' : 'also-tenants'}: there are no tenants to look in with --no-tenant-header (one store shows every client_id already)`,
    );
  }
  if (flags.tenantsUrl !== undefined && !flags.allTenants) {
    throw new UsageError('--tenants-url: only used with --all-tenants; add it, or drop --tenants-url');
  }
  if (!flags.allTenants) return undefined;
  if (flags.tenantsUrl !== undefined) {
    checkHttpUrl(flags.tenantsUrl, '--tenants-url');
    return flags.tenantsUrl;
  }
  return defaultTenantsUrl(url);
}

/** Refuses `--tenant-header X` together with `--no-tenant-header`, in either order (exit 2). */
function refuseBothTenantHeaderFlags(cmd: Command): void {
  const given = new Set<string>();
  cmd.on('option:tenant-header', () => given.add('--tenant-header'));
  cmd.on('option:no-tenant-header', () => given.add('--no-tenant-header'));
  cmd.hook('preAction', () => {
    if (given.size === 2) {
      throw new UsageError(
        '--tenant-header and --no-tenant-header: give one of them (a header names the tenant, or none is sent)',
      );
    }
  });
}
