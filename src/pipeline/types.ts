/**
 * What `runPipeline` takes and gives: plain data in, plain data out. Which parts run is the caller's
 * choice (serve + load + verify for `run`, load alone or with serve for `load`, verify alone for
 * `verify`); what happened comes back as a RunReport, and progress as events while it runs.
 */
import type { HttpClientOptions, LoadClient } from '../load/client.js';

import type { LoadConfig, LoadPlan } from '../load/config.js';

import type { LoadProgress } from '../load/runner.js';

import type { Shard } from '../load/shard.js';

import type { RunManifest } from '../manifest/schema.js';

import type {
  InstrumentedServer,
  InstrumentedServerOptions,
  ObserveExport,
} from '../server/instrumented-server.js';

import type { TenantExportOptions } from '../server/tenant-streams.js';

import type { OtlpConfig } from '../telemetry/config.js';
import type { ExportTotals } from '../telemetry/export-totals.js';
import type { Topology } from '../telemetry/topology.js';

import type { DelayRange } from '../util/duration.js';
import type { Env } from '../util/env.js';
import type { PollEvent } from '../verify/poll.js';
import type { PrometheusBackend } from '../verify/prom-client.js';

export type { PrometheusBackend };

import type { ServiceProfile } from '../manifest/service.js';
import type { ServiceVerifyReport } from '../verify/service/verify-service.js';
import type { VerifyReport } from '../verify/types.js';

/**
 * A service profile (src/verify/service/profile.ts), parsed, or a built-in's name or a YAML file's
 * path: runPipeline loads it before anything starts, so a bad one is a UsageError before any traffic.
 */
export type ServiceProfileRef = ServiceProfile | string;

/** The instrumented server, started in this process on a loopback port of its own. */
export interface ServePart {
  delay: DelayRange;
  seed?: number | undefined;
  maxTenants: number;
  otlp: OtlpConfig;
  /**
   * Where its metrics go: the OTLP endpoint, captured in this process, or 'auto': the OTLP endpoint
   * when a pipeline is there to verify them (see chooseDestination), the capture otherwise.
   */
  metrics: 'otlp' | 'capture' | 'auto';
  /** Why 'capture' was asked for, for the report (e.g. "--embedded given"). */
  captureReason?: string;
  /**
   * One OTLP export stream per tenant, each with this tenant header (the per-tenant topology);
   * absent: one stream for every tenant (a router downstream). Ignored when the metrics are captured.
   */
  tenantExport?: TenantExportOptions | undefined;
}

/** The load; with a serve part its target is the in-process server's (a LoadPlan's is null until then). */
export interface LoadPart {
  config: LoadPlan;
  /** Where the manifest is written (see manifest/write.ts): `out`, or the default paths under `cwd`. */
  out?: string | undefined;
  cwd: string;
  /** false: the manifest is only returned, not written (doctor's probe). Default true. */
  write?: boolean | undefined;
  /** Send only this shard's part of the plan (src/load/shard.ts); the manifest records it. */
  shard?: Shard | undefined;
  /**
   * A service of the user's, told by this profile: snapshot its counts in `backend` just before the
   * first request and store it in the manifest (src/pipeline/service-step.ts).
   */
  service?: { profile: ServiceProfileRef; backend: PrometheusBackend } | undefined;
  /** Worker processes sending this process's part (src/load/workers.ts); default 1: this process. */
  workers?: number | undefined;
  /** The open model's send batch window, ms (LoadDeps.sendBatchMs); default 0. */
  sendBatchMs?: number | undefined;
}

export interface VerifyPart {
  /** The backend; absent when the metrics are captured in process (then there is nothing to query). */
  backend?: PrometheusBackend | undefined;
  /** The manifests to verify when there is no load part (verify alone). */
  manifests?: { manifest: RunManifest; source: string }[];
  timeoutMs: number;
  defaultTenant: string;
  alsoTenants: string[];
  explain: boolean;
  /**
   * The settle window (verify passes only after every check stayed green this long), with where it
   * came from. Undefined: one export interval of the run's server + a margin (see defaultSettle);
   * the in-process capture needs none (it is final once the server stopped).
   */
  settle?: { ms: number; why: string } | undefined;
  /**
   * Verify the load part's shard alone (run --shard, with the in-process capture, which holds only
   * this process's metrics); the run's other shards are not expected.
   */
  ownShardOnly?: boolean;
  /**
   * Verify by this profile's counts (a service without otelpoc's run label) against each manifest's
   * snapshot, instead of otelpoc's run-labelled checks.
   */
  serviceProfile?: ServiceProfileRef | undefined;
  /** Changes of form the kind check accepts (verify's acceptChanges). */
  acceptChanges?: readonly string[] | undefined;
  /** The backend's own /metrics, read for its counters of dropped data (the kind check names them). */
  backendMetricsUrl?: string | undefined;
}

export interface PipelineConfig {
  serve?: ServePart;
  load?: LoadPart;
  verify?: VerifyPart;
}

export interface PipelineDeps {
  env: Env;
  /** Aborts the load (the manifest is still written, then nothing else runs) or the verify (reported as interrupted). */
  signal?: AbortSignal | undefined;
  /** Warnings: export failures, cardinality overflow, a final export that did not get through. */
  warn: (message: string) => void;
  onEvent?: ((event: PipelineEvent) => void) | undefined;
  /** Whether something accepts connections at a URL (tests may stub it). */
  isListening?: ((url: string) => Promise<boolean>) | undefined;
  /** Starts the serve part's server; default startInstrumentedServer (tests stub where metrics go). */
  startServer?: ((opts: InstrumentedServerOptions) => Promise<InstrumentedServer>) | undefined;
  /**
   * Sees (and may wrap) each OTLP exporter the serve part's server makes, per tenant stream
   * (undefined: the single stream); the canary records what each stream exported.
   */
  observeExport?: ObserveExport | undefined;
  /** Makes the load's HTTP client; default an undici pool (tests answer the requests themselves). */
  loadClient?: ((opts: HttpClientOptions) => LoadClient) | undefined;
}

/** A stopped server's exports (the manifest's ManifestServer carries the same), per stream with per-tenant export. */
export type ServerExports = ExportTotals & { streams?: (ExportTotals & { tenant: string })[] };
/** What serve's and the canary's stop lines say of a server's exports. */
export type StopExports = Pick<ServerExports, 'exports' | 'failedExports'>;

export type PipelineEvent =
  /** Where the metrics go and where they are verified, and why (serve part only). */
  | {
      type: 'destination';
      embedded: boolean;
      reason: string;
      metricsUrl: string;
      verifiedAt?: string;
      topology: Topology;
    }
  | { type: 'server-started'; url: string; metricsTarget: string }
  | { type: 'load-started'; config: LoadConfig }
  | { type: 'load-progress'; progress: LoadProgress }
  /** The server (if any) has stopped and flushed: the manifest is final, not yet written. */
  | { type: 'load-finished'; manifest: RunManifest }
  | ({ type: 'server-stopped' } & ServerExports)
  | { type: 'manifest-written'; paths: string[] }
  | { type: 'verify-started'; source: string }
  | { type: 'verify-poll'; event: PollEvent }
  | { type: 'verify-finished'; report: VerifyReport };

export interface RunReport {
  /** Every part that ran succeeded: verify green, no load threshold exceeded, nothing interrupted. */
  ok: boolean;
  interrupted: boolean;
  /** Serve part only: the metrics were captured in this process (no pipeline involved), and why. */
  embedded?: boolean;
  destinationReason?: string;
  /**
   * The topology the run proved: the in-process server's (serve part), or the one its manifests
   * record (verify alone); absent when no manifest records one (the server ran outside otelpoc).
   */
  topology?: Topology;
  manifest?: RunManifest;
  manifestPaths?: string[];
  thresholdsExceeded: string[];
  /**
   * `--workers`: the workers that died or failed (the manifest has every other worker's part and
   * names these). The run failed; verify is not run, its counts would lack these workers' requests.
   */
  workerFailures?: string[];
  verify?: VerifyReport;
  /** verify by a service profile: one report per manifest. */
  service?: ServiceVerifyReport[];
}
