/**
 * The kind flags reach the export: `serve` with --otlp-protocol, --temporality, --histogram and
 * --exponential-max-size (or their OTEL_* variables; a flag beats its variable) exports what they
 * say, as seen in the bodies a real loopback receiver gets (http/json: readable as is; gRPC: through
 * the test relay of test/helpers/grpc-relay.ts). A bad value of any of them, or of verify's new
 * flags, is exit 2 with one line naming the flag or the variable, before any work.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli, serveUrl, spawnCli } from '../helpers/cli.js';
import type { JsonExport } from '../helpers/delta-to-cumulative-relay.js';
import { startGrpcRelay } from '../helpers/grpc-relay.js';

interface Received {
  contentType: string;
  body: Buffer;
}

let receiver: Server;
let endpoint: string;
const received: Received[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ contentType: String(req.headers['content-type']), body: Buffer.concat(chunks) });
      res
        .writeHead(200, { 'content-type': String(req.headers['content-type']) })
        .end(String(req.headers['content-type']).includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((ok) => receiver.close(() => ok()));
});

/** Serves with `args` (and `env`), sends 30 requests of spread-out delays, stops: what was exported. */
async function exportsOf(args: string[], env: Record<string, string> = {}): Promise<Received[]> {
  const before = received.length;
  const serve = spawnCli(
    [
      'serve',
      '--port',
      '0',
      '--otlp-endpoint',
      endpoint,
      '--export-interval',
      '200ms',
      '--delay',
      '0',
      ...args,
    ],
    { env: cleanEnv(env) },
  );
  const base = await serveUrl(serve);
  for (let i = 0; i < 30; i++) {
    // ?sc= spreads the statuses; the server's own delay is 0, the histogram gets each request's time.
    await fetch(`${base}/api?sc=${i % 3 === 0 ? 404 : 200}`, { headers: { 'Client-ID': 'tenant-1' } });
  }
  serve.kill('SIGTERM');
  const done = await serve.exited;
  expect(done.code, done.stderr).toBe(0);
  return received.slice(before);
}

const metricsOf = (exports: Received[]) =>
  exports
    .filter((e) => e.contentType.includes('json'))
    .flatMap((e) => (JSON.parse(e.body.toString('utf8')) as JsonExport).resourceMetrics)
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));

describe('the kind flags reach the export', () => {
  it('--otlp-protocol http/json --temporality delta --histogram exponential --exponential-max-size 2', async () => {
    const exports = await exportsOf([
      '--otlp-protocol',
      'http/json',
      '--temporality',
      'delta',
      '--histogram',
      'exponential',
      '--exponential-max-size',
      '2',
    ]);
    expect(exports.length).toBeGreaterThan(0);
    expect(exports.every((e) => e.contentType.includes('application/json'))).toBe(true);
    const metrics = metricsOf(exports);
    const counter = metrics.filter((m) => m.sum?.isMonotonic);
    const hist = metrics.filter((m) => m.exponentialHistogram);
    expect(counter.length).toBeGreaterThan(0);
    expect(counter.every((m) => m.sum!.aggregationTemporality === 1)).toBe(true);
    expect(hist.length).toBeGreaterThan(0);
    expect(metrics.some((m) => m.histogram)).toBe(false);
    for (const m of hist) {
      expect(m.exponentialHistogram!.aggregationTemporality).toBe(1);
      for (const p of m.exponentialHistogram!.dataPoints as { positive?: { bucketCounts?: unknown[] } }[]) {
        expect(p.positive?.bucketCounts?.length ?? 0).toBeLessThanOrEqual(2);
      }
    }
  });

  it('the OTEL_* variables say the same; a flag beats its variable', async () => {
    const env = {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'DELTA',
      OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram',
    };
    const byEnv = metricsOf(await exportsOf([], env));
    expect(byEnv.filter((m) => m.sum?.isMonotonic).every((m) => m.sum!.aggregationTemporality === 1)).toBe(
      true,
    );
    expect(byEnv.some((m) => m.exponentialHistogram)).toBe(true);
    const flagWins = metricsOf(
      await exportsOf(['--temporality', 'cumulative', '--histogram', 'explicit'], env),
    );
    const counters = flagWins.filter((m) => m.sum?.isMonotonic);
    expect(counters.length).toBeGreaterThan(0);
    expect(counters.every((m) => m.sum!.aggregationTemporality === 2)).toBe(true);
    expect(flagWins.some((m) => m.exponentialHistogram)).toBe(false);
    expect(flagWins.some((m) => m.histogram)).toBe(true);
  });

  it('--otlp-protocol grpc: exported over gRPC (through the test relay), to host and port only', async () => {
    const relay = await startGrpcRelay(`${endpoint}/v1/metrics`);
    try {
      const serve = spawnCli(
        [
          'serve',
          '--port',
          '0',
          '--otlp-endpoint',
          relay.endpoint,
          '--otlp-protocol',
          'grpc',
          '--export-interval',
          '200ms',
          '--delay',
          '0',
        ],
        { env: cleanEnv() },
      );
      const base = await serveUrl(serve);
      await fetch(`${base}/api`, { headers: { 'Client-ID': 'tenant-1' } });
      serve.kill('SIGTERM');
      expect((await serve.exited).code).toBe(0);
      expect(relay.calls.length).toBeGreaterThan(0);
    } finally {
      await relay.stop();
    }
  });
});

describe('bad values: exit 2 naming the flag or the variable, before any work', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-kindflags-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('every bad kind flag is reported together, one line each', async () => {
    const r = await runCli(['serve', '--otlp-protocol', 'z', '--temporality', 'x', '--histogram', 'y'], {
      env: cleanEnv(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'otelpoc: --otlp-protocol: expected one of http/protobuf, http/json, grpc, got "z"',
      'otelpoc: --temporality: expected one of cumulative, delta, lowmemory, got "x"',
      'otelpoc: --histogram: expected one of explicit, exponential, got "y"',
    ]);
  });

  it.each([
    [
      ['serve', '--otlp-protocol', 'udp'],
      {},
      /^otelpoc: --otlp-protocol: expected one of http\/protobuf, http\/json, grpc, got "udp"$/m,
    ],
    [
      ['run', '--temporality', 'sometimes'],
      {},
      /^otelpoc: --temporality: expected one of cumulative, delta, lowmemory, got "sometimes"$/m,
    ],
    [
      ['load', '--serve', '--histogram', 'linear'],
      {},
      /^otelpoc: --histogram: expected one of explicit, exponential, got "linear"$/m,
    ],
    [
      ['canary', '--once', '--exponential-max-size', '40'],
      {},
      /^otelpoc: --exponential-max-size: applies to exponential histograms only/m,
    ],
    [
      ['run', '--histogram', 'exponential', '--exponential-max-size', '1'],
      {},
      /^otelpoc: --exponential-max-size: expected an integer from 2 to 16384, got "1"$/m,
    ],
    [
      ['run', '--histogram', 'exponential', '--exponential-max-scale', '10'],
      {},
      /^otelpoc: --exponential-max-scale: the OpenTelemetry JS SDK fixes the max scale at 20, got 10$/m,
    ],
    [['doctor', '--temporality', 'x'], {}, /^otelpoc: --temporality: expected one of/m],
    [
      ['run'],
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' },
      /^otelpoc: OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: expected one of/m,
    ],
    [
      ['serve'],
      { OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'explicit' },
      /^otelpoc: OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: expected one of explicit_bucket_histogram, base2_exponential_bucket_histogram/m,
    ],
    [
      ['verify', '--accept-change', 'vmrange-buckets,nope'],
      {},
      /^otelpoc: --accept-change: "nope" is not a change verify knows; allowed: vmrange-buckets, classic-buckets, native-custom-buckets, delta-to-cumulative$/m,
    ],
    [
      ['run'],
      { OTELPOC_VERIFY_ACCEPT_CHANGES: 'nope' },
      /^otelpoc: OTELPOC_VERIFY_ACCEPT_CHANGES: "nope" is not a change/m,
    ],
    [['verify', '--backend-metrics-url', 'ftp://x'], {}, /^otelpoc: --backend-metrics-url: /m],
    [
      ['verify'],
      { OTELPOC_VERIFY_BACKEND_METRICS_URL: 'nope' },
      /^otelpoc: OTELPOC_VERIFY_BACKEND_METRICS_URL: /m,
    ],
    [
      ['canary', '--once', '--accept-change', 'vmrange-buckets'],
      {},
      /^otelpoc: --accept-change: not an option of canary/m,
    ],
  ] as const)('%s %o', async (args, env, line) => {
    const cwd = await mkdtemp(join(dir, 'case-'));
    const r = await runCli([...args], { cwd, env: cleanEnv(env), timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(line);
    // Before any work: no manifest written, nothing served, nothing exported.
    expect(existsSync(join(cwd, '.otelpoc'))).toBe(false);
  });
});
