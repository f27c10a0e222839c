/**
 * `otelpoc run --matrix`, real processes: every kind sent as its own run, one verdict per kind × tenant.
 * - Embedded (no backend): every kind captured in process, exact, exit 0; JUnit and the HTML report.
 * - VictoriaMetrics (the suite's backend, one store, --no-tenant-header): cumulative explicit exact;
 *   exponential changed (vmrange buckets); delta missing, naming VictoriaMetrics' dropped-rows
 *   counter; http/json missing as a failed export (VictoriaMetrics answers 400); exit 1.
 * - Cortex v1.20.1 with native histograms and raw delta on, one tenant per X-Scope-OrgID (per-tenant
 *   export): exponential exact (native), delta exact (raw deltas summed), per tenant.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MatrixReport } from '../../src/pipeline/matrix.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, freePort } from '../helpers/backends.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { type Cortex, cortexAvailable, startCortex } from '../helpers/cortex.js';
import { startGrpcRelay } from '../helpers/grpc-relay.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otelpoc-matrix-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Bounded: a few requests per kind, a short export interval (several exports, so deltas add up). */
const LOAD = ['--requests', '24', '--rps', '40', '--tenants', '2', '--export-interval', '200ms'];

function cellsOf(doc: MatrixReport) {
  const by: Record<string, { outcome: string; how: string; change?: string; ok: boolean }[]> = {};
  for (const k of doc.kinds) by[k.kind.slug] = k.cells;
  return by;
}

describe('run --matrix, embedded', () => {
  it('every kind captured in process, exact, exit 0; the table says the protocol was not exercised', async () => {
    const env = cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    const junit = join(dir, 'matrix.xml');
    const html = join(dir, 'matrix.html');
    const r = await runCli(['run', '--matrix', ...LOAD, '--junit', junit, '--report', html], {
      cwd: dir,
      env,
      timeoutMs: 90_000,
    });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^kind +tenant +verdict +in short$/m);
    expect(r.stdout).toMatch(
      /^delta-exponential-grpc +tenant-1 +exact +.*in process: protocol not exercised/m,
    );
    expect(r.stdout).toContain('12 of 12 kinds exact (24 of 24 kind × tenant)');
    const xml = new XMLParser({ ignoreAttributes: false }).parse(await readFile(junit, 'utf8'));
    const cases = xml.testsuites.testsuite.testcase as { '@_name': string; failure?: unknown }[];
    expect(cases).toHaveLength(24);
    expect(cases.filter((c) => c.failure)).toHaveLength(0);
    const page = await readFile(html, 'utf8');
    expect(page).toContain('id="kind-matrix"');
    expect(page).toContain('delta-exponential-json');
  });

  it('--json: one document; --kinds picks a subset, each its own run id <id>-<kind>', async () => {
    const env = cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    const kinds = 'delta-exponential-proto,lowmemory-explicit-json';
    const r = await runCli(['run', '--matrix', '--json', '--run-id', 'mx1', '--kinds', kinds, ...LOAD], {
      cwd: dir,
      env,
      timeoutMs: 90_000,
    });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const doc = JSON.parse(r.stdout) as MatrixReport;
    expect(doc.kinds.map((k) => k.runId)).toEqual([
      'mx1-delta-exponential-proto',
      'mx1-lowmemory-explicit-json',
    ]);
    expect(doc.kinds.every((k) => k.cells.every((c) => c.outcome === 'exact'))).toBe(true);
    // Each kind's run really exported that kind (its manifest records what its server exported).
    for (const k of doc.kinds) {
      const m = JSON.parse(await readFile(join(dir, `.otelpoc/runs/${k.runId}.json`), 'utf8'));
      const { protocol, temporality, histogram } = k.kind;
      expect(m.server.kind, k.runId).toMatchObject({ protocol, temporality, histogram });
      expect(m.server.exports, k.runId).toBeGreaterThan(2);
    }
  });

  it('a bad slug: one line naming --kinds and the allowed kinds, exit 2, before any work', async () => {
    const r = await runCli(['run', '--matrix', '--kinds', 'cumulative-explicit-proto,delta-nhcb-proto'], {
      cwd: dir,
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^otelpoc: --kinds: "delta-nhcb-proto" is not a kind; allowed \(comma-separated\): cumulative-explicit-proto, /,
    );
    expect(r.stdout).toBe('');
    const grpc = await runCli(
      ['run', '--matrix', '--otlp-grpc-endpoint', 'http://127.0.0.1:4317/v1/metrics'],
      {
        cwd: dir,
      },
    );
    expect(grpc.code).toBe(2);
    expect(grpc.stderr).toMatch(
      /^otelpoc: --otlp-grpc-endpoint: expected a gRPC endpoint, a scheme, host and port only/,
    );
    const out = await runCli(['run', '--matrix', '--out', 'm.json'], { cwd: dir });
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--out and --matrix: each kind writes its own manifest');
    const without = await runCli(['run', '--kinds', 'cumulative-explicit-proto'], { cwd: dir });
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('--kinds: only used with --matrix');
  });
});

describe.skipIf(!backendsAvailable('run --matrix → VictoriaMetrics'))(
  'run --matrix → VictoriaMetrics',
  () => {
    const vm = useVictoriaMetrics();

    it('exit 1: cumulative explicit exact, exponential changed (vmrange), delta missing (its counter), json missing (400)', async () => {
      const kinds =
        'cumulative-explicit-proto,cumulative-exponential-proto,delta-explicit-proto,cumulative-explicit-json';
      const args = ['--url', vm.promUrl, '--no-tenant-header', '--otlp-endpoint', vm.otlpEndpoint];
      const r = await runCli(
        ['run', '--matrix', '--json', '--kinds', kinds, ...args, ...LOAD, '--verify-timeout', '15s'],
        { cwd: dir, env: cleanEnv(), timeoutMs: 120_000 },
      );
      expect(r.code, r.stderr + r.stdout).toBe(1);
      const by = cellsOf(JSON.parse(r.stdout) as MatrixReport);
      if (process.env.MATRIX_DEBUG) console.log(JSON.stringify(by, null, 1));
      for (const tenant of [0, 1]) {
        expect(by['cumulative-explicit-proto']![tenant]).toMatchObject({ outcome: 'exact', ok: true });
        expect(by['cumulative-exponential-proto']![tenant]).toMatchObject({
          outcome: 'changed',
          change: 'vmrange-buckets',
          ok: false,
        });
        expect(by['delta-explicit-proto']![tenant]!.outcome).toBe('missing');
        expect(by['delta-explicit-proto']![tenant]!.how).toMatch(
          /^delta sums and histograms not stored: .*vm_protoparser_rows_dropped_total\{reason="unsupported_(sum|histogram)_aggregation"\}/,
        );
        expect(by['cumulative-explicit-json']![tenant]!.outcome).toBe('missing');
        expect(by['cumulative-explicit-json']![tenant]!.how).toMatch(
          /^a failed export: \d+ of \d+ exports to http:.*failed: Bad Request/,
        );
      }
    }, 150_000);

    it('--kinds naming a gRPC kind, no --otlp-grpc-endpoint: sent to the OTLP host on 4317; nothing there: a failed export, named', async () => {
      // VictoriaMetrics serves no gRPC: nothing listens on 127.0.0.1:4317 in the suite (loopback only).
      const args = ['--url', vm.promUrl, '--no-tenant-header', '--otlp-endpoint', vm.otlpEndpoint];
      const r = await runCli(
        [
          'run',
          '--matrix',
          '--json',
          '--kinds',
          'cumulative-explicit-grpc',
          ...args,
          ...LOAD,
          '--verify-timeout',
          '5s',
        ],
        { cwd: dir, env: cleanEnv(), timeoutMs: 120_000 },
      );
      expect(r.code, r.stderr + r.stdout).toBe(1);
      const [grpc] = (JSON.parse(r.stdout) as MatrixReport).kinds;
      expect(grpc!.via).toBe('http://127.0.0.1:4317');
      expect(grpc!.failedExports).toBeGreaterThan(0);
      expect(grpc!.cells[0]).toMatchObject({ outcome: 'missing', ok: false });
      expect(grpc!.cells[0]!.short).toMatch(/^export failed: \d+ of \d+/);
    }, 150_000);

    it('--otlp-grpc-endpoint: the gRPC kinds exported over gRPC (through a test relay to VictoriaMetrics), cumulative explicit exact', async () => {
      // A RELAY, not a receiver (test/helpers/grpc-relay.ts): it forwards each gRPC export unchanged as OTLP/HTTP protobuf.
      const relay = await startGrpcRelay(`${vm.otlpEndpoint}/v1/metrics`);
      try {
        const args = ['--url', vm.promUrl, '--no-tenant-header', '--otlp-endpoint', vm.otlpEndpoint];
        const r = await runCli(
          [
            'run',
            '--matrix',
            '--json',
            '--otlp-grpc-endpoint',
            relay.endpoint,
            ...args,
            ...LOAD,
            '--verify-timeout',
            '15s',
          ],
          { cwd: dir, env: cleanEnv(), timeoutMs: 120_000 },
        );
        const doc = JSON.parse(r.stdout) as MatrixReport;
        // Without --kinds: the 8 HTTP kinds and the 4 gRPC ones, since the endpoint speaks gRPC.
        expect(doc.kinds.map((k) => k.kind.slug).filter((s) => s.endsWith('-grpc'))).toHaveLength(4);
        const grpc = doc.kinds.find((k) => k.kind.slug === 'cumulative-explicit-grpc')!;
        expect(grpc.via).toBe(relay.endpoint);
        expect(grpc.cells.map((c) => c.outcome)).toEqual(['exact', 'exact']);
        expect(relay.calls.length).toBeGreaterThan(0);
      } finally {
        await relay.stop();
      }
    }, 150_000);
  },
);

describe.skipIf(!cortexAvailable('run --matrix → Cortex'))(
  'run --matrix → Cortex (native histograms, delta on)',
  () => {
    let cortex: Cortex;
    beforeAll(async () => {
      cortex = await startCortex({ nativeHistograms: true, allowDelta: true });
    }, 120_000);
    afterAll(async () => {
      await cortex?.stop();
    });

    it('exponential exact as native, delta exact (raw deltas summed), per tenant (X-Scope-OrgID)', async () => {
      const kinds =
        'cumulative-explicit-proto,cumulative-exponential-proto,delta-explicit-proto,delta-exponential-proto';
      const args = ['--url', cortex.promUrl, '--otlp-endpoint', cortex.otlpEndpoint, '--per-tenant-export'];
      const r = await runCli(
        ['run', '--matrix', '--json', '--kinds', kinds, ...args, ...LOAD, '--verify-timeout', '30s'],
        { cwd: dir, env: cleanEnv(), timeoutMs: 120_000 },
      );
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const by = cellsOf(JSON.parse(r.stdout) as MatrixReport);
      for (const slug of kinds.split(',')) {
        expect(
          by[slug]!.map((c) => c.outcome),
          slug,
        ).toEqual(['exact', 'exact']);
      }
      expect(by['cumulative-exponential-proto']![0]!.how).toMatch(/a native histogram/);
      expect(by['delta-explicit-proto']![0]!.how).toMatch(/raw deltas, summed/);
    }, 150_000);
  },
);
