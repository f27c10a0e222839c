/**
 * Runs doctor's plan: each check in pipeline order, then one probe request through an in-process
 * `serve`, followed as far as it gets (served → exported → stored in Mimir for its tenant).
 * I/O comes in through `DoctorDeps`, so tests can drive it against real backends or stubs.
 */
import type { Dispatcher } from 'undici';

import type { PipelineDeps } from '../pipeline/types.js';

import type { InstrumentedServer, InstrumentedServerOptions } from '../server/instrumented-server.js';
import { DEFAULT_OTLP_KIND } from '../telemetry/config.js';
import { exportEmptyOverGrpc } from '../telemetry/grpc-check.js';
import { DEFAULT_TENANT, PROM } from '../telemetry/names.js';

import { type Clock, realClock, waitForNextAttempt } from '../util/clock.js';

import { formatDurationMs } from '../util/duration.js';

import { errorMessage } from '../util/errors.js';

import { newRunId } from '../util/ids.js';

import { type PromClient, promClientFor, TenantRejectedError } from '../verify/prom-client.js';

import type { Sample } from '../verify/types.js';

import { describeResponse, type HttpOutcome, type HttpProbe } from './http.js';

// What the command wires in by default: one lazy import of this module gives it everything.
export { httpProbe } from './http.js';

/** DoctorDeps' real `sleep`: resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleepUnlessAborted(
  ms: number,
  signal?: AbortSignal,
  clock: Pick<Clock, 'sleep'> = realClock,
): Promise<void> {
  return clock.sleep(ms, signal).catch((err: unknown) => {
    if (!signal?.aborted) throw err;
  });
}

import type { Env } from '../util/env.js';
import {
  blockedBy,
  otlpCheckHeaders,
  type PlannedCheck,
  planChecks,
  summarize,
  tenantsToQuery,
} from './plan.js';
import type { DoctorCheck, DoctorConfig, DoctorReport, ProbeStage } from './types.js';

export interface DoctorDeps {
  http: HttpProbe;
  /** The probe's server and load client (runPipeline's seams); tests stub them. Default: the real ones. */
  startServer?: ((opts: InstrumentedServerOptions) => Promise<InstrumentedServer>) | undefined;
  loadClient?: PipelineDeps['loadClient'];
  /** The empty OTLP/gRPC export of the otlp check (protocol grpc); tests stub it. Default: the real one. */
  grpcExport?: typeof exportEmptyOverGrpc;
  env: Env;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  now: () => number;
  signal?: AbortSignal | undefined;
  /** Each result as soon as it is known (for line-by-line output). */
  onResult?: (result: DoctorCheck) => void;
  /** Progress notes while something takes a while (the probe's wait). */
  onProgress?: (message: string) => void;
  /**
   * Where the Mimir queries go (verify's Prometheus client, so both read Mimir alike); tests pass a
   * MockAgent. By default the client's own keep-alive Agent.
   */
  promDispatcher?: Dispatcher;
}

/** What the checks use: the caller's deps and one Prometheus client for the run. */
type RunDeps = DoctorDeps & { prom: PromClient };

type Outcome = Pick<DoctorCheck, 'status' | 'detail' | 'unreachable'> & {
  hints?: string[];
  probe?: DoctorCheck['probe'];
};

/** A failure from one HTTP outcome, marked unreachable when nothing answered (for the headline). */
function failed(o: HttpOutcome, hints?: string[]): Outcome {
  return {
    status: 'fail',
    detail: describeResponse(o),
    ...(hints ? { hints } : {}),
    ...(o.status === undefined ? { unreachable: true as const } : {}),
  };
}

export async function runDoctor(config: DoctorConfig, deps: DoctorDeps): Promise<DoctorReport> {
  const prom = promClientFor(
    {
      url: config.mimirUrl,
      urlFlag: '--mimir-url',
      headers: {},
      tenantHeader: config.tenantHeader,
      queryTimeoutMs: config.timeoutMs,
    },
    deps.promDispatcher,
  );
  try {
    return await runChecks(config, { ...deps, prom });
  } finally {
    await prom.close();
  }
}

async function runChecks(config: DoctorConfig, deps: RunDeps): Promise<DoctorReport> {
  const results: DoctorCheck[] = [];
  for (const check of planChecks(config)) {
    const blocked = blockedBy(check, results);
    const started = deps.now();
    let outcome: Outcome;
    if (blocked) {
      outcome = { status: 'skip', detail: blocked };
    } else {
      try {
        outcome = await RUNNERS[check.id](config, deps, check);
      } catch (err) {
        outcome = { status: 'fail', detail: `unexpected error: ${errorMessage(err)}` };
      }
    }
    const result: DoctorCheck = {
      id: check.id,
      title: check.title,
      status: outcome.status,
      target: check.target,
      detail: outcome.detail,
      durationMs: Math.round(deps.now() - started),
      hints: outcome.status === 'fail' ? [...(outcome.hints ?? []), ...check.hints] : [],
      ...(outcome.probe ? { probe: outcome.probe } : {}),
      ...(outcome.status === 'fail' && outcome.unreachable ? { unreachable: true as const } : {}),
    };
    results.push(result);
    deps.onResult?.(result);
    if (deps.signal?.aborted) break;
  }
  return summarize(results, config.topology);
}

type Runner = (config: DoctorConfig, deps: RunDeps, check: PlannedCheck) => Promise<Outcome>;

const ms = (o: HttpOutcome) => formatDurationMs(o.durationMs);

/** A GET that must answer 200. */
function expect200(what: string, extra?: (o: HttpOutcome) => Outcome | undefined): Runner {
  return async (config, deps, check) => {
    const o = await deps.http({ url: check.target, timeoutMs: config.timeoutMs, signal: deps.signal });
    const special = extra?.(o);
    if (special) return special;
    if (o.status === 200) return { status: 'pass', detail: `${what} (${ms(o)})` };
    return failed(o);
  };
}

const RUNNERS: Record<DoctorCheck['id'], Runner> = {
  async otlp(config, deps) {
    const protocol = (config.otlpKind ?? DEFAULT_OTLP_KIND).protocol;
    if (protocol === 'grpc') {
      const g = await (deps.grpcExport ?? exportEmptyOverGrpc)(
        config.otlpMetricsUrl,
        otlpCheckHeaders(config),
        config.timeoutMs,
      );
      const took = formatDurationMs(g.durationMs);
      if (g.ok) return { status: 'pass', detail: `accepted an empty metrics export over gRPC (${took})` };
      return {
        status: 'fail',
        detail: `gRPC ${g.status}: ${g.details ?? ''} (${took})`,
        // 14 UNAVAILABLE: no connection (or no HTTP/2 at that port).
        ...(g.status?.startsWith('14 ') ? { unreachable: true as const } : {}),
        hints: [
          'OTEL_EXPORTER_OTLP_PROTOCOL=grpc: the endpoint must speak OTLP/gRPC (Alloy 4317), host and port only',
        ],
      };
    }
    const json = protocol === 'http/json';
    const o = await deps.http({
      url: config.otlpMetricsUrl,
      method: 'POST',
      // An empty ExportMetricsServiceRequest, in the encoding the probe will export with.
      headers: {
        ...otlpCheckHeaders(config),
        'content-type': json ? 'application/json' : 'application/x-protobuf',
      },
      body: json ? new TextEncoder().encode('{}') : new Uint8Array(0),
      timeoutMs: config.timeoutMs,
      signal: deps.signal,
    });
    if (o.status !== undefined && o.status >= 200 && o.status < 300) {
      return { status: 'pass', detail: `accepted an empty metrics export (HTTP ${o.status}, ${ms(o)})` };
    }
    const hints =
      o.status === 404
        ? [
            'HTTP 404: nothing serves OTLP metrics at this path; the endpoint is a base URL, /v1/metrics is appended',
          ]
        : o.status === 415 || o.status === 400
          ? [
              json
                ? 'the receiver did not take OTLP/HTTP JSON (VictoriaMetrics 1.112 refuses it with 400): try OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf'
                : 'the receiver did not take OTLP/HTTP protobuf: is this an OTLP receiver (Alloy 4318)?',
            ]
          : [];
    return failed(o, hints);
  },

  alloy: expect200('ready: configuration loaded'),

  'cortex-tenant': expect200('alive'),

  async mimir(config, deps, check) {
    // Mimir's /ready needs no tenant; a tenant-routing proxy in front of it may, so send one.
    const o = await deps.http({
      url: check.target,
      headers: { [config.tenantHeader]: tenantsToQuery(config)[0] ?? DEFAULT_TENANT },
      timeoutMs: config.timeoutMs,
      signal: deps.signal,
    });
    if (o.status === 200) return { status: 'pass', detail: `ready (${ms(o)})` };
    const hints = o.status === 503 ? ['HTTP 503: Mimir is starting; run doctor again in a few seconds'] : [];
    return failed(o, hints);
  },

  async 'mimir-tenants'(config, deps) {
    const answered: string[] = [];
    for (const tenant of tenantsToQuery(config)) {
      const q = await promQuery(deps, tenant, 'vector(1)');
      if (!q.ok) {
        // The client's message already says what to check (the tenant header, --mimir-url, credentials).
        const detail = q.problem.includes(`"${tenant}"`) ? q.problem : `as tenant "${tenant}": ${q.problem}`;
        const hints = q.rejected
          ? [
              `the backend refused tenant "${tenant}": a gateway in front of Mimir (vmauth) needs a route for it`,
            ]
          : [];
        return { status: 'fail', detail, hints };
      }
      answered.push(tenant);
    }
    return { status: 'pass', detail: `queries answered for ${answered.join(', ')}` };
  },

  grafana: expect200('healthy', (o) => {
    if (o.status !== 200) return undefined;
    try {
      const db = (JSON.parse(o.body) as { database?: string }).database;
      if (db !== 'ok') return { status: 'fail', detail: `healthy, but its database is "${db}"` };
    } catch {
      return { status: 'fail', detail: 'HTTP 200 but not Grafana: /api/health did not answer JSON' };
    }
    return undefined;
  }),

  probe: runProbe,
};

type QueryResult = { ok: true; samples: Sample[] } | { ok: false; problem: string; rejected: boolean };

/** One instant query as `tenant`; a failure comes back as the client's one-line reason. */
async function promQuery(deps: RunDeps, tenant: string, promql: string): Promise<QueryResult> {
  try {
    return { ok: true, samples: await deps.prom.query(promql, tenant, { signal: deps.signal }) };
  } catch (err) {
    return { ok: false, problem: errorMessage(err), rejected: err instanceof TenantRejectedError };
  }
}

async function runProbe(config: DoctorConfig, deps: RunDeps): Promise<Outcome> {
  const runId = `doctor-${newRunId()}`;
  const clientId = config.probeClientId;
  const probe = (stage: ProbeStage, visibleAfterMs?: number) => ({
    runId,
    clientId,
    stage,
    ...(visibleAfterMs !== undefined ? { visibleAfterMs } : {}),
  });
  // serve + a load of one request, as `run` does (the one way to run them): the server flushes its
  // metrics when it stops, so the manifest says whether the request was served and exported.
  const warnings: string[] = [];
  const { runPipeline } = await import('../pipeline/index.js');
  const { resolveLoadConfig } = await import('../load/config.js');
  const load = resolveLoadConfig(
    {
      requests: 1,
      rate: 20, // the run ends 1/rate after its one request; the warm-up is half a second's worth (10 GET /healthz)
      clientIds: [clientId],
      statusMix: [{ status: 200, weight: 1 }],
      timeoutMs: config.timeoutMs,
      runId,
    },
    undefined,
    () => runId,
  );
  const run = await runPipeline(
    {
      serve: {
        delay: { minMs: 0, maxMs: 0 },
        maxTenants: 10,
        metrics: 'otlp',
        // Direct topology: the probe exports as users' services do there, one stream per tenant.
        tenantExport:
          config.topology === 'direct'
            ? { header: config.tenantHeader, defaultTenant: DEFAULT_TENANT }
            : undefined,
        otlp: {
          // The probe exports the kind the user's services do (OTEL_EXPORTER_OTLP_* as resolved).
          ...(config.otlpKind ?? DEFAULT_OTLP_KIND),
          metricsUrl: config.otlpMetricsUrl,
          headers: config.otlpHeaders,
          exportIntervalMs: config.probeExportIntervalMs,
          exportTimeoutMs: Math.min(config.timeoutMs, config.probeExportIntervalMs),
        },
      },
      load: { config: load, cwd: '.', write: false },
    },
    {
      env: deps.env,
      signal: deps.signal,
      warn: (m) => warnings.push(m),
      startServer: deps.startServer,
      loadClient: deps.loadClient,
    },
  );
  const manifest = run.manifest!;
  if (manifest.totals.answered !== 1) {
    const received = Object.keys(manifest.tenants[0]?.receivedByStatus ?? {})[0];
    return {
      status: 'fail',
      detail: `the in-process server did not answer the probe request (status ${received ?? 'none'})`,
      probe: probe('not-started'),
    };
  }
  const server = manifest.server!;
  if (!server.finalFlushOk || server.exports === 0) {
    return {
      status: 'fail',
      detail: `served, but the metrics export failed: ${warnings.at(-1) ?? 'nothing was exported'}`,
      probe: probe('served'),
    };
  }
  if (config.skip.includes('mimir')) {
    return {
      status: 'pass',
      detail: `served and exported (${server.exports} export(s)); not looked up in Mimir (--skip mimir)`,
      probe: probe('exported'),
    };
  }

  // Stored? Poll Mimir as the probe's tenant until the series shows up or the deadline passes.
  const selector = `${PROM.requestTotal}{${PROM.labels.runId}="${runId}"}`;
  const started = deps.now();
  const deadline = started + config.probeTimeoutMs;
  deps.onProgress?.(
    `probe: exported run ${runId}; waiting up to ${formatDurationMs(config.probeTimeoutMs)} for it in Mimir as tenant "${clientId}"…`,
  );
  let lastProblem: string | undefined;
  for (;;) {
    const q = await promQuery(deps, clientId, `sum(${selector})`);
    if (q.ok && q.samples.some((v) => v.value >= 1)) {
      const after = Math.round(deps.now() - started);
      return {
        status: 'pass',
        detail: `served, exported, and visible in Mimir for tenant "${clientId}" after ${formatDurationMs(after)}`,
        probe: probe('stored', after),
      };
    }
    lastProblem = q.ok ? undefined : q.problem;
    if (deps.signal?.aborted || (await waitForNextAttempt(deps, deadline, 1000, deps.signal)) === 'deadline')
      break;
  }
  return {
    status: 'fail',
    detail: `served and exported, but not visible in Mimir for tenant "${clientId}" within ${formatDurationMs(config.probeTimeoutMs)}${lastProblem ? ` (last query: ${lastProblem})` : ''}`,
    hints: await diagnoseMissing(config, deps, runId),
    probe: probe('exported'),
  };
}

/** Where did the probe's series go instead? Looks in the default tenant and for renamed metrics. */
async function diagnoseMissing(config: DoctorConfig, deps: RunDeps, runId: string): Promise<string[]> {
  const hints: string[] = [];
  const anyName = `group by (__name__) ({${PROM.labels.runId}="${runId}"})`;
  const own = await promQuery(deps, config.probeClientId, anyName);
  if (own.ok && own.samples.length > 0) {
    const names = own.samples.map((v) => v.name).join(', ');
    hints.push(
      config.topology === 'direct'
        ? `the probe arrived under other names (${names}), not ${PROM.requestTotal}: set limits.otel_metric_suffixes_enabled: true in stack/mimir/mimir.yaml`
        : `the probe arrived under other names (${names}), not ${PROM.requestTotal}: check add_metric_suffixes in stack/alloy/config.alloy`,
    );
  }
  if (config.probeClientId !== DEFAULT_TENANT && config.topology !== 'direct') {
    const fallback = await promQuery(deps, DEFAULT_TENANT, anyName);
    if (fallback.ok && fallback.samples.length > 0) {
      hints.push(
        `the probe arrived under tenant "${DEFAULT_TENANT}": cortex-tenant did not find the client_id label (tenant.label in stack/cortex-tenant/cortex-tenant.yaml)`,
      );
    }
  }
  return hints;
}
