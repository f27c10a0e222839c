/**
 * 8. kind — proves the kind of data the run sent (temporality, histogram aggregation) arrived as
 * sent, per tenant × status, from what the backend holds, in one of three outcomes:
 * - exact: arrived as sent, counts exact (an exponential histogram as a native histogram; delta as
 *   raw deltas, summed over the run; explicit buckets as `le` buckets);
 * - changed: counts exact in the form that arrived, but the form changed (named: see KIND_CHANGES),
 *   saying how and at which hop it can happen; a pass only when the user accepts that change;
 * - missing: not stored, or the counts are wrong: what is missing, where it can have gone, the fixes.
 * A pure function of the tenant's expectation, its own samples (native histograms already turned
 * into _count/_sum, kinds/forms.ts) and the backend's own drop counters when read.
 */
import { z } from 'zod';
import { PROM } from '../../telemetry/names.js';
import { UsageError } from '../../util/errors.js';
import type { TenantExpectation } from '../expectations.js';
import type { Sample } from '../types.js';
import {
  CORTEX_DISCARDED,
  CORTEX_NATIVE_REASON,
  type DropCounters,
  describeDrop,
  VM_DROPPED_ROWS,
} from './backend-drops.js';
import { type HistogramForm, histogramFormOf, isVmrangeBucket } from './forms.js';
import { isDelta, type SentKind } from './kind.js';
import { KIND_CHANGES, type KindChange, type KindVerdict } from './verdict.js';

export { KIND_CHANGES, type KindChange, type KindOutcome, type KindVerdict } from './verdict.js';

export const KindChangesSchema = z.array(z.enum(KIND_CHANGES));

/**
 * The user's accepted changes, checked before any work: an unknown name is a UsageError naming the
 * input and the allowed names. `input` is how the caller names it (the flag, once the CLI has one).
 */
export function parseAcceptChanges(values: readonly string[], input = 'acceptChanges'): KindChange[] {
  const parsed = KindChangesSchema.safeParse(values);
  if (parsed.success) return [...new Set(parsed.data)];
  const bad = values.find((v) => !(KIND_CHANGES as readonly string[]).includes(v));
  throw new UsageError(
    `${input}: "${bad}" is not a change verify knows; allowed: ${KIND_CHANGES.join(', ')}`,
  );
}

/** Why delta can vanish, and what stores it (docs/stack-facts.md has the sources). */
export const DELTA_FIXES = [
  'Alloy: put otelcol.processor.deltatocumulative before otelcol.exporter.prometheus (which drops delta sums and histograms)',
  'Mimir: -distributor.otel-native-delta-ingestion=true / limits otel_native_delta_ingestion (experimental) stores raw deltas',
  'Cortex: -distributor.otlp.allow-delta-temporality=true (experimental) stores raw deltas',
  'or export cumulative (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative)',
];

export const NATIVE_FIXES = [
  'Mimir: native_histograms_ingestion_enabled (limits; "if false, native histogram samples are ignored without an error")',
  'Cortex: -blocks-storage.tsdb.enable-native-histograms=true',
  'Alloy: send_native_histograms = true on the prometheus.remote_write endpoint',
];

const CHANGE_TEXT: Record<KindChange, { how: string; hop: string }> = {
  'vmrange-buckets': {
    how: "VictoriaMetrics' own vmrange buckets plus _count and _sum: counts exact, but neither a Prometheus native histogram nor classic le buckets (histogram_quantile over le and le-bucket panels find nothing)",
    hop: "the backend's OTLP ingestion: VictoriaMetrics converts exponential histograms to vmrange buckets when it ingests them",
  },
  'classic-buckets': {
    how: 'classic le buckets: the exponential histogram was converted to fixed buckets on the way (its resolution is gone)',
    hop: 'the OTLP → Prometheus translation of a collector or backend that does not keep native histograms',
  },
  'delta-to-cumulative': {
    how: 'cumulative samples: delta converted to cumulative on the way (e.g. Alloy otelcol.processor.deltatocumulative), read by their newest sample',
    hop: 'a collector between the SDK and the backend (Alloy otelcol.processor.deltatocumulative, the OpenTelemetry Collector deltatocumulative processor)',
  },
  'native-custom-buckets': {
    how: 'a native histogram (custom buckets): the explicit-bucket histogram was converted, no le bucket series',
    hop: "the backend's OTLP ingestion (Mimir's otel_convert_histograms_to_nhcb)",
  },
};

function sumByStatus(samples: readonly Sample[], keep: (s: Sample) => boolean): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (!keep(s)) continue;
    const status = Number(s.labels[PROM.labels.statusCode]);
    out.set(status, (out.get(status) ?? 0) + s.value);
  }
  return out;
}

/** VictoriaMetrics' counts of OTLP rows it skipped for their temporality (the whole backend's). */
function deltaDropLine(drops: DropCounters | undefined): string | undefined {
  const found = (drops ?? []).filter((d) => d.name === VM_DROPPED_ROWS && /aggregation/.test(d.reason));
  if (found.length === 0) return undefined;
  return `the backend counts dropped OTLP rows: ${found.map(describeDrop).join(', ')} (its own counter, for all its OTLP ingestion, not this run alone)`;
}

/** Cortex's (Mimir's) count of this tenant's native histogram samples discarded with native histograms off. */
function nativeDropLine(drops: DropCounters | undefined, tenant: string): string | undefined {
  const found = (drops ?? []).filter(
    (d) => d.name === CORTEX_DISCARDED && d.reason === CORTEX_NATIVE_REASON && d.tenant === tenant,
  );
  if (found.length === 0) return undefined;
  return `the backend counts them: ${found.map(describeDrop).join(', ')} (all of the tenant's, not this run alone)`;
}

/** The verdict for one tenant, or undefined when the tenant was due nothing (nothing to judge). */
export function assessKind(
  exp: TenantExpectation,
  own: readonly Sample[],
  kind: SentKind,
  opts: { acceptChanges?: readonly KindChange[]; drops?: DropCounters; deltaConverted?: boolean } = {},
): KindVerdict | undefined {
  if (exp.received === 0) return undefined;
  const counter = sumByStatus(own, (s) => s.name === PROM.requestTotal);
  const histCount = sumByStatus(own, (s) => s.name === PROM.durationCount);
  const vmrange = sumByStatus(own, isVmrangeBucket);
  const arrived = histogramFormOf(own);
  const byStatus = exp.byStatus.map((e) => ({
    status: e.status,
    expected: e.min === e.max ? String(e.min) : `${e.min}–${e.max}`,
    counter: counter.get(e.status) ?? 0,
    histogram: histCount.get(e.status) ?? 0,
  }));
  const base = { tenant: exp.tenant, arrived, byStatus };
  const delta = isDelta(kind);
  const sent = `${kind.temporality} ${kind.histogram}`;

  if (counter.size === 0 && histCount.size === 0 && vmrange.size === 0) {
    if (delta) {
      const drops = deltaDropLine(opts.drops);
      return {
        ...base,
        outcome: 'missing',
        how: `delta sums and histograms not stored: no series of the run in tenant "${exp.tenant}"${drops ? `; ${drops}` : ''}`,
        hop: 'a hop that drops delta: VictoriaMetrics skips it and answers the export with success; Alloy\'s otelcol.exporter.prometheus drops it; Cortex without -distributor.otlp.allow-delta-temporality skips each delta metric ("invalid temporality and type combination") and answers 400 only when nothing else of the export converted (the SDK then counts a failed export), else success',
        fixes: DELTA_FIXES,
      };
    }
    return { ...base, outcome: 'missing', how: `no series of the run in tenant "${exp.tenant}" (${sent})` };
  }
  if (histCount.size === 0 && vmrange.size === 0) {
    const discarded = kind.histogram === 'exponential' ? nativeDropLine(opts.drops, exp.tenant) : undefined;
    return {
      ...base,
      outcome: 'missing',
      how:
        kind.histogram === 'exponential'
          ? `the exponential histogram was not stored (the counter was): a hop ignored the native histogram, without an error${discarded ? `; ${discarded}` : ''}`
          : 'the duration histogram was not stored (the counter was)',
      ...(kind.histogram === 'exponential'
        ? { hop: 'the backend or remote write, with native histograms off', fixes: NATIVE_FIXES }
        : {}),
    };
  }
  const wrong: string[] = [];
  const lingering: string[] = [];
  for (const e of exp.byStatus) {
    const c = counter.get(e.status) ?? 0;
    const h = histCount.get(e.status) ?? 0;
    const expected = e.min === e.max ? String(e.min) : `${e.min}–${e.max}`;
    if (c < e.min || c > e.max) wrong.push(`status ${e.status}: counter ${c}, expected ${expected}`);
    if (h < e.min || h > e.max) wrong.push(`status ${e.status}: histogram count ${h}, expected ${expected}`);
    // An exponential histogram's scale only goes down as its values spread: VictoriaMetrics keeps the
    // vmrange series of an earlier export's finer buckets beside the newest ones (no staleness for
    // OTLP), so over the query window the buckets can hold more than _count, never fewer.
    const held = vmrange.get(e.status) ?? 0;
    if (arrived === 'vmrange' && held < h)
      wrong.push(`status ${e.status}: vmrange buckets hold ${held}, _count ${h}`);
    else if (arrived === 'vmrange' && held > h)
      lingering.push(`status ${e.status}: ${held} in vmrange buckets, _count ${h}`);
  }
  if (wrong.length > 0) {
    return {
      ...base,
      outcome: 'missing',
      how: `counts wrong (${sent}${delta ? ', deltas summed over the run' : ''}): ${wrong.join('; ')}`,
      ...(delta
        ? {
            hop: 'a delta stream summed wrong: a hop that converted it to cumulative (then the sum of samples over-counts) or lost an export',
          }
        : {}),
    };
  }
  const formChange = changeOf(kind, arrived);
  const converted = delta && opts.deltaConverted === true;
  const stored = converted
    ? `delta arrived as ${CHANGE_TEXT['delta-to-cumulative'].how}, counts exact`
    : delta
      ? 'raw deltas, summed over the run (sum_over_time)'
      : 'cumulative';
  if (!formChange && !converted) {
    const form = arrived === 'native' ? 'a native histogram' : 'classic le buckets';
    return { ...base, outcome: 'exact', how: `arrived as sent: ${form}, ${stored}, counts exact` };
  }
  // Both can change (delta converted, then exponential turned into vmrange): the form's is named, both are said.
  const changes = [
    ...(formChange ? [formChange] : []),
    ...(converted ? ['delta-to-cumulative' as const] : []),
  ];
  const change = changes[0]!;
  const accepted = changes.every((c) => opts.acceptChanges?.includes(c) ?? false);
  return {
    ...base,
    outcome: 'changed',
    change,
    ...(changes.length > 1 ? { changes } : {}),
    accepted,
    how: formChange
      ? `${kind.histogram} histogram arrived as ${CHANGE_TEXT[formChange].how}; ${stored}${lingering.length > 0 ? `; vmrange buckets of earlier exports at a finer scale still listed (${lingering.join('; ')})` : ''}`
      : stored,
    hop: changes.map((c) => CHANGE_TEXT[c].hop).join('; '),
    ...(formChange === 'vmrange-buckets' || formChange === 'classic-buckets' ? { fixes: NATIVE_FIXES } : {}),
    ...(converted && !formChange
      ? {
          fixes: ['store raw deltas (Mimir otel_native_delta_ingestion), or accept it: the counts are exact'],
        }
      : {}),
  };
}

function changeOf(kind: SentKind, arrived: HistogramForm): KindChange | undefined {
  if (arrived === 'vmrange') return 'vmrange-buckets';
  if (kind.histogram === 'exponential') return arrived === 'classic' ? 'classic-buckets' : undefined;
  return arrived === 'native' ? 'native-custom-buckets' : undefined;
}
