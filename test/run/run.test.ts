/**
 * `otelpoc run`: with no backend it captures in process, is green, and says no pipeline was
 * involved; with --url it exports to a real VictoriaMetrics and verifies there.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, freePort } from '../helpers/backends.js';
import { cleanEnv, runCli } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otelpoc-run-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('otelpoc run, no backend (embedded)', () => {
  it('with no flags: green, exit 0, and says clearly that no pipeline was involved', async () => {
    // Nothing listens at the OTLP endpoint: a free port nobody took.
    const env = cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    const r = await runCli(['run'], { cwd: dir, env, timeoutMs: 60_000 });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(
      /run: embedded mode: nothing listens at http:\/\/127\.0\.0\.1:\d+\/v1\/metrics and no --url/,
    );
    expect(r.stdout).toMatch(/PASS run \S+: 18 checks passed, 3 not testable, for 3 tenant\(s\)/);
    expect(r.stdout).toMatch(/note: embedded mode: no pipeline was involved/);
    // The manifest is where `otelpoc verify` looks for it.
    const m = JSON.parse(await readFile(join(dir, '.otelpoc/last-run.json'), 'utf8')) as RunManifest;
    expect(m.totals.sent).toBe(60);
    expect(m.server?.metricsTarget).toBe('in-process capture');
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta' }, 'delta'],
    [
      { OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION: 'base2_exponential_bucket_histogram' },
      'exponential',
    ],
  ])(
    'captures %o embedded exactly (deltas summed, exponential as a native histogram): exit 0',
    async (kind, what) => {
      // Several exports (each a delta under delta), so a capture that kept only the last would be short.
      const args = [
        'run',
        '--embedded',
        '--json',
        '--requests',
        '40',
        '--rps',
        '50',
        '--export-interval',
        '100ms',
      ];
      const r = await runCli(args, {
        cwd: dir,
        env: cleanEnv(kind),
        timeoutMs: 60_000,
      });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const doc = JSON.parse(r.stdout) as {
        manifest: { server: { exports: number } };
        verify: { kinds: { sent: object; tenants: { outcome: string }[] } };
      };
      expect(doc.manifest.server.exports).toBeGreaterThan(2);
      expect(JSON.stringify(doc.verify.kinds.sent)).toContain(what);
      expect(doc.verify.kinds.tenants.length).toBeGreaterThan(0);
      expect(doc.verify.kinds.tenants.every((t) => t.outcome === 'exact')).toBe(true);
    },
  );

  it('--json prints one document with the manifest and the report', async () => {
    const r = await runCli(
      [
        'run',
        '--embedded',
        '--json',
        '--requests',
        '30',
        '--rps',
        '200',
        '--tenants',
        '2',
        '--anonymous',
        '20%',
        '--out',
        join(dir, 'j.json'),
      ],
      { cwd: dir, timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      ok: boolean;
      embedded: boolean;
      manifest: RunManifest;
      verify: VerifyReport;
    };
    expect(doc.ok).toBe(true);
    expect(doc.embedded).toBe(true);
    expect(doc.manifest.totals.sent).toBe(30);
    expect(doc.verify.tenants).toEqual(['anonymous', 'tenant-1', 'tenant-2']);
    expect(doc.verify.source).toBe('in-process capture (no pipeline involved)');
    // The capture is final once the server stopped: nothing can arrive later, no settle window.
    expect(doc.verify).toMatchObject({
      settleMs: 0,
      settleWhy: 'in-process capture: final once the server stopped',
    });
  });

  it('bad flags are one line and exit 2, before anything starts', async () => {
    const r = await runCli(['run', '--rps', '-1'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--rps/);
  });
});

const enabled = backendsAvailable('run end-to-end (VictoriaMetrics)');

describe.skipIf(!enabled)('otelpoc run --url → VictoriaMetrics', () => {
  const vm = useVictoriaMetrics();

  it('exports through OTLP and verifies at --url: green with exact counts', async () => {
    const r = await runCli(
      [
        'run',
        '--url',
        vm.promUrl,
        '--no-tenant-header',
        '--otlp-endpoint',
        vm.otlpEndpoint,
        '--requests',
        '90',
        '--rps',
        '100',
        '--json',
        '--out',
        join(dir, 'vm.json'),
        '--verify-timeout',
        '45s',
      ],
      { cwd: dir, timeoutMs: 90_000 },
    );
    expect(r.code, `${r.stderr}\n${vm.logs()}`).toBe(0);
    const doc = JSON.parse(r.stdout) as { embedded: boolean; manifest: RunManifest; verify: VerifyReport };
    expect(doc.embedded).toBe(false);
    expect(doc.verify.source).toBe(`Prometheus API at ${vm.promUrl} (single tenant)`);
    expect(doc.verify.ok).toBe(true);
    expect(doc.manifest.totals.sent).toBe(90);
    // The default settle window: run's export interval (1 s) + 5 s, all green for all of it.
    expect(doc.manifest.server).toMatchObject({ exportIntervalMs: 1000 });
    expect(doc.verify.settleMs).toBe(6_000);
    expect(doc.verify.greenForMs).toBeGreaterThanOrEqual(6_000);
    expect(doc.verify.visibleAfterMs).toBeLessThanOrEqual(doc.verify.elapsedMs - 6_000);
    // What each tenant shows is exactly what the client received, per status.
    for (const t of doc.manifest.tenants) {
      const counts = doc.verify.results.find((x) => x.tenant === t.clientId && x.check === 'counts')!;
      const expected = Object.entries(t.receivedByStatus)
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s}:${n}`)
        .join(' ');
      expect(counts.found).toBe(expected);
    }
  });
});
