import { DataPointType, type HistogramMetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { ExplicitHistogram } from '../../src/telemetry/explicit-histogram.js';

describe('ExplicitHistogram', () => {
  it('aggregates like an OTel explicit-bucket histogram: upper-inclusive buckets, sum, count, min, max', async () => {
    const h = new ExplicitHistogram({ name: 'd', unit: 's', description: 'x', boundaries: [0.1, 0.5, 1] });
    const a = h.series('a', () => ({ k: 'a' }));
    for (const v of [0.05, 0.1, 0.3, 0.5, 0.7, 1, 2]) h.record(a, v);
    const b = h.series('b', () => ({ k: 'b' }));
    h.record(b, 0.2);
    expect(h.series('a', () => ({ k: 'not used' }))).toBe(a);

    const { resourceMetrics } = await h.collect();
    const metric = resourceMetrics.scopeMetrics[0]!.metrics[0] as HistogramMetricData;
    expect(metric.descriptor).toMatchObject({ name: 'd', unit: 's' });
    expect(metric.dataPointType).toBe(DataPointType.HISTOGRAM);
    const [pa, pb] = metric.dataPoints;
    expect(pa!.attributes).toEqual({ k: 'a' });
    expect(pa!.value).toEqual({
      buckets: { boundaries: [0.1, 0.5, 1], counts: [2, 2, 2, 1] },
      count: 7,
      sum: 0.05 + 0.1 + 0.3 + 0.5 + 0.7 + 1 + 2,
      min: 0.05,
      max: 2,
    });
    expect(pb!.value).toMatchObject({ buckets: { counts: [0, 1, 0, 0] }, count: 1 });
  });

  it('exports nothing before the first series', async () => {
    const h = new ExplicitHistogram({ name: 'd', unit: 's', description: 'x', boundaries: [1] });
    expect((await h.collect()).resourceMetrics.scopeMetrics).toEqual([]);
  });
});
