/**
 * 7. series budget — proves the run made exactly the series it should: per client_id and status,
 * the counter, _count, _sum and one _bucket per bound (bounds compared as numbers: "1.0" is "1"),
 * each once. Fails on a missing series, an extra one (a status never sent), or one series split in
 * several by a label (a pipeline adding a per-pod label; per-process labels are allowed across shards).
 */
import { PROM } from '../../telemetry/names.js';
import { NO_CLIENT_ID, type TenantExpectation } from '../expectations.js';
import { histogramFormOf, isVmrangeBucket } from '../kinds/forms.js';
import type { CheckResult, Sample, TenantView } from '../types.js';
import {
  clientIdOf,
  formatLe,
  L,
  LE_VALUES,
  ownSamples,
  parseLe,
  resultOf,
  seriesId,
  type TenantContext,
} from './samples.js';

/** Labels that legitimately differ per process (several servers for the shards of one run). */
const PER_PROCESS_LABELS = new Set(['instance', 'service_instance_id', 'job']);

export function series(exp: TenantExpectation, view: TenantView, ctx: TenantContext): CheckResult {
  // VictoriaMetrics' vmrange buckets (an exponential histogram it converted) are not a budget of
  // fixed bounds: the kind check counts them. A native histogram has no buckets as series at all.
  const own = ownSamples(exp, view).filter((s) => !isVmrangeBucket(s));
  const form = histogramFormOf(ownSamples(exp, view));
  const leValues = form === 'classic' || form === 'none' ? LE_VALUES : [];
  const required = new Set<string>();
  const optional = new Set<string>();
  // No status: a request the server recorded as cut before it answered (serve's error.type aborted).
  const perStatus = (clientId: string, status: number | undefined) => {
    const base: Record<string, string> = status === undefined ? {} : { [L.statusCode]: String(status) };
    if (clientId !== NO_CLIENT_ID) base[L.clientId] = clientId;
    return [
      seriesId(PROM.requestTotal, base),
      seriesId(PROM.durationCount, base),
      seriesId(PROM.durationSum, base),
      ...leValues.map((le) => seriesId(PROM.durationBucket, { ...base, [L.le]: le })),
    ];
  };
  for (const c of exp.clientIds) {
    for (const e of exp.byStatus) for (const id of perStatus(c, e.status)) required.add(id);
  }
  const seen = new Map<string, Sample[]>();
  for (const s of own) {
    const labels = pick(s.labels, [L.clientId, L.statusCode, L.le]);
    const le = labels[L.le];
    if (le !== undefined) labels[L.le] = formatLe(parseLe(le));
    const id = seriesId(s.name, labels);
    seen.set(id, [...(seen.get(id) ?? []), s]);
  }
  if (exp.unanswered > 0) {
    // Unanswered requests may have been recorded under any status: accept the series of statuses seen.
    for (const s of own) {
      const raw = s.labels[L.statusCode];
      const status = raw === undefined ? undefined : Number(raw);
      if (status === undefined || Number.isInteger(status))
        for (const id of perStatus(clientIdOf(s), status)) optional.add(id);
    }
  }
  const problems: string[] = [];
  const missing = [...required].filter((id) => !seen.has(id));
  const extra = [...seen.keys()].filter((id) => !required.has(id) && !optional.has(id));
  for (const id of missing.slice(0, 10)) problems.push(`missing series ${id}`);
  if (missing.length > 10) problems.push(`… and ${missing.length - 10} more missing series`);
  for (const id of extra.slice(0, 10)) problems.push(`extra series ${id}`);
  if (extra.length > 10) problems.push(`… and ${extra.length - 10} more extra series`);
  let splits = 0;
  for (const [id, list] of seen) {
    if (list.length < 2) continue;
    const differing = differingLabels(list).filter(
      (l) => !(ctx.splitByProcessAllowed && PER_PROCESS_LABELS.has(l)),
    );
    if (differing.length === 0) continue;
    splits++;
    if (splits <= 10) {
      problems.push(
        `${list.length} series where one was expected: ${id} is split by ${differing.map((l) => `${l} (${[...new Set(list.map((s) => s.labels[l] ?? '<none>'))].join(', ')})`).join(', ')}`,
      );
    }
  }
  const total = [...seen.values()].reduce((a, l) => a + l.length, 0);
  const rest = `${missing.length ? `, ${missing.length} missing` : ''}${extra.length ? `, ${extra.length} extra` : ''}${splits ? `, ${splits} split` : ''}`;
  if (ctx.splitByProcessAllowed) {
    // Shards: every shard process reports its own copy of a series (they differ by per-process
    // labels only), so the budget is of distinct series; the copies are named, not counted against it.
    const processes = new Set(own.map(processOf)).size;
    return resultOf(exp, 'series', {
      expected: `${required.size} series (each counted once across the shard processes)`,
      found: `${seen.size} series${total !== seen.size ? `, as ${total} from ${processes} shard processes` : ''}${rest}`,
      problems,
    });
  }
  return resultOf(exp, 'series', {
    expected: `${required.size} series`,
    found: `${total} series${rest}`,
    problems,
    // None required and none there: a budget of 0 met by 0 series proves nothing.
    noData: total === 0 && required.size === 0,
  });
}

/** Which process reported a sample: its per-process labels. */
function processOf(s: Sample): string {
  return [...PER_PROCESS_LABELS]
    .sort()
    .map((l) => s.labels[l] ?? '')
    .join('\u0000');
}

function differingLabels(list: Sample[]): string[] {
  const keys = new Set(list.flatMap((s) => Object.keys(s.labels)));
  return [...keys].filter((k) => new Set(list.map((s) => s.labels[k])).size > 1).sort();
}

function pick(labels: Readonly<Record<string, string>>, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = labels[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
