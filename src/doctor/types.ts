/** What `otelpoc doctor` checks, and what it found. Plain, JSON-serialisable data. */

import type { OtlpFlags, OtlpKind } from '../telemetry/config.js';
import type { CheckStatus } from '../verify/status.js';

/** The checks, in pipeline order. */
export const DOCTOR_CHECK_IDS = [
  'otlp',
  'alloy',
  'cortex-tenant',
  'mimir',
  'mimir-tenants',
  'grafana',
  'probe',
] as const;
export type DoctorCheckId = (typeof DOCTOR_CHECK_IDS)[number];

/** Names accepted by --skip: one per service; `mimir` covers both Mimir checks. */
export const SKIP_NAMES = ['otlp', 'alloy', 'cortex-tenant', 'mimir', 'grafana', 'probe'] as const;
export type SkipName = (typeof SKIP_NAMES)[number];

/**
 * Which pipeline is checked: `router` (the stack's default: OTLP → Alloy → cortex-tenant → Mimir) or
 * `direct` (per-tenant OTLP export straight into Mimir's /otlp/v1/metrics, no router).
 */
export const DOCTOR_TOPOLOGIES = ['router', 'direct'] as const;
export type DoctorTopology = (typeof DOCTOR_TOPOLOGIES)[number];

export interface DoctorConfig {
  /** Default `router`. In `direct`, the Alloy and cortex-tenant checks are not planned. */
  topology?: DoctorTopology;
  /** Full OTLP/HTTP metrics URL, e.g. http://localhost:4318/v1/metrics. */
  otlpMetricsUrl: string;
  /** Extra headers for the OTLP export (OTEL_EXPORTER_OTLP_HEADERS). */
  otlpHeaders: Record<string, string>;
  /** The kind of data the probe exports (protocol, temporality, histogram); default DEFAULT_OTLP_KIND. */
  otlpKind?: OtlpKind;
  alloyUrl: string;
  cortexTenantUrl: string;
  /** Mimir's Prometheus API prefix, as `otelpoc verify --url`: http://localhost:9009/prometheus. */
  mimirUrl: string;
  grafanaUrl: string;
  tenantHeader: string;
  /** Tenants whose queries must be answered (the probe's tenant is checked too). */
  tenants: string[];
  probeClientId: string;
  skip: SkipName[];
  /** Per HTTP request. */
  timeoutMs: number;
  /** How long the probe's series may take to become visible in Mimir. */
  probeTimeoutMs: number;
  /** Export interval of the probe's in-process server. */
  probeExportIntervalMs: number;
}

/**
 * What the flags set: a DoctorConfig but for the OTLP export, which resolveDoctorConfig derives
 * (its endpoint's default depends on the topology), and the probe's export interval.
 */
export type DoctorInput = Omit<
  DoctorConfig,
  'topology' | 'otlpMetricsUrl' | 'otlpHeaders' | 'otlpKind' | 'probeExportIntervalMs'
> & {
  topology: DoctorTopology;
  /** OTLP/HTTP base URL given with --otlp-endpoint; else from the OTEL_* variables or the default. */
  otlpEndpoint?: string | undefined;
  /** --otlp-protocol, --temporality, --histogram and the exponential parameters given (not defaulted): the probe's kind. */
  otlpKindFlags?: Omit<OtlpFlags, 'otlpEndpoint' | 'exportIntervalMs'>;
};

export type DoctorCheckStatus = 'pass' | 'fail' | 'skip';

/**
 * doctor's statuses in the vocabulary every check shares (src/verify/status.ts): a skipped check
 * (--skip, or not run because a prerequisite failed) was not tested, which is not a pass.
 */
export const DOCTOR_STATES: Record<DoctorCheckStatus, CheckStatus> = {
  pass: 'pass',
  fail: 'fail',
  skip: 'not-testable',
};

/** How far the probe request got through the pipeline. */
export type ProbeStage = 'not-started' | 'served' | 'exported' | 'stored';

export interface DoctorCheck {
  id: DoctorCheckId;
  title: string;
  status: DoctorCheckStatus;
  /** The URL (or URLs) looked at. */
  target: string;
  /** One line: what was found. */
  detail: string;
  durationMs: number;
  /** `status` in the shared vocabulary (DOCTOR_STATES), for --json; set by summarize. */
  state?: CheckStatus;
  /** What to look at next; empty when the check passed. */
  hints: string[];
  /** Only for the probe. */
  probe?: { runId: string; clientId: string; stage: ProbeStage; visibleAfterMs?: number };
  /** Set on a failure where no HTTP answer came back at all (refused, unresolvable, timed out). */
  unreachable?: true;
}

export interface DoctorReport {
  ok: boolean;
  summary: { passed: number; failed: number; skipped: number };
  /**
   * One line above the checklist's verdict when the failures share one cause: every check that ran
   * got no answer at all, so the stack is not running (or not where doctor looks), not five problems.
   */
  headline?: string;
  checks: DoctorCheck[];
}
