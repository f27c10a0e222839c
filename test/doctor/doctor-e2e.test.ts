/**
 * `otelpoc doctor` against the multi-tenant harness (real programs): vmagent plays Alloy's OTLP
 * receiver + cortex-tenant's routing, vmauth plays Mimir's per-tenant API. The OTLP, Mimir and probe
 * checks pass and the probe's series is found under its own tenant; Alloy's UI, cortex-tenant and
 * Grafana do not exist here, so they fail with their hints (or are skipped with --skip).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/doctor/types.js';
import {
  backendsAvailable,
  freePort,
  type MultiTenantHarness,
  startMultiTenantHarness,
} from '../helpers/backends.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { startGrpcRelay } from '../helpers/grpc-relay.js';
import { mainInProcess } from '../helpers/main-in-process.js';

const enabled = backendsAvailable('doctor end-to-end (multi-tenant harness)');

describe.skipIf(!enabled)('otelpoc doctor → multi-tenant harness', () => {
  let harness: MultiTenantHarness;
  let flusher: NodeJS.Timeout | undefined;
  let absent: { alloy: string; cortexTenant: string; grafana: string };

  beforeAll(async () => {
    harness = await startMultiTenantHarness(['otelpoc-doctor', 'tenant-1'], { defaultTenant: 'anonymous' });
    // Test-only: VictoriaMetrics makes new series searchable ~10 s late; doctor itself just polls.
    flusher = setInterval(() => void harness.forceFlush(), 300);
    // Free ports where nothing listens: the services this machine cannot run.
    const [a, c, g] = await Promise.all([freePort(), freePort(), freePort()]);
    absent = {
      alloy: `http://127.0.0.1:${a}`,
      cortexTenant: `http://127.0.0.1:${c}`,
      grafana: `http://127.0.0.1:${g}`,
    };
  });

  afterAll(async () => {
    if (flusher) clearInterval(flusher);
    await harness?.stop();
  });

  const args = () => [
    'doctor',
    '--otlp-endpoint',
    harness.otlpEndpoint,
    '--mimir-url',
    harness.promUrl,
    '--alloy-url',
    absent.alloy,
    '--cortex-tenant-url',
    absent.cortexTenant,
    '--grafana-url',
    absent.grafana,
    '--tenants',
    'anonymous,tenant-1',
    '--timeout',
    '2s',
    '--probe-timeout',
    '45s',
  ];

  it('passes OTLP, Mimir and the probe; fails the absent services with hints; exit 1', async () => {
    const res = await runCli([...args(), '--json'], { timeoutMs: 60_000 });
    const report = JSON.parse(res.stdout) as DoctorReport;
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    expect(status, res.stderr).toEqual({
      otlp: 'pass',
      alloy: 'fail',
      'cortex-tenant': 'fail',
      mimir: 'pass',
      'mimir-tenants': 'pass',
      grafana: 'fail',
      probe: 'pass',
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(''); // --json: nothing but the document
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(byId['mimir-tenants']!.detail).toBe('queries answered for anonymous, tenant-1, otelpoc-doctor');
    expect(byId.probe!.probe).toMatchObject({ clientId: 'otelpoc-doctor', stage: 'stored' });
    expect(byId.alloy!.detail).toMatch(/connection refused/);
    expect(byId.alloy!.hints.join('\n')).toContain('docker compose logs alloy');
    expect(byId['cortex-tenant']!.hints.join('\n')).toContain('docker compose logs cortex-tenant');
    expect(byId.grafana!.hints.join('\n')).toContain('docker compose logs grafana');

    // The probe's series is in its own tenant's store, exactly once, and in no other tenant.
    const runId = byId.probe!.probe!.runId;
    const sel = `sum(http_server_request_total{otelpoc_run_id="${runId}"})`;
    expect((await harness.query('otelpoc-doctor', sel))[0]?.value).toBe(1);
    expect(await harness.query('tenant-1', sel)).toEqual([]);
    expect(await harness.query('anonymous', sel)).toEqual([]);
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL=grpc: the OTLP check and the probe go over gRPC (through the test relay into the harness)', async () => {
    // A relay, not a receiver: gRPC in, the same bytes out as OTLP/HTTP protobuf to vmagent.
    const relay = await startGrpcRelay(`${harness.otlpEndpoint}/v1/metrics`);
    try {
      const skip = ['--skip', 'alloy,cortex-tenant,grafana', '--json'];
      const env = cleanEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
      const withEndpoint = (endpoint: string) => {
        const a = args();
        a[a.indexOf('--otlp-endpoint') + 1] = endpoint;
        return [...a, ...skip];
      };
      const res = await runCli(withEndpoint(relay.endpoint), { env, timeoutMs: 60_000 });
      const report = JSON.parse(res.stdout) as DoctorReport;
      const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
      expect(byId.otlp!.detail, res.stdout).toMatch(/^accepted an empty metrics export over gRPC/);
      expect(byId.probe!.status, res.stdout).toBe('pass');
      expect(res.code).toBe(0);
      // The check's empty export and the probe's exports went through the relay.
      expect(relay.calls.length).toBeGreaterThan(1);

      const dead = `http://127.0.0.1:${await freePort()}`;
      const down = await runCli(withEndpoint(dead), { env, timeoutMs: 60_000 });
      const downReport = JSON.parse(down.stdout) as DoctorReport;
      const otlp = downReport.checks.find((c) => c.id === 'otlp')!;
      expect(otlp.status).toBe('fail');
      expect(otlp.detail).toMatch(/^gRPC 14 UNAVAILABLE: /);
      expect(downReport.checks.find((c) => c.id === 'probe')!.status).toBe('skip');
      expect(down.code).toBe(1);
    } finally {
      await relay.stop();
    }
  });

  it('with the absent services skipped: all green, exit 0, a readable checklist', async () => {
    const res = await runCli([...args(), '--skip', 'alloy,cortex-tenant', '--skip', 'grafana'], {
      timeoutMs: 60_000,
    });
    expect(res.code, `${res.stdout}\n${res.stderr}`).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^✓ OTLP endpoint +accepted an empty metrics export/));
    expect(lines).toContainEqual(expect.stringMatching(/^- Alloy ready +skipped \(--skip alloy\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^- Grafana healthy +skipped \(--skip grafana\)$/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^✓ Probe request end to end +served, exported, and visible in Mimir for tenant "otelpoc-doctor" after /,
      ),
    );
    expect(res.stdout).toMatch(/pipeline OK: 4 passed, 0 failed, 3 skipped/);
    expect(res.stderr).toMatch(/probe: exported run doctor-/); // progress goes to stderr
  });

  it('a tenant the backend does not know fails the per-tenant check, and the probe is still tried', async () => {
    const res = await runCli(
      [...args(), '--json', '--tenants', 'tenant-1,tenant-9', '--skip', 'alloy,cortex-tenant,grafana'],
      {
        timeoutMs: 60_000,
      },
    );
    const report = JSON.parse(res.stdout) as DoctorReport;
    const tenants = report.checks.find((c) => c.id === 'mimir-tenants')!;
    expect(tenants.status).toBe('fail');
    // vmauth has no route for it: verify's Prometheus client reports the tenant rejected.
    expect(tenants.detail).toMatch(/^as tenant "tenant-9": 400 missing route/);
    expect(tenants.hints[0]).toMatch(/refused tenant "tenant-9"/);
    expect(report.checks.find((c) => c.id === 'probe')!.status).toBe('pass');
    expect(res.code).toBe(1);
  });
});

describe('otelpoc doctor: usage', () => {
  it('rejects bad flags with one line and exit 2', async () => {
    for (const [flags, message] of [
      [
        ['--skip', 'prometheus'],
        /--skip: expected one or more of otlp, alloy, cortex-tenant, mimir, grafana, probe/,
      ],
      [['--timeout', '-1'], /--timeout: expected a duration/],
      [
        ['--mimir-url', 'localhost:9009'],
        /--mimir-url: expected an http:\/\/ or https:\/\/ URL, got "localhost:9009"/,
      ],
      [['--tenants', 'a|b'], /--tenants: "a\|b" has characters other than/],
    ] as const) {
      const res = await runCli(['doctor', ...flags], { timeoutMs: 20_000 });
      expect(res.code, flags.join(' ')).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stdout).toBe('');
    }
  });

  it('nothing listening: a headline says the stack is not up; --topology direct names its own hops', async () => {
    // Free loopback ports nobody listens on: every hop is refused at once.
    const url = async () => `http://127.0.0.1:${await freePort()}`;
    const urls = [
      ['--otlp-endpoint', await url()],
      ['--alloy-url', await url()],
      ['--cortex-tenant-url', await url()],
      ['--mimir-url', `${await url()}/prometheus`],
      ['--grafana-url', await url()],
    ].flat();
    const router = await mainInProcess(['doctor', ...urls]);
    expect(router.code).toBe(1);
    expect(router.stdout.split('\n')[0]).toBe(
      'otelpoc doctor: OTLP → Alloy → cortex-tenant → Mimir → Grafana, then one probe request',
    );
    expect(router.stdout).toContain(
      '\nnothing of the stack answers: is `docker compose up -d --wait` running? (or give the URLs where it runs)\npipeline has problems: 0 passed, 5 failed, 2 skipped',
    );
    const direct = await mainInProcess(['doctor', '--topology', 'direct', ...urls]);
    expect(direct.code).toBe(1);
    const header = direct.stdout.split('\n')[0]!;
    expect(header).toBe(
      "otelpoc doctor (direct): OTLP per tenant → Mimir's /otlp → Mimir → Grafana, then one probe request",
    );
    expect(header).not.toMatch(/Alloy|cortex-tenant/);
    expect(direct.stdout).toContain(
      'nothing of the stack answers: is `docker compose --profile direct up -d --wait mimir grafana` running?',
    );
  });

  it('has help with examples', async () => {
    const res = await runCli(['doctor', '--help'], { timeoutMs: 20_000 });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Examples:\n +\$ docker compose up -d --wait && otelpoc doctor/);
    for (const flag of [
      '--otlp-endpoint',
      '--alloy-url',
      '--cortex-tenant-url',
      '--mimir-url',
      '--grafana-url',
      '--skip',
      '--timeout',
      '--probe-timeout',
      '--json',
    ]) {
      expect(res.stdout).toContain(flag);
    }
  });
});
