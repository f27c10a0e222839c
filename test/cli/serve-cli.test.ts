/** `otelpoc serve` as a user runs it: the built binary, its help, its errors and its exit codes. */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  backendsAvailable,
  freePort,
  pollUntil,
  startVictoriaMetrics,
  type VictoriaMetrics,
} from '../helpers/backends.js';
import { type CliProcess, cleanEnv, runCli, serveUrl, spawnCli, spawnServe } from '../helpers/cli.js';

describe('otelpoc (top level)', () => {
  it('prints help and version, exit 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: otelpoc/);
    expect(help.stdout).toMatch(/serve/);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('rejects an unknown command with exit 2', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('otelpoc serve: bad input is one line on stderr and exit 2', () => {
  it.each([
    [['serve', '--port', '70000'], '--port: expected an integer from 0 to 65535, got "70000"'],
    [['serve', '--port', 'http'], '--port: expected an integer from 0 to 65535, got "http"'],
    [
      ['serve', '--delay', 'fast'],
      '--delay: expected a delay like 0, 50ms, 1s or a range like 0-500ms, got "fast"',
    ],
    [['serve', '--delay', '500-100ms'], "--delay: the range's upper end is below its lower end"],
    [['serve', '--seed', '-3'], '--seed: expected an integer from 0 to 4294967295'],
    [['serve', '--export-interval', '0s'], '--export-interval: expected a duration'],
    [['serve', '--otlp-endpoint', 'localhost:4318'], '--otlp-endpoint: expected an http:// or https:// URL'],
    [['serve', '--max-tenants', '0'], '--max-tenants: expected an integer from 1 to 100000'],
    // Node would listen on every interface for an empty host.
    [['serve', '--host', ''], '--host: expected an address to listen on'],
    [['serve', '--host', ' '], '--host: expected an address to listen on'],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
  });

  // Each variable that picks the kind of data: an unknown value is exit 2, one line naming it and
  // the allowed values, before the server listens.
  it.each([
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc-web', 'http/protobuf, http/json, grpc'],
    ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'http', 'http/protobuf, http/json, grpc'],
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'sometimes', 'cumulative, delta, lowmemory'],
    [
      'OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION',
      'native',
      'explicit_bucket_histogram, base2_exponential_bucket_histogram',
    ],
  ])('refuses %s=%s, naming the variable and the allowed values', async (name, value, allowed) => {
    const r = await runCli(['serve', '--port', '0'], { env: cleanEnv({ [name]: value }) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`otelpoc: ${name}: expected one of ${allowed}, got "${value}"`);
    expect(r.stdout).not.toContain('listening');
  });

  it('over gRPC, refuses a --tenant-header that cannot be gRPC metadata, before listening', async () => {
    const r = await runCli(['serve', '--port', '0', '--tenant-header', 'X!Tenant'], {
      env: cleanEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      'otelpoc: --tenant-header: "X!Tenant" cannot be gRPC metadata: letters, digits and _ . - only, not ending in -bin',
    );
    expect(r.stdout).not.toContain('listening');
  });

  it('says when the port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['serve', '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `otelpoc: --port: 127.0.0.1:${port} is already in use; pick another port, or --port 0 for a free one`,
      );
    } finally {
      blocker.close();
    }
  });

  it('has help with examples', async () => {
    const r = await runCli(['serve', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n\s+\$ otelpoc serve/);
    expect(r.stdout).toMatch(/--delay <range>/);
  });
});

describe('otelpoc serve: lifecycle', () => {
  let serve: CliProcess | undefined;
  let vm: VictoriaMetrics | undefined;
  afterEach(async () => {
    serve?.kill('SIGKILL');
    await vm?.stop();
    vm = undefined;
  });

  it('prints its URL on --port 0 and exits 0 on SIGINT even when the metrics backend is down', async () => {
    const deadPort = await freePort();
    serve = spawnCli(['serve', '--port', '0', '--otlp-endpoint', `http://127.0.0.1:${deadPort}`]);
    const [, url] = (await serve.waitFor(
      /listening on (http:\/\/127\.0\.0\.1:\d+)\/api/,
    )) as RegExpMatchArray;
    const res = await fetch(`${url}/api?sc=404`);
    expect(res.status).toBe(404);
    serve.kill('SIGINT');
    const r = await serve.exited;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/stopping, flushing metrics/);
    expect(r.stderr).toMatch(/warning: the last export to .* failed/);
  });

  it.skipIf(!backendsAvailable('serve export recovery (VictoriaMetrics)'))(
    'logs a failing export once per streak, and the cumulative counts catch up when the backend returns',
    async () => {
      const port = await freePort();
      serve = spawnServe(`http://127.0.0.1:${port}/opentelemetry`, { exportInterval: '200ms' });
      const url = await serveUrl(serve);
      for (let i = 0; i < 4; i++)
        await fetch(`${url}/api`, { headers: { 'X-Run-ID': 'recovery', 'Client-ID': 't1' } });
      await serve.waitFor(/metrics export to .* failed: .*ECONNREFUSED/);
      await new Promise((r) => setTimeout(r, 1000)); // several more failed intervals
      expect(serve.stderr.match(/metrics export to .* failed/g)).toHaveLength(1);

      vm = await startVictoriaMetrics({ port });
      await serve.waitFor(/metrics export to .* recovered after \d+ failed attempt/, 30_000);
      const backend = vm;
      const total = await pollUntil(
        async () => {
          const [s] = await backend.query('sum(http_server_request_total{otelpoc_run_id="recovery"})');
          return s?.value === 4 ? 4 : undefined;
        },
        { timeoutMs: 20_000, describe: () => `counts did not catch up\n${serve?.stderr}` },
      );
      expect(total).toBe(4);
    },
  );
});
