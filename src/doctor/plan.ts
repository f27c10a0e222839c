/**
 * Pure decisions of `otelpoc doctor`: which checks run, in which order, what each looks at, what it
 * depends on, and what to tell the user when it fails (the original README's troubleshooting section,
 * made executable). No I/O here.
 */

import { resolveOtlpConfig } from '../telemetry/config.js';
import type { Env } from '../util/env.js';
import { UsageError } from '../util/errors.js';
import { verdictPasses } from '../verify/status.js';
import { STACK_URLS } from './defaults.js';
import {
  DOCTOR_STATES,
  DOCTOR_TOPOLOGIES,
  type DoctorCheck,
  type DoctorCheckId,
  type DoctorConfig,
  type DoctorInput,
  type DoctorReport,
  type DoctorTopology,
  SKIP_NAMES,
  type SkipName,
} from './types.js';

/** Hops that exist only in the router topology: the direct one sends straight to Mimir. */
const ROUTER_ONLY: DoctorCheckId[] = ['alloy', 'cortex-tenant'];

/**
 * Headers of the OTLP endpoint check's empty export. In the direct topology the endpoint is Mimir's,
 * which refuses an export without the tenant header (401 "no org id"): send the probe's tenant.
 */
export function otlpCheckHeaders(config: DoctorConfig): Record<string, string> {
  if (config.topology !== 'direct') return config.otlpHeaders;
  return { ...config.otlpHeaders, [config.tenantHeader]: config.probeClientId };
}

/** The probe's in-process server exports this often: soon after its one request. */
export const PROBE_EXPORT_INTERVAL_MS = 1000;

/**
 * The flags (and the OTEL_* variables in `env`) → what doctor checks. In the direct topology the
 * OTLP endpoint defaults to Mimir's own (the flag and the OTEL_* variables still win).
 */
export function resolveDoctorConfig(input: DoctorInput, env: Env): DoctorConfig {
  const { otlpEndpoint, otlpKindFlags, ...rest } = input;
  const otlp = resolveOtlpConfig({ otlpEndpoint, ...otlpKindFlags }, env, {
    otlpEndpoint: input.topology === 'direct' ? mimirOtlpEndpoint(input.mimirUrl) : STACK_URLS.otlpEndpoint,
  });
  return {
    ...rest,
    otlpMetricsUrl: otlp.metricsUrl,
    otlpHeaders: otlp.headers,
    otlpKind: { protocol: otlp.protocol, temporality: otlp.temporality, histogram: otlp.histogram },
    probeExportIntervalMs: PROBE_EXPORT_INTERVAL_MS,
  };
}

/** The OTLP base URL of Mimir's own endpoint, from its Prometheus API prefix: http://h:9009/otlp. */
export function mimirOtlpEndpoint(mimirUrl: string): string {
  return joinUrl(originOf(mimirUrl), '/otlp');
}

export function parseTopology(value: string): DoctorTopology {
  if (!(DOCTOR_TOPOLOGIES as readonly string[]).includes(value)) {
    throw new UsageError(`--topology: expected one of ${DOCTOR_TOPOLOGIES.join(', ')}, got "${value}"`);
  }
  return value as DoctorTopology;
}

export interface PlannedCheck {
  id: DoctorCheckId;
  title: string;
  target: string;
  /** Checks that must not have failed for this one to be worth running. */
  needs: DoctorCheckId[];
  /** Shown under a failure, in order. */
  hints: string[];
  /** Set when --skip turned it off. */
  skippedBy?: SkipName;
}

const SKIP_COVERS: Record<SkipName, DoctorCheckId[]> = {
  otlp: ['otlp'],
  alloy: ['alloy'],
  'cortex-tenant': ['cortex-tenant'],
  mimir: ['mimir', 'mimir-tenants'],
  grafana: ['grafana'],
  probe: ['probe'],
};

/** Origin of a URL with a path prefix: http://h:9009/prometheus → http://h:9009. */
export function originOf(url: string): string {
  return new URL(url).origin;
}

/** Joins a base URL and a path without doubling or dropping slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/** Tenants whose queries are checked: the configured ones plus the probe's, without duplicates. */
export function tenantsToQuery(config: Pick<DoctorConfig, 'tenants' | 'probeClientId' | 'skip'>): string[] {
  const list = [...config.tenants];
  if (!config.skip.includes('probe')) list.push(config.probeClientId);
  return [...new Set(list)];
}

export function planChecks(config: DoctorConfig): PlannedCheck[] {
  const skippedBy = (id: DoctorCheckId): SkipName | undefined =>
    config.skip.find((name) => SKIP_COVERS[name].includes(id));
  const tenants = tenantsToQuery(config);
  const direct = config.topology === 'direct';
  const checks: PlannedCheck[] = [
    {
      id: 'otlp',
      title: 'OTLP endpoint',
      target: config.otlpMetricsUrl,
      needs: [],
      hints: direct
        ? [
            "docker compose logs mimir        # Mimir's OTLP endpoint is /otlp/v1/metrics on its HTTP port (9009)",
            `the export carries ${config.tenantHeader}: ${config.probeClientId}; without it Mimir answers 401 "no org id"`,
            'otelpoc exports to --otlp-endpoint (direct default: --mimir-url origin + /otlp; /v1/metrics is appended)',
          ]
        : [
            'docker compose ps alloy          # is Alloy up? (it receives OTLP on 4317/4318)',
            'docker compose logs alloy',
            'otelpoc exports to --otlp-endpoint or OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318; /v1/metrics is appended)',
          ],
    },
    {
      id: 'alloy',
      title: 'Alloy ready',
      target: joinUrl(config.alloyUrl, '/-/ready'),
      needs: [],
      hints: [
        'docker compose logs alloy        # a config error is printed at start',
        `${config.alloyUrl} is Alloy's UI: each component's health and its last error`,
      ],
    },
    {
      id: 'cortex-tenant',
      title: 'cortex-tenant alive',
      target: joinUrl(config.cortexTenantUrl, '/alive'),
      needs: [],
      hints: [
        'docker compose logs cortex-tenant   # an unknown key in its config stops it at start',
        'stack/cortex-tenant/cortex-tenant.yaml: listen must be 0.0.0.0:8085',
      ],
    },
    {
      id: 'mimir',
      title: 'Mimir ready',
      target: joinUrl(originOf(config.mimirUrl), '/ready'),
      needs: [],
      hints: [
        'docker compose logs mimir',
        'Mimir answers /ready with 503 until its ingester has joined the ring: give it a few seconds after start',
      ],
    },
    {
      id: 'mimir-tenants',
      title: 'Mimir answers per tenant',
      target: `${joinUrl(config.mimirUrl, '/api/v1/query')} as ${tenants.join(', ')}`,
      needs: ['mimir'],
      hints: [
        `queries carry ${config.tenantHeader}: <tenant>; Mimir answers 401 "no org id" without it`,
        "--mimir-url is Mimir's Prometheus API prefix, e.g. http://localhost:9009/prometheus",
        'docker compose logs mimir',
      ],
    },
    {
      id: 'grafana',
      title: 'Grafana healthy',
      target: joinUrl(config.grafanaUrl, '/api/health'),
      needs: [],
      hints: ['docker compose logs grafana', 'docker compose ps grafana'],
    },
    {
      id: 'probe',
      title: 'Probe request end to end',
      target: direct
        ? `GET /api (Client-ID: ${config.probeClientId}) → ${config.otlpMetricsUrl} (${config.tenantHeader}: ${config.probeClientId}) → ${config.mimirUrl}`
        : `GET /api (Client-ID: ${config.probeClientId}) → ${config.otlpMetricsUrl} → ${config.mimirUrl}`,
      needs: ['otlp'],
      hints: direct
        ? [
            'docker compose logs mimir          # rejected samples: limits, out-of-order, invalid tenant',
            'stack/mimir/mimir.yaml: limits.otel_metric_suffixes_enabled must be true for http_server_request_total (docs/stack-facts.md)',
            `serve --tenant-header ${config.tenantHeader} sends one stream per tenant; without it every series lands in one tenant (or none: 401)`,
          ]
        : [
            'docker compose logs alloy          # remote_write errors: a 400 from cortex-tenant is never retried',
            'docker compose logs cortex-tenant  # "label(s) client_id not found", or what Mimir answered',
            'docker compose logs mimir          # rejected samples: limits, out-of-order, invalid tenant',
          ],
    },
  ];
  return checks
    .filter((c) => !(direct && ROUTER_ONLY.includes(c.id)))
    .map((c) => {
      const by = skippedBy(c.id);
      return by ? { ...c, skippedBy: by } : c;
    });
}

/** Why a planned check should not run, given the results so far; undefined when it should run. */
export function blockedBy(check: PlannedCheck, results: readonly DoctorCheck[]): string | undefined {
  if (check.skippedBy) return `skipped (--skip ${check.skippedBy})`;
  const failed = check.needs.filter((id) => results.find((r) => r.id === id)?.status === 'fail');
  if (failed.length > 0) return `not run: ${failed.join(', ')} failed`;
  return undefined;
}

/** ok only when nothing failed and something passed: every check skipped proves nothing. */
export function summarize(results: DoctorCheck[], topology: DoctorTopology = 'router'): DoctorReport {
  const checks = results.map((c) => ({ ...c, state: DOCTOR_STATES[c.status] }));
  const count = (s: DoctorCheck['status']) => checks.filter((c) => c.status === s).length;
  const summary = { passed: count('pass'), failed: count('fail'), skipped: count('skip') };
  const headline = nothingAnswers(checks) ? NOTHING_ANSWERS[topology] : undefined;
  return {
    ok: verdictPasses(checks.map((c) => c.state)),
    summary,
    ...(headline ? { headline } : {}),
    checks,
  };
}

/**
 * Every check that ran failed without any HTTP answer: one cause (the stack is not up, or not at
 * these URLs), which a list of separate failures would hide.
 */
function nothingAnswers(checks: readonly DoctorCheck[]): boolean {
  const ran = checks.filter((c) => c.status !== 'skip');
  return ran.length > 0 && ran.every((c) => c.status === 'fail' && c.unreachable === true);
}

const NOTHING_ANSWERS: Record<DoctorTopology, string> = {
  router:
    'nothing of the stack answers: is `docker compose up -d --wait` running? (or give the URLs where it runs)',
  direct:
    'nothing of the stack answers: is `docker compose --profile direct up -d --wait mimir grafana` running? (or give the URLs where it runs)',
};

/** Parses --skip values (repeatable, comma-separated). */
export function parseSkip(value: string, previous: SkipName[] = []): SkipName[] {
  const out = [...previous];
  for (const raw of value.split(',')) {
    const name = raw.trim();
    if (!name) continue;
    if (!(SKIP_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(
        `--skip: expected one or more of ${SKIP_NAMES.join(', ')} (comma-separated), got "${name}"`,
      );
    }
    if (!out.includes(name as SkipName)) out.push(name as SkipName);
  }
  return out;
}
