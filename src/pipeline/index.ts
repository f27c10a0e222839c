import type { LoadConfig } from '../load/config.js';
import { type LoadProgress, stopBoundMs as loadStopBoundMs, type runLoad } from '../load/runner.js';
import { checkThresholds } from '../load/thresholds.js';
import { loadOn } from '../load/workers.js';
import { buildManifest } from '../manifest/build.js';
import type { ManifestServer, RunManifest } from '../manifest/schema.js';
import { writeRunManifest } from '../manifest/write.js';
import type { CaptureExporter } from '../telemetry/capture.js';
import type { Topology } from '../telemetry/topology.js';
import { realClock } from '../util/clock.js';
import { CaptureSource } from '../verify/capture-source.js';
import { diagnosisSetup } from '../verify/diagnosis.js';
import {
  expectationsFrom,
  failedWorkers,
  interruptedRun,
  nothingAnswered,
  shardStartSpread,
  undeliveredShards,
} from '../verify/expectations.js';
import { promClientFor } from '../verify/prom-client.js';
import { PrometheusSource } from '../verify/prometheus-source.js';
import type { SeriesSource, VerifyReport } from '../verify/types.js';
import { defaultSettle, runVerify } from '../verify/verify.js';
import { startServePart } from './serve-part.js';
import {
  beforeFirstRequest,
  loadServiceProfiles,
  verifyServiceManifests,
  withService,
} from './service-step.js';
import type {
  PipelineConfig,
  PipelineDeps,
  PipelineEvent,
  PrometheusBackend,
  RunReport,
  VerifyPart,
} from './types.js';

/**
 * How long the pipeline may still take once its signal aborts: the load's in-flight requests, the
 * server's drain and final export, one query of verify. The CLI adds its own margin.
 */
export async function stopBoundMs(config: PipelineConfig): Promise<number> {
  let serverMs = 0;
  if (config.serve) {
    // The server's drain of its in-flight requests, then its final export.
    const { DEFAULT_DRAIN_TIMEOUT_MS } = await import('../server/instrumented-server.js');
    serverMs = DEFAULT_DRAIN_TIMEOUT_MS + config.serve.otlp.exportTimeoutMs;
  }
  const loadMs = config.load ? loadStopBoundMs(config.load.config) : 0;
  // A stop comes during the load (then the pipeline ends after writing the manifest) or during verify.
  return Math.max(loadMs + serverMs, config.verify?.backend?.queryTimeoutMs ?? 0);
}

export async function runPipeline(given: PipelineConfig, deps: PipelineDeps): Promise<RunReport> {
  const config = await loadServiceProfiles(given);
  const emit = deps.onEvent ?? (() => {});
  const report: RunReport = { ok: false, interrupted: false, thresholdsExceeded: [] };
  let manifests = config.verify?.manifests ?? [];
  let capture: CaptureExporter | undefined;
  if (config.load) {
    const loaded = await loadPart(config, deps, emit);
    capture = loaded.capture;
    Object.assign(report, {
      manifest: loaded.manifest,
      manifestPaths: loaded.paths,
      ...(loaded.embedded !== undefined
        ? { embedded: loaded.embedded, destinationReason: loaded.reason }
        : {}),
      ...(loaded.topology ? { topology: loaded.topology } : {}),
    });
    if (loaded.manifest.interrupted) return { ...report, interrupted: true };
    // A worker died: its requests are not counted, so verifying the counts could only be red.
    if (loaded.manifest.workerFailures) return { ...report, workerFailures: loaded.manifest.workerFailures };
    report.thresholdsExceeded = checkThresholds(loaded.manifest, config.load.config.thresholds);
    manifests = [{ manifest: loaded.manifest, source: loaded.paths[0] ?? `run ${loaded.manifest.runId}` }];
  }
  if (config.verify?.serviceProfile) {
    report.service = await verifyServiceManifests(
      config.verify.serviceProfile,
      manifests,
      config.verify.backend,
      {
        timeoutMs: config.verify.timeoutMs,
        // As for run-labelled verify: the run's export interval + a margin when known, else the default.
        settleMs: (config.verify.settle ?? defaultSettle(manifests.map((m) => m.manifest))).ms,
        signal: deps.signal,
      },
    );
    report.ok =
      !report.interrupted && report.thresholdsExceeded.length === 0 && report.service.every((r) => r.ok);
    return report;
  }
  if (config.verify) {
    const source = capture ? new CaptureSource(capture) : prometheusSource(config.verify.backend);
    // The capture holds the final counts once the server stopped: one look is enough.
    const settle = capture
      ? { ms: 0, why: 'in-process capture: final once the server stopped' }
      : (config.verify.settle ?? defaultSettle(manifests.map((m) => m.manifest)));
    report.verify = await verifyPart(
      config.verify,
      manifests,
      source,
      capture ? 0 : config.verify.timeoutMs,
      settle,
      deps,
      emit,
      report.topology ?? topologyOf(manifests.map((m) => m.manifest)),
    );
    report.topology ??= report.verify.topology;
    report.interrupted = report.verify.interrupted;
  }
  report.ok = !report.interrupted && report.thresholdsExceeded.length === 0 && (report.verify?.ok ?? true);
  return report;
}

interface LoadOutcome {
  manifest: RunManifest;
  paths: string[];
  capture?: CaptureExporter;
  embedded?: boolean;
  reason?: string;
  topology?: Topology;
}

/** Serve (if asked), load, stop the server (drain + final flush), build and write the manifest. */
async function loadPart(
  config: PipelineConfig,
  deps: PipelineDeps,
  emit: (e: PipelineEvent) => void,
): Promise<LoadOutcome> {
  const load = config.load!;
  const onProgress = (progress: LoadProgress) => emit({ type: 'load-progress', progress });
  /** The load itself, against `loadConfig`'s target, after the service's snapshot (if any). */
  const loadWith = (loadConfig: LoadConfig, service: Awaited<ReturnType<typeof beforeFirstRequest>>) =>
    loadOn(
      loadConfig,
      {
        signal: deps.signal,
        onProgress,
        createClient: deps.loadClient,
        shard: load.shard,
        ...service?.loadDeps,
        sendBatchMs: load.sendBatchMs,
      },
      load.workers,
    );
  if (!config.serve) {
    const { target } = load.config;
    if (target === null) throw new Error('a load without a serve part needs its target');
    const loadConfig = { ...load.config, target };
    emit({ type: 'load-started', config: loadConfig });
    const service = await beforeFirstRequest(load.service, loadConfig, deps.signal);
    const manifest = withService(
      buildManifest(loadConfig, await loadWith(loadConfig, service), undefined, load.shard),
      service,
    );
    emit({ type: 'load-finished', manifest });
    return { manifest, paths: await written(manifest, load, emit) };
  }

  const serve = await startServePart(config.serve, deps, config.verify?.backend);
  let server: ManifestServer | undefined;
  let loaded: Awaited<ReturnType<typeof runLoad>>;
  let service: Awaited<ReturnType<typeof beforeFirstRequest>>;
  // The serve part decides the target: its own URL.
  const loadConfig = { ...load.config, target: `${serve.url}/api` };
  try {
    emit({ type: 'load-started', config: loadConfig });
    service = await beforeFirstRequest(load.service, loadConfig, deps.signal);
    loaded = await loadWith(loadConfig, service);
  } finally {
    // Stopped before the manifest is final: the backend or the capture then has every count.
    server = await serve.stop();
  }
  const manifest = withService(
    buildManifest(
      loadConfig,
      loaded,
      {
        ...server,
        delay: config.serve.delay,
        seed: config.serve.seed ?? null,
        exportIntervalMs: config.serve.otlp.exportIntervalMs,
        embedded: serve.embedded,
      },
      load.shard,
    ),
    service,
  );
  emit({ type: 'load-finished', manifest });
  return {
    manifest,
    paths: await written(manifest, load, emit),
    ...(serve.capture ? { capture: serve.capture } : {}),
    embedded: serve.embedded,
    reason: serve.reason,
    topology: serve.topology,
  };
}

/** The topology the manifests record, when they all record the same one. */
function topologyOf(manifests: RunManifest[]): Topology | undefined {
  const found = new Set(
    manifests.map((m) => m.server?.topology ?? (m.server?.embedded ? 'embedded' : undefined)),
  );
  return found.size === 1 ? [...found][0] : undefined;
}

async function written(
  manifest: RunManifest,
  load: NonNullable<PipelineConfig['load']>,
  emit: (e: PipelineEvent) => void,
): Promise<string[]> {
  if (load.write === false) return [];
  const paths = await writeRunManifest(manifest, load.out, load.cwd);
  emit({ type: 'manifest-written', paths });
  return paths;
}

function prometheusSource(backend: PrometheusBackend | undefined): SeriesSource {
  if (!backend) throw new Error('verify without a backend needs the in-process capture of a serve part');
  return new PrometheusSource(promClientFor(backend), {
    tenantHeader: backend.tenantHeader,
    ...(backend.tenantsUrl ? { tenantsUrl: backend.tenantsUrl } : {}),
  });
}

async function verifyPart(
  part: VerifyPart,
  manifests: { manifest: RunManifest; source: string }[],
  source: SeriesSource,
  timeoutMs: number,
  settle: { ms: number; why: string },
  deps: PipelineDeps,
  emit: (e: PipelineEvent) => void,
  topology: Topology | undefined,
): Promise<VerifyReport> {
  try {
    // run --shard checks its own shard in process: the other shards are elsewhere, on purpose.
    const expectation = expectationsFrom(manifests, part.defaultTenant, { partial: part.ownShardOnly });
    emit({ type: 'verify-started', source: source.description });
    const undelivered = undeliveredShards(manifests);
    const noAnswer = nothingAnswered(manifests, expectation);
    const cut = interruptedRun(manifests);
    const starts = shardStartSpread(manifests);
    // The servers' instance ids, when every manifest recorded one (see ManifestServer.instanceId).
    const ids = manifests.map((m) => m.manifest.server?.instanceId);
    const instanceIds = ids.every((id): id is string => id !== undefined) ? [...new Set(ids)] : undefined;
    const report = await runVerify({
      expectation,
      source,
      clock: realClock,
      timeoutMs,
      ...(deps.signal ? { signal: deps.signal } : {}),
      onEvent: (event) => emit({ type: 'verify-poll', event }),
      explain: part.explain,
      // The default tenant always: requests without Client-ID land there even when the manifest sent none.
      alsoTenants: [part.defaultTenant, ...part.alsoTenants],
      tenantHeader: source.isolated ? (part.backend?.tenantHeader ?? null) : null,
      settle,
      cannotPass: [...undelivered, ...failedWorkers(manifests)],
      ...(noAnswer ? { nothingAnswered: noAnswer } : {}),
      ...(cut ? { runInterrupted: cut } : {}),
      ...(starts ? { shardStarts: starts } : {}),
      ...(instanceIds && !(source instanceof CaptureSource) ? { instanceIds } : {}),
      // The in-process capture is final and complete: nothing to diagnose while waiting.
      ...(source instanceof CaptureSource ? {} : { diagnosis: diagnosisSetup(manifests) }),
      ...(part.acceptChanges?.length ? { acceptChanges: part.acceptChanges } : {}),
      // The backend's drop counters: a capture has none.
      ...(part.backendMetricsUrl && !(source instanceof CaptureSource)
        ? { backendMetricsUrl: part.backendMetricsUrl }
        : {}),
    });
    if (topology) report.topology = topology;
    if (undelivered.length > 0) report.undelivered = undelivered;
    emit({ type: 'verify-finished', report });
    return report;
  } finally {
    await source.close();
  }
}
