import type { SeriesBaseline, ServiceProfile, ServiceSnapshot } from '../../manifest/service.js';
import type { PromClient, SeriesPoints } from '../prom-client.js';

/** How far back the snapshot looks for each series' last sample (Prometheus' default lookback). */
export const SNAPSHOT_LOOKBACK_MS = 5 * 60_000;

/** A tenant as the manifest names it (null = sent without a tenant header) → as the profile tells it. */
export function serviceTenant(profile: ServiceProfile, clientId: string | null): string {
  return 'fixed' in profile.tenant ? profile.tenant.fixed : (clientId ?? '');
}

/** The series of one tenant: the profile's matchers, plus the tenant label when the profile has one. */
function selector(profile: ServiceProfile, metric: string, tenant: string): string {
  const matchers: Record<string, string> = { ...profile.matchers };
  if ('label' in profile.tenant) matchers[profile.tenant.label] = tenant;
  const parts = Object.entries(matchers).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${metric}{${parts.join(',')}}`;
}

/** The stored series whose increase counts requests: the histogram's count, and the counter if any. */
export function countedMetrics(profile: ServiceProfile): { histogram: string; counter?: string } {
  return {
    histogram: profile.histogram === 'native' ? profile.metric : `${profile.metric}_count`,
    ...(profile.requestCounter ? { counter: profile.requestCounter } : {}),
  };
}

/** The raw samples of a tenant's series of `metric` in (atMs − rangeMs, atMs]. */
async function rawSamples(
  client: PromClient,
  profile: ServiceProfile,
  metric: string,
  tenant: string,
  atMs: number,
  rangeMs: number,
  signal?: AbortSignal,
): Promise<SeriesPoints[]> {
  const seconds = Math.max(1, Math.ceil(rangeMs / 1000));
  const sel = selector(profile, metric, tenant);
  // A native histogram's count is a function of each sample, not a float series: resampled at 1 s.
  const promql =
    metric === profile.metric && profile.histogram === 'native'
      ? `histogram_count(${sel})[${seconds}s:1s]`
      : `${sel}[${seconds}s]`;
  return client.queryMatrix(promql, tenant, { signal, atMs });
}

const identity = (name: string, labels: Record<string, string>) =>
  `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;

/** Every series' last sample at `atMs` (within the lookback), for each tenant. */
export async function takeServiceSnapshot(
  client: PromClient,
  profile: ServiceProfile,
  tenants: string[],
  atMs: number,
  signal?: AbortSignal,
): Promise<ServiceSnapshot> {
  const metrics = Object.values(countedMetrics(profile));
  const out: ServiceSnapshot = { atMs, tenants: [] };
  for (const tenant of [...new Set(tenants)]) {
    const series: SeriesBaseline[] = [];
    for (const metric of metrics) {
      for (const s of await rawSamples(client, profile, metric, tenant, atMs, SNAPSHOT_LOOKBACK_MS, signal)) {
        const last = s.points.filter((p) => Number.isFinite(p.value)).at(-1);
        if (last)
          series.push({ name: s.name || metric, labels: s.labels, atMs: last.atMs, value: last.value });
      }
    }
    out.tenants.push({ tenant, series });
  }
  return out;
}

/**
 * Counted since `from` (value at its time): the sum of positive steps; a drop is a reset, after
 * which the new value itself was counted. Non-finite samples (staleness) are skipped.
 */
export function increaseSince(
  from: { atMs: number; value: number } | undefined,
  points: SeriesPoints['points'],
): number {
  let prev = from?.value ?? 0;
  let total = 0;
  for (const p of points) {
    if (from && p.atMs <= from.atMs) continue;
    if (!Number.isFinite(p.value)) continue;
    total += p.value >= prev ? p.value - prev : p.value;
    prev = p.value;
  }
  return total;
}

/** Requests counted since the snapshot, per status, for one tenant and one stored metric. */
export async function countsSince(
  client: PromClient,
  profile: ServiceProfile,
  metric: string,
  snapshot: ServiceSnapshot,
  tenant: string,
  atMs: number,
  signal?: AbortSignal,
): Promise<Map<string, number>> {
  const base = snapshot.tenants.find((t) => t.tenant === tenant)?.series ?? [];
  const baseline = new Map(base.map((b) => [identity(b.name, b.labels), b]));
  const oldest = Math.min(snapshot.atMs, ...base.map((b) => b.atMs));
  const series = await rawSamples(client, profile, metric, tenant, atMs, atMs - oldest + 1000, signal);
  const byStatus = new Map<string, number>();
  for (const s of series) {
    const from = baseline.get(identity(s.name || metric, s.labels));
    // A series absent from the snapshot: only its samples after the snapshot count, from 0.
    const points = from ? s.points : s.points.filter((p) => p.atMs > snapshot.atMs);
    const n = increaseSince(from, points);
    const status = s.labels[profile.labels.status] ?? '';
    byStatus.set(status, (byStatus.get(status) ?? 0) + n);
  }
  return byStatus;
}
