/**
 * runPipeline called as a library: serve in process + load + flush + verify, with the metrics
 * captured in process, or exported over OTLP to a real VictoriaMetrics and verified there.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import { runPipeline, stopBoundMs } from '../../src/pipeline/index.js';
import { runDocument } from '../../src/pipeline/run.js';
import type { PipelineConfig, PipelineEvent } from '../../src/pipeline/types.js';
import { resolveOtlpConfig } from '../../src/telemetry/config.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, freePort } from '../helpers/backends.js';
import { testPlan } from '../load/plan-fixture.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otelpoc-pipeline-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const plan = (runId: string) =>
  testPlan({
    runId,
    stages: [{ durationMs: 500, fromPerSec: 80, toPerSec: 80 }],
    durationMs: 500,
    requests: null,
    tenants: [
      { clientId: 'tenant-1', weight: 1 },
      { clientId: 'tenant-2', weight: 1 },
    ],
    statusMix: [
      { status: 200, weight: 3 },
      { status: 404, weight: 1 },
    ],
  });

function serveTo(
  otlpEndpoint: string,
  metrics: 'otlp' | 'capture' | 'auto',
): NonNullable<PipelineConfig['serve']> {
  return {
    delay: { minMs: 0, maxMs: 0 },
    maxTenants: 100,
    otlp: resolveOtlpConfig({ otlpEndpoint, exportIntervalMs: 1_000 }, {}),
    metrics,
    captureReason: 'asked by the test',
  };
}

const verifyPart = { timeoutMs: 30_000, defaultTenant: 'default', alsoTenants: [], explain: false };

describe('runPipeline, metrics captured in process', () => {
  it('serves, loads, flushes, writes the manifest with the server stats, and verifies: green', async () => {
    const events: PipelineEvent[] = [];
    const warnings: string[] = [];
    const config: PipelineConfig = {
      serve: serveTo('http://127.0.0.1:9', 'capture'),
      load: { config: plan('pipeline-embedded'), out: join(dir, 'embedded.json'), cwd: dir },
      verify: verifyPart,
    };
    const report = await runPipeline(config, {
      env: {},
      warn: (m) => warnings.push(m),
      onEvent: (e) => events.push(e),
    });
    expect(report.ok, JSON.stringify(report.verify?.results.filter((r) => !r.ok))).toBe(true);
    expect(report.interrupted).toBe(false);
    expect(report.embedded).toBe(true);
    expect(report.destinationReason).toBe('asked by the test');
    expect(report.manifest!.totals.sent).toBe(40);
    expect(report.manifest!.server).toMatchObject({
      metricsTarget: 'in-process capture',
      finalFlushOk: true,
    });
    expect(report.verify!.source).toBe('in-process capture (no pipeline involved)');
    expect(report.verify!.tenants).toEqual(['tenant-1', 'tenant-2']);
    // The manifest on disk is the one in the report, written before verify started.
    const onDisk = JSON.parse(await readFile(join(dir, 'embedded.json'), 'utf8')) as RunManifest;
    expect(onDisk).toEqual(report.manifest);
    expect(report.manifestPaths).toEqual([join(dir, 'embedded.json')]);
    const order = events.map((e) => e.type).filter((t) => t !== 'load-progress' && t !== 'verify-poll');
    expect(order).toEqual([
      'destination',
      'server-started',
      'load-started',
      'server-stopped',
      'load-finished',
      'manifest-written',
      'verify-started',
      'verify-finished',
    ]);
    expect(warnings).toEqual([]);
    expect(runDocument(report)).toMatchObject({ ok: true, embedded: true, thresholdsExceeded: [] });
    expect(await stopBoundMs(config)).toBeGreaterThan(config.load!.config.timeoutMs);
  });

  it('with 2 load workers (real processes) to the in-process server: one manifest, verified green', async () => {
    const config: PipelineConfig = {
      serve: serveTo('http://127.0.0.1:9', 'capture'),
      load: { config: plan('pipeline-workers'), out: join(dir, 'workers.json'), cwd: dir, workers: 2 },
      verify: verifyPart,
    };
    const report = await runPipeline(config, { env: {}, warn: () => {} });
    expect(report.workerFailures).toBeUndefined();
    expect(report.ok, JSON.stringify(report.verify?.results.filter((r) => !r.ok))).toBe(true);
    // The 40 requests of the plan, sent by two processes, counted once in one manifest.
    expect(report.manifest!.totals.scheduled).toBe(40);
    expect(report.manifest!.totals.sent + report.manifest!.totals.dropped).toBe(40);
    expect(report.manifest!.shard).toBeUndefined();
    expect(report.manifest!.workers).toBe(2);
  });

  it("'auto' with nothing listening at the OTLP endpoint captures in process, and says why", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const report = await runPipeline(
      {
        serve: serveTo(endpoint, 'auto'),
        load: { config: plan('pipeline-auto'), out: join(dir, 'auto.json'), cwd: dir },
        verify: {
          ...verifyPart,
          backend: {
            url: 'http://127.0.0.1:9/prometheus',
            given: false,
            urlFlag: '--url',
            headers: {},
            tenantHeader: 'X-Scope-OrgID',
            queryTimeoutMs: 1_000,
          },
        },
      },
      { env: {}, warn: () => {} },
    );
    expect(report.ok).toBe(true);
    expect(report.embedded).toBe(true);
    expect(report.destinationReason).toBe(`nothing listens at ${endpoint}/v1/metrics and no --url`);
  });

  it('an aborted load still writes its manifest, stops the server, and skips verify', async () => {
    const controller = new AbortController();
    const report = await runPipeline(
      {
        serve: serveTo('http://127.0.0.1:9', 'capture'),
        load: {
          config: testPlan({
            runId: 'pipeline-abort',
            stages: [{ durationMs: 60_000, fromPerSec: 20, toPerSec: 20 }],
            durationMs: 60_000,
          }),
          out: join(dir, 'abort.json'),
          cwd: dir,
        },
        verify: verifyPart,
      },
      {
        env: {},
        warn: () => {},
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'load-progress' && e.progress.sent >= 5) controller.abort();
        },
      },
    );
    expect(report.interrupted).toBe(true);
    expect(report.ok).toBe(false);
    expect(report.verify).toBeUndefined();
    expect(report.manifest!.interrupted).toBe(true);
    expect(report.manifest!.server?.finalFlushOk).toBe(true);
    const onDisk = JSON.parse(await readFile(join(dir, 'abort.json'), 'utf8')) as RunManifest;
    expect(onDisk.interrupted).toBe(true);
  });
});

const enabled = backendsAvailable('pipeline end-to-end (VictoriaMetrics)');

describe.skipIf(!enabled)('runPipeline → OTLP → VictoriaMetrics', () => {
  const vm = useVictoriaMetrics();

  it('exports over OTLP, verifies at the Prometheus API: exact counts per tenant and status', async () => {
    const report = await runPipeline(
      {
        serve: serveTo(vm.otlpEndpoint, 'otlp'),
        load: { config: plan('pipeline-vm'), out: join(dir, 'vm.json'), cwd: dir },
        verify: {
          ...verifyPart,
          timeoutMs: 45_000,
          backend: {
            url: vm.promUrl,
            given: true,
            urlFlag: '--url',
            headers: {},
            tenantHeader: null,
            queryTimeoutMs: 5_000,
          },
        },
      },
      { env: {}, warn: () => {} },
    );
    expect(report.ok, JSON.stringify(report.verify?.results.filter((r) => !r.ok))).toBe(true);
    expect(report.embedded).toBe(false);
    expect(report.verify!.source).toBe(`Prometheus API at ${vm.promUrl} (single tenant)`);
    for (const t of report.manifest!.tenants) {
      const counts = report.verify!.results.find((x) => x.tenant === t.clientId && x.check === 'counts')!;
      const expected = Object.entries(t.receivedByStatus)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s}:${n}`)
        .join(' ');
      expect(counts.found).toBe(expected);
    }
  });
});
