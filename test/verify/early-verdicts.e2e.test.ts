/**
 * Early, explained verdicts through the built CLI against a real single-tenant VictoriaMetrics, with
 * the README's "Without Docker" variables exported: a red that cannot turn green ends well before
 * --verify-timeout and names the fix; the path the README gives (--no-tenant-header) stays green.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/verify/types.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { cleanEnv, runCli } from '../helpers/cli.js';

const enabled = backendsAvailable('early verdicts end-to-end (VictoriaMetrics)');
/** Far below the 90 s default: a certain red must end within 15 s of becoming certain. */
const EARLY_MS = 30_000;

describe.skipIf(!enabled)('early verdicts against one VictoriaMetrics (README: Without Docker)', () => {
  const vm = useVictoriaMetrics();
  let dir: string;
  const env = () => cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: vm.otlpEndpoint, OTELPOC_VERIFY_URL: vm.url });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-early-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('run without --no-tenant-header ends early: a single-tenant backend, fix --no-tenant-header', async () => {
    const started = Date.now();
    const r = await runCli(['run', '--rps', '30', '--duration', '2s'], {
      env: env(),
      cwd: dir,
      timeoutMs: 120_000,
    });
    const tookMs = Date.now() - started;
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(tookMs).toBeLessThan(EARLY_MS);
    expect(r.stdout).toMatch(/Ended early at [\d.]+ s, before the timeout \(single-tenant-backend\)/);
    expect(r.stdout).toMatch(/FAIL run .*ended early \(single-tenant-backend\).*--no-tenant-header/);
  }, 120_000);

  it('run --json carries the reason and the fix in verify.endedEarly', async () => {
    const r = await runCli(['run', '--rps', '30', '--duration', '2s', '--json'], {
      env: env(),
      cwd: dir,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as { verify: VerifyReport };
    expect(doc.verify.timedOut).toBe(false);
    expect(doc.verify.endedEarly?.signature).toBe('single-tenant-backend');
    expect(doc.verify.endedEarly?.fix).toContain('--no-tenant-header');
    expect(doc.verify.elapsedMs).toBeLessThan(EARLY_MS);
  }, 120_000);

  it('run --no-tenant-header (the README’s fix) is green: the signature does not fire on a good run', async () => {
    const r = await runCli(['run', '--rps', '30', '--duration', '2s', '--no-tenant-header'], {
      env: env(),
      cwd: dir,
      timeoutMs: 120_000,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain('Ended early');
  }, 120_000);

  it('verify of an embedded run’s manifest ends before polling: the data never left the server', async () => {
    const out = join(dir, 'embedded.json');
    const run = await runCli(['run', '--embedded', '--rps', '30', '--duration', '1s', '--out', out], {
      env: env(),
      cwd: dir,
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const started = Date.now();
    const r = await runCli(['verify', '--manifest', out, '--no-tenant-header'], { env: env(), cwd: dir });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(EARLY_MS);
    expect(r.stdout).toContain('Ended before polling (embedded-manifest)');
    expect(r.stdout).toContain('the data never left the server');
    expect(r.stdout).toMatch(/fix: .*--otlp-endpoint/);
  }, 120_000);
});
