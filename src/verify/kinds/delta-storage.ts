/**
 * How a backend stored a delta run's sums and histograms, told from what it holds. A backend that
 * stores raw deltas (Mimir's otel_native_delta_ingestion, Cortex's allow-delta-temporality) holds
 * one increase per export: the run's total is their sum (sum_over_time). A pipeline that converted
 * the deltas to cumulative on the way (Alloy's otelcol.processor.deltatocumulative) stores running
 * totals: their sum over-counts and the newest sample is the total (last_over_time). Verify reads
 * both for a delta run (prometheus-source.ts attaches the newest value to each summed sample as
 * `newest`) and decides per tenant: the sums exact → raw; else the newest exact → converted, and the
 * tenant's samples are read as cumulative (counts exact, the form changed); else neither, the sums
 * stay (the counts are wrong). A series with one sample reads the same either way (raw, exact).
 * Native histograms are read as summed only (no newest is attached to them).
 */
import { PROM } from '../../telemetry/names.js';
import { clientIdOf } from '../checks/samples.js';
import type { RunExpectation, TenantExpectation } from '../expectations.js';
import type { Observation, Sample } from '../types.js';
import { isCounterDelta, type SentKind } from './kind.js';

export type DeltaStorage = 'raw' | 'cumulative';

const COUNTED = new Set<string>([PROM.requestTotal, PROM.durationCount]);

/** Whether the counter and the histogram's count per status, read by `value`, are the expectation's. */
function countsMatch(
  exp: TenantExpectation,
  own: readonly Sample[],
  value: (s: Sample) => number | undefined,
) {
  for (const name of COUNTED) {
    const byStatus = new Map<number, number>();
    for (const s of own) {
      if (s.name !== name) continue;
      const v = value(s);
      if (v === undefined) return false;
      const status = Number(s.labels[PROM.labels.statusCode]);
      byStatus.set(status, (byStatus.get(status) ?? 0) + v);
    }
    if (byStatus.size === 0) return false;
    for (const e of exp.byStatus) {
      const n = byStatus.get(e.status) ?? 0;
      if (n < e.min || n > e.max) return false;
    }
  }
  return true;
}

/** One tenant's storage of a delta run, or undefined when neither reading gives its counts. */
export function deltaStorageOf(exp: TenantExpectation, own: readonly Sample[]): DeltaStorage | undefined {
  if (countsMatch(exp, own, (s) => s.value)) return 'raw';
  if (own.some((s) => s.newest !== undefined) && countsMatch(exp, own, (s) => s.newest)) return 'cumulative';
  return undefined;
}

/** The observation with each sample `s` for which `pick(s)` holds read as its newest value. */
function readNewest(observation: Observation, pick: (s: Sample) => boolean): Observation {
  const read = (samples: Sample[]) =>
    samples.map((s) => (s.newest !== undefined && pick(s) ? { ...s, value: s.newest } : s));
  return observation.isolated
    ? { isolated: true, views: observation.views.map((v) => ({ ...v, samples: read(v.samples) })) }
    : { isolated: false, all: read(observation.all) };
}

/**
 * The observation of a delta run with each converted tenant's samples read as cumulative (their
 * newest value), and the tenants found converted.
 */
export function readDeltaStorage(
  expectation: RunExpectation,
  sent: Observation,
  kind?: SentKind,
): { observation: Observation; converted: string[] } {
  // A counter sent cumulative in a delta run (lowmemory's ObservableCounter): its newest is its total.
  const observation =
    kind && !isCounterDelta(kind) ? readNewest(sent, (s) => s.name === PROM.requestTotal) : sent;
  const all = observation.isolated ? observation.views.flatMap((v) => v.samples) : observation.all;
  const own = (exp: TenantExpectation, samples: readonly Sample[]) =>
    samples.filter((s) => exp.clientIds.includes(clientIdOf(s)));
  const converted = expectation.tenants.filter((exp) => {
    const samples = observation.isolated
      ? own(exp, observation.views.find((v) => v.tenant === exp.tenant)?.samples ?? [])
      : own(exp, all);
    return exp.received > 0 && deltaStorageOf(exp, samples) === 'cumulative';
  });
  if (converted.length === 0) return { observation, converted: [] };
  const ids = new Set(converted.flatMap((e) => e.clientIds));
  return {
    observation: readNewest(observation, (s) => ids.has(clientIdOf(s))),
    converted: converted.map((e) => e.tenant),
  };
}
