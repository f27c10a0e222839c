/**
 * The manifest records the kind of data the server exported (schema version 4, server.kind), and
 * older manifests still verify. Real processes: `otelpoc load --serve` (in process, the CLI's own
 * env reading) exports to a real VictoriaMetrics, over gRPC through the test relay
 * (test/helpers/grpc-relay.ts: gRPC in, the same bytes out as OTLP/HTTP protobuf), then
 * `otelpoc verify` checks the counts there.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import { DURATION_BUCKETS_S } from '../../src/telemetry/names.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { loadServeArgv } from '../helpers/cli.js';
import { type GrpcRelay, startGrpcRelay } from '../helpers/grpc-relay.js';
import { mainInProcess } from '../helpers/main-in-process.js';
import { expectedFromManifest, waitForCounts } from '../helpers/run-counts.js';

const enabled = backendsAvailable('manifest kind (VictoriaMetrics)');

describe.skipIf(!enabled)('server.kind in the manifest, and older manifests', () => {
  const vm = useVictoriaMetrics();
  let dir: string;
  let relay: GrpcRelay;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-kind-'));
    relay = await startGrpcRelay(`${vm.otlpEndpoint}/v1/metrics`);
  });
  afterAll(async () => {
    await relay?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const load = async (runId: string, otlpEndpoint: string, env: Record<string, string> = {}) => {
    const out = join(dir, `${runId}.json`);
    const r = await mainInProcess(loadServeArgv({ requests: 40, tenants: 2, otlpEndpoint, runId, out }), {
      env: { NO_COLOR: '1', ...env },
    });
    expect(r.code, r.stderr).toBe(0);
    return { out, manifest: JSON.parse(await readFile(out, 'utf8')) as RunManifest };
  };
  const verify = (manifest: string) =>
    mainInProcess([
      'verify',
      '--manifest',
      manifest,
      '--url',
      vm.promUrl,
      // One VictoriaMetrics is one store: tenants are told apart by client_id.
      '--no-tenant-header',
      '--timeout',
      '30s',
      '--settle',
      '1s',
    ]);

  it('load --serve over gRPC (OTEL_EXPORTER_OTLP_PROTOCOL=grpc) → relay → VictoriaMetrics: kind recorded, counts exact, verify green', async () => {
    const { out, manifest } = await load('kind-m-grpc', relay.endpoint, {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    expect(manifest.schemaVersion).toBe(4);
    expect(manifest.server?.kind).toEqual({
      protocol: 'grpc',
      temporality: 'cumulative',
      histogram: 'explicit',
      boundaries: DURATION_BUCKETS_S,
      requestCounter: 'observable',
    });
    expect(manifest.server?.metricsTarget).toBe(relay.endpoint);
    expect(manifest.server?.failedExports).toBe(0);
    expect(relay.calls.length).toBeGreaterThan(0);
    await waitForCounts(vm, 'kind-m-grpc', expectedFromManifest(manifest));
    const v = await verify(out);
    expect(v.code, `${v.stderr}\n${v.stdout}`).toBe(0);
  });

  it('records exponential with its parameters (no boundaries), and delta', async () => {
    const { manifest } = await load('kind-m-exp', vm.otlpEndpoint, {
      OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
    });
    expect(manifest.server?.kind).toEqual({
      protocol: 'http/protobuf',
      temporality: 'delta',
      histogram: 'exponential',
      exponential: { maxSize: 160, maxScale: 20 },
      requestCounter: 'observable',
    });
  });

  it('a version 3 manifest (no kind) still verifies, read as OTLP/HTTP protobuf, cumulative, explicit buckets', async () => {
    const { manifest } = await load('kind-m-v3', vm.otlpEndpoint);
    await waitForCounts(vm, 'kind-m-v3', expectedFromManifest(manifest));
    // The same run as otelpoc wrote it before version 4.
    const { kind: _, ...server } = manifest.server!;
    const v3 = join(dir, 'kind-m-v3.v3.json');
    await writeFile(v3, JSON.stringify({ ...manifest, schemaVersion: 3, server }));
    const v = await verify(v3);
    expect(v.code, `${v.stderr}\n${v.stdout}`).toBe(0);
  });
});
