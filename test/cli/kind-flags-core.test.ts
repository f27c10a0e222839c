/**
 * The kind flags in the cores: doctor's probe gets the kind given (flag over variable, the table's
 * defaults never beating a variable), verify's --accept-change and --backend-metrics-url reach the
 * verify part (the metrics page derived from --url when not given), and the text report says the
 * kind verdicts in one line, or one per tenant that is not exact.
 */
import { describe, expect, it } from 'vitest';
import { resolveDoctor } from '../../src/doctor/command.js';
import { resolveVerify } from '../../src/pipeline/verify.js';
import { type KindVerdict, kindSummaryLines } from '../../src/verify/kinds/verdict.js';

describe('doctor: the probe exports the kind given', () => {
  it('flags reach the probe; a variable is read when no flag is given', () => {
    const { config } = resolveDoctor(
      { temporality: 'delta', histogram: 'exponential', exponentialMaxSize: '40', otlpProtocol: 'http/json' },
      {},
    );
    expect(config.otlpKind).toEqual({
      protocol: 'http/json',
      temporality: 'delta',
      histogram: { aggregation: 'exponential', maxSize: 40, maxScale: 20 },
    });
    const byEnv = resolveDoctor(
      {},
      { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'lowmemory' },
    ).config;
    expect(byEnv.otlpKind?.temporality).toBe('lowmemory');
  });
});

describe('verify: --accept-change and --backend-metrics-url', () => {
  it('reach the verify part; the metrics page defaults to --url without /prometheus + /metrics', async () => {
    const given = { manifest: ['test/fixtures/none.json'] };
    // The settings are resolved before the manifests are read: a missing manifest fails after them.
    await expect(
      resolveVerify({ ...given, acceptChange: ['vmrange-buckets,delta-to-cumulative'] }, {}, process.cwd()),
    ).rejects.toThrow(/none\.json/);
    const part = async (extra: Record<string, unknown>, env = {}) => {
      const { backendFrom, verifyPartFrom } = await import('../../src/pipeline/verify-backend.js');
      const { resolveOptions } = await import('../../src/options/table.js');
      const { VERIFY_OPTIONS } = await import('../../src/pipeline/verify.js');
      const r = resolveOptions(VERIFY_OPTIONS, extra, env);
      return verifyPartFrom(r, backendFrom(r, [], r), 1000);
    };
    expect(
      await part({ url: 'http://vm:8428/prometheus', acceptChange: ['vmrange-buckets,delta-to-cumulative'] }),
    ).toMatchObject({
      acceptChanges: ['vmrange-buckets', 'delta-to-cumulative'],
      backendMetricsUrl: 'http://vm:8428/metrics',
    });
    expect(
      await part(
        {},
        {
          OTELPOC_VERIFY_BACKEND_METRICS_URL: 'http://m:9/metrics',
          OTELPOC_VERIFY_ACCEPT_CHANGES: 'classic-buckets',
        },
      ),
    ).toMatchObject({ acceptChanges: ['classic-buckets'], backendMetricsUrl: 'http://m:9/metrics' });
  });
});

describe('the kind verdicts in the text report', () => {
  const v = (
    tenant: string,
    outcome: KindVerdict['outcome'],
    extra: Partial<KindVerdict> = {},
  ): KindVerdict => ({
    tenant,
    outcome,
    arrived: 'classic',
    how: `${outcome} how`,
    byStatus: [],
    ...extra,
  });
  it('one line when all are exact, one per tenant that is not', () => {
    expect(kindSummaryLines(undefined)).toEqual([]);
    expect(kindSummaryLines({ tenants: [v('a', 'exact'), v('b', 'exact')] })).toEqual([
      'kind: exact for 2 tenant(s)',
    ]);
    expect(
      kindSummaryLines({
        tenants: [
          v('a', 'exact'),
          v('b', 'changed', { change: 'delta-to-cumulative', accepted: true }),
          v('c', 'missing'),
        ],
      }),
    ).toEqual([
      'kind: b changed (delta-to-cumulative, accepted): changed how',
      'kind: c missing: missing how',
    ]);
  });
});
