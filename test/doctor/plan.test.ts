import { describe, expect, it } from 'vitest';
import { DEMO_TENANTS, PROBE_CLIENT_ID } from '../../src/doctor/defaults.js';
import {
  blockedBy,
  joinUrl,
  mimirOtlpEndpoint,
  otlpCheckHeaders,
  parseSkip,
  parseTopology,
  planChecks,
  resolveDoctorConfig,
  summarize,
  tenantsToQuery,
} from '../../src/doctor/plan.js';
import { DOCTOR_CHECK_IDS, type DoctorCheck } from '../../src/doctor/types.js';
import { DEFAULT_OTLP_KIND } from '../../src/telemetry/config.js';
import { UsageError } from '../../src/util/errors.js';
import { doctorConfig } from './fixtures.js';

const result = (id: DoctorCheck['id'], status: DoctorCheck['status']): DoctorCheck => ({
  id,
  title: id,
  status,
  target: '',
  detail: '',
  durationMs: 0,
  hints: [],
});

describe('planChecks', () => {
  it('lists every check once, in pipeline order, with the stack URLs', () => {
    const plan = planChecks(doctorConfig());
    expect(plan.map((c) => c.id)).toEqual([...DOCTOR_CHECK_IDS]);
    expect(Object.fromEntries(plan.map((c) => [c.id, c.target]))).toMatchObject({
      otlp: 'http://localhost:4318/v1/metrics',
      alloy: 'http://localhost:12345/-/ready',
      'cortex-tenant': 'http://localhost:8085/alive',
      mimir: 'http://localhost:9009/ready',
      grafana: 'http://localhost:3000/api/health',
    });
    expect(plan.find((c) => c.id === 'mimir-tenants')!.target).toBe(
      'http://localhost:9009/prometheus/api/v1/query as anonymous, otelpoc-doctor',
    );
  });

  it('gives every check a docker compose command to look at next, naming its own service', () => {
    for (const c of planChecks(doctorConfig())) {
      expect(c.hints.length, c.id).toBeGreaterThan(0);
      expect(
        c.hints.some((h) => h.startsWith('docker compose')),
        c.id,
      ).toBe(true);
    }
    const hintsOf = (id: string) =>
      planChecks(doctorConfig())
        .find((c) => c.id === id)!
        .hints.join('\n');
    expect(hintsOf('alloy')).toContain('docker compose logs alloy');
    expect(hintsOf('cortex-tenant')).toContain('docker compose logs cortex-tenant');
    expect(hintsOf('mimir')).toContain('docker compose logs mimir');
    expect(hintsOf('grafana')).toContain('docker compose logs grafana');
  });

  it('marks skipped checks; --skip mimir covers both Mimir checks', () => {
    const plan = planChecks(doctorConfig({ skip: ['mimir', 'grafana'] }));
    expect(plan.filter((c) => c.skippedBy).map((c) => c.id)).toEqual(['mimir', 'mimir-tenants', 'grafana']);
    expect(blockedBy(plan.find((c) => c.id === 'grafana')!, [])).toBe('skipped (--skip grafana)');
  });

  it('does not run a check whose prerequisite failed, but runs it when that one was skipped', () => {
    const plan = planChecks(doctorConfig());
    const tenants = plan.find((c) => c.id === 'mimir-tenants')!;
    const probe = plan.find((c) => c.id === 'probe')!;
    expect(blockedBy(tenants, [result('mimir', 'fail')])).toBe('not run: mimir failed');
    expect(blockedBy(tenants, [result('mimir', 'pass')])).toBeUndefined();
    expect(blockedBy(probe, [result('otlp', 'fail'), result('alloy', 'fail')])).toBe('not run: otlp failed');
    expect(blockedBy(probe, [result('otlp', 'skip')])).toBeUndefined();
  });

  it('joins URLs without doubling slashes', () => {
    expect(joinUrl('http://h:9009/prometheus/', '/api/v1/query')).toBe(
      'http://h:9009/prometheus/api/v1/query',
    );
    expect(joinUrl('http://h:12345', '-/ready')).toBe('http://h:12345/-/ready');
  });
});

describe('tenantsToQuery', () => {
  it("adds the probe's tenant unless the probe is skipped, without duplicates", () => {
    expect(tenantsToQuery(doctorConfig({ tenants: [...DEMO_TENANTS] }))).toEqual([
      ...DEMO_TENANTS,
      PROBE_CLIENT_ID,
    ]);
    expect(tenantsToQuery(doctorConfig({ skip: ['probe'] }))).toEqual(['anonymous']);
    expect(tenantsToQuery(doctorConfig({ tenants: ['a', 'b', 'a'], probeClientId: 'b' }))).toEqual([
      'a',
      'b',
    ]);
  });
});

describe('parseSkip', () => {
  it('accepts comma-separated and repeated names', () => {
    expect(parseSkip('grafana, alloy', ['probe'])).toEqual(['probe', 'grafana', 'alloy']);
    expect(parseSkip('alloy,alloy')).toEqual(['alloy']);
  });

  it('rejects an unknown name with a one-line message naming the flag and the allowed names', () => {
    expect(() => parseSkip('grafana,prometheus')).toThrow(UsageError);
    expect(() => parseSkip('prometheus')).toThrow(
      '--skip: expected one or more of otlp, alloy, cortex-tenant, mimir, grafana, probe (comma-separated), got "prometheus"',
    );
  });
});

describe('summarize', () => {
  it('is ok only without failures; skips do not fail', () => {
    expect(summarize([result('otlp', 'pass'), result('grafana', 'skip')])).toMatchObject({
      ok: true,
      summary: { passed: 1, failed: 0, skipped: 1 },
    });
    expect(summarize([result('otlp', 'pass'), result('alloy', 'fail')]).ok).toBe(false);
  });
});

describe('planChecks --topology direct', () => {
  it('checks only the hops of the direct topology: OTLP into Mimir, Mimir, Grafana, the probe', () => {
    const plan = planChecks(doctorConfig({ topology: 'direct' }));
    expect(plan.map((c) => c.id)).toEqual(['otlp', 'mimir', 'mimir-tenants', 'grafana', 'probe']);
    expect(plan.find((c) => c.id === 'probe')!.target).toContain('(X-Scope-OrgID: otelpoc-doctor)');
    expect(plan.find((c) => c.id === 'probe')!.hints.join('\n')).toContain('otel_metric_suffixes_enabled');
    // The router topology is unchanged.
    expect(planChecks(doctorConfig({ topology: 'router' })).map((c) => c.id)).toEqual([...DOCTOR_CHECK_IDS]);
  });

  it("sends the tenant header with the OTLP check's export only in the direct topology", () => {
    expect(otlpCheckHeaders(doctorConfig({ otlpHeaders: { a: 'b' } }))).toEqual({ a: 'b' });
    expect(otlpCheckHeaders(doctorConfig({ topology: 'direct', otlpHeaders: { a: 'b' } }))).toEqual({
      a: 'b',
      'X-Scope-OrgID': PROBE_CLIENT_ID,
    });
    expect(mimirOtlpEndpoint('http://localhost:9009/prometheus')).toBe('http://localhost:9009/otlp');
  });

  it("resolves the OTLP endpoint: the flag, else OTEL_*, else by topology (direct: Mimir's own /otlp)", () => {
    const { otlpMetricsUrl: _, otlpHeaders: __, probeExportIntervalMs: ___, ...input } = doctorConfig();
    const direct = { ...input, topology: 'direct' as const, mimirUrl: 'http://m:9009/prometheus' };
    expect(resolveDoctorConfig(direct, {})).toEqual({
      ...doctorConfig({ topology: 'direct', mimirUrl: 'http://m:9009/prometheus' }),
      otlpMetricsUrl: 'http://m:9009/otlp/v1/metrics',
      otlpKind: DEFAULT_OTLP_KIND,
    });
    // The probe exports the kind the OTEL_* variables ask for.
    expect(
      resolveDoctorConfig(direct, { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta' }).otlpKind
        ?.temporality,
    ).toBe('delta');
    expect(resolveDoctorConfig({ ...input, topology: 'router' }, {}).otlpMetricsUrl).toBe(
      'http://localhost:4318/v1/metrics',
    );
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_HEADERS: 'k=v' };
    expect(resolveDoctorConfig(direct, env)).toMatchObject({
      otlpMetricsUrl: 'http://c:4318/v1/metrics',
      otlpHeaders: { k: 'v' },
    });
    expect(resolveDoctorConfig({ ...direct, otlpEndpoint: 'http://f:1' }, env).otlpMetricsUrl).toBe(
      'http://f:1/v1/metrics',
    );
  });

  it('--topology accepts direct and router only', () => {
    expect(parseTopology('direct')).toBe('direct');
    expect(() => parseTopology('alloy')).toThrow(UsageError);
    expect(() => parseTopology('alloy')).toThrow('--topology: expected one of router, direct, got "alloy"');
  });
});
