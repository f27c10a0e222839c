/**
 * `otelpoc doctor`'s core entry point: its option table (the OTLP endpoint and the tenant header
 * declared once, in src/options/settings.ts, with doctor's own default and help), its input
 * resolved and checked once (every problem together), the real HTTP probe and clock wired in, and
 * the exit code: 0 every check that ran passed, 1 otherwise, 130 interrupted.
 */
import {
  OTLP_KIND_OPTIONS,
  otlpKindFlags,
  SERVER_OPTIONS,
  tenantId,
  VERIFY_BACKEND_OPTIONS,
} from '../options/settings.js';
import {
  collect,
  type Given,
  list,
  option,
  resolveOptions,
  throwProblems,
  toggle,
} from '../options/table.js';
import { DEFAULT_TENANT, TENANT_HEADER } from '../telemetry/names.js';
import { type Clock, realClock } from '../util/clock.js';
import { parseDurationMs } from '../util/duration.js';
import type { Env } from '../util/env.js';
import { UsageError } from '../util/errors.js';
import { checkHttpUrl } from '../util/net.js';
import { PROBE_CLIENT_ID, STACK_URLS } from './defaults.js';
import { parseSkip, parseTopology, resolveDoctorConfig } from './plan.js';
import type { DoctorCheck, DoctorConfig, DoctorReport, DoctorTopology } from './types.js';

const url = (text: string, name: string) => checkHttpUrl(text, name).replace(/\/+$/, '');
const duration = (text: string, name: string) => parseDurationMs(text, name);
/** verify's --tenant-header, without its --no-tenant-header: Mimir always needs one. */
const { negate: _, ...tenantHeader } = VERIFY_BACKEND_OPTIONS.tenantHeader;

function tenantList(text: string, name: string): string[] {
  const tenants = text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tenants.length === 0)
    throw new UsageError(`${name}: expected a comma-separated list of tenants, got "${text}"`);
  return tenants.map((t) => tenantId(t, name));
}

export const DOCTOR_OPTIONS = {
  topology: option<DoctorTopology>({
    flags: '--topology <name>',
    help: 'router: OTLP → Alloy → cortex-tenant → Mimir; direct: per-tenant OTLP export straight into Mimir (/otlp), no Alloy or cortex-tenant checks',
    parse: parseTopology,
    default: 'router',
  }),
  otlpEndpoint: {
    ...SERVER_OPTIONS.otlpEndpoint,
    help: "OTLP/HTTP base URL, as for serve (with --topology direct: --mimir-url's origin + /otlp unless given); gRPC: scheme, host and port only",
    default: STACK_URLS.otlpEndpoint,
  },
  ...OTLP_KIND_OPTIONS,
  alloyUrl: option({
    flags: '--alloy-url <url>',
    help: "Alloy's HTTP server",
    parse: url,
    default: STACK_URLS.alloy,
  }),
  cortexTenantUrl: option({
    flags: '--cortex-tenant-url <url>',
    help: 'cortex-tenant',
    parse: url,
    default: STACK_URLS.cortexTenant,
  }),
  mimirUrl: option({
    flags: '--mimir-url <url>',
    help: "Mimir's Prometheus API prefix (as verify --url)",
    parse: url,
    default: STACK_URLS.mimir,
  }),
  grafanaUrl: option({
    flags: '--grafana-url <url>',
    help: 'Grafana',
    parse: url,
    default: STACK_URLS.grafana,
  }),
  tenantHeader: { ...tenantHeader, help: 'header that names the tenant' },
  tenants: option({
    flags: '--tenants <list>',
    help: 'comma-separated tenants whose queries must be answered',
    parse: tenantList,
    default: [DEFAULT_TENANT],
  }),
  probeClientId: option({
    flags: '--probe-client-id <id>',
    help: "the probe request's Client-ID (its tenant)",
    parse: tenantId,
    default: PROBE_CLIENT_ID,
  }),
  skip: list({
    flags: '--skip <checks>',
    help: 'skip checks: otlp, alloy, cortex-tenant, mimir, grafana, probe (comma-separated, repeatable)',
    each: (text: string) => parseSkip(text),
    shown: 'none',
  }),
  timeout: option({
    flags: '--timeout <duration>',
    help: 'timeout of each HTTP request',
    parse: duration,
    default: 5000,
    shown: '5s',
  }),
  probeTimeout: option({
    flags: '--probe-timeout <duration>',
    help: "how long the probe's series may take to show up in Mimir",
    parse: duration,
    default: 30_000,
    shown: '30s',
  }),
  json: toggle('--json', 'print the results as one JSON document on stdout'),
};

export type DoctorGiven = Given<typeof DOCTOR_OPTIONS>;

/** doctor's input → what it checks, every problem reported together (exit 2). */
export function resolveDoctor(given: DoctorGiven, env: Env): { config: DoctorConfig; json: boolean } {
  const r = resolveOptions(DOCTOR_OPTIONS, given, env);
  const problems = [...r.problems];
  const { timeout, probeTimeout, json, skip, tenantHeader, ...all } = r.values;
  const {
    otlpProtocol: _p,
    temporality: _t,
    histogram: _h,
    exponentialMaxSize: _s,
    exponentialMaxScale: _c,
    ...v
  } = all;
  const config = collect(problems, () =>
    resolveDoctorConfig(
      {
        ...v,
        otlpEndpoint: r.given.otlpEndpoint,
        otlpKindFlags: otlpKindFlags(r),
        tenantHeader: typeof tenantHeader === 'string' ? tenantHeader : TENANT_HEADER,
        skip: [...new Set(skip)],
        timeoutMs: timeout,
        probeTimeoutMs: probeTimeout,
      },
      env,
    ),
  );
  throwProblems(problems);
  return { config: config!, json };
}

export type DoctorEvent =
  | { type: 'started'; topology: DoctorTopology }
  | { type: 'progress'; message: string }
  | { type: 'result'; check: DoctorCheck }
  | { type: 'report'; report: DoctorReport };

export interface DoctorCommandDeps {
  env: Env;
  signal: AbortSignal;
  clock?: Pick<Clock, 'now' | 'sleep'>;
  /** Every event, with whether --json was given (then only the report is output). */
  onEvent: (event: DoctorEvent, output: { json: boolean }) => void;
}

export async function doctor(given: DoctorGiven, deps: DoctorCommandDeps): Promise<0 | 1 | 130> {
  const { config, json } = resolveDoctor(given, deps.env);
  const { runDoctor, httpProbe, sleepUnlessAborted } = await import('./run.js');
  const clock = deps.clock ?? realClock;
  const emit = (e: DoctorEvent) => deps.onEvent(e, { json });
  emit({ type: 'started', topology: config.topology ?? 'router' });
  const report = await runDoctor(config, {
    http: httpProbe,
    env: deps.env,
    now: () => clock.now(),
    sleep: (ms, signal) => sleepUnlessAborted(ms, signal, clock),
    signal: deps.signal,
    onResult: (check) => emit({ type: 'result', check }),
    onProgress: (message) => emit({ type: 'progress', message }),
  });
  emit({ type: 'report', report });
  if (deps.signal.aborted) return 130;
  return report.ok ? 0 : 1;
}
