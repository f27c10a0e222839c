/**
 * The form a run's duration histogram arrived in, as a backend holds it, and the one step that lets
 * the checks read every form alike: a Prometheus native histogram (Mimir's and Cortex's form of an
 * OTLP exponential histogram) becomes the _count and _sum series the checks compare with the counter
 * (its count and sum, exactly as the backend answered them), marked `fromNative`.
 *
 * Forms, measured (docs/stack-facts.md): classic `le` buckets (explicit-bucket histograms through
 * any Prometheus translation); native (exponential, with native histograms on); VictoriaMetrics'
 * own `vmrange` buckets plus _count and _sum (exponential into VictoriaMetrics' OTLP ingestion).
 */
import { PROM } from '../../telemetry/names.js';
import type { Observation, Sample } from '../types.js';
import type { HistogramForm } from './verdict.js';

export type { HistogramForm } from './verdict.js';

/** VictoriaMetrics' bucket label: `vmrange="1.000e-02...1.136e-02"` in place of `le`. */
export const VMRANGE_LABEL = 'vmrange';

export function isVmrangeBucket(s: Sample): boolean {
  return s.name === PROM.durationBucket && s.labels[VMRANGE_LABEL] !== undefined;
}

/** The form of the duration histogram among a tenant's own samples (after withNativeAsSeries). */
export function histogramFormOf(own: readonly Sample[]): HistogramForm {
  if (own.some((s) => s.fromNative)) return 'native';
  const buckets = own.filter((s) => s.name === PROM.durationBucket);
  if (buckets.some((s) => s.labels[PROM.labels.le] !== undefined)) return 'classic';
  if (buckets.some((s) => s.labels[VMRANGE_LABEL] !== undefined)) return 'vmrange';
  return own.some((s) => s.name === PROM.durationCount) ? 'classic' : 'none';
}

/** Each native duration histogram replaced by its _count and _sum series; every other sample kept. */
export function withNativeAsSeries(samples: readonly Sample[]): Sample[] {
  return samples.flatMap((s) => {
    if (!s.histogram || s.name !== PROM.durationNative) return [s];
    return [
      { name: PROM.durationCount, labels: s.labels, value: s.histogram.count, fromNative: true },
      { name: PROM.durationSum, labels: s.labels, value: s.histogram.sum, fromNative: true },
    ];
  });
}

export function normaliseObservation(o: Observation): Observation {
  return o.isolated
    ? { isolated: true, views: o.views.map((v) => ({ ...v, samples: withNativeAsSeries(v.samples) })) }
    : { isolated: false, all: withNativeAsSeries(o.all) };
}
