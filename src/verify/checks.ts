/**
 * The seven checks of `otelpoc verify`, as pure functions of what was sent (the manifest's
 * expectation) and what the backend shows (samples per tenant). No I/O, no clock: the poller calls
 * these on every poll, and the unit tests call them on hand-built samples.
 */
import { DURATION_BUCKETS_S, PROM } from '../telemetry/names.js';
import { NO_CLIENT_ID, type RunExpectation, type TenantExpectation } from './expectations.js';
import type { CheckId, CheckResult, Observation, Sample, TenantView } from './types.js';

export interface CheckInput {
  expectation: RunExpectation;
  observation: Observation;
  /** Per tenant, counter series whose value went down between polls (see SeriesHistory). */
  decreases?: ReadonlyMap<string, readonly string[]>;
}

/** Tenant name of the pseudo-row that reports series of this run that belong to no manifest tenant. */
export const UNCLAIMED_TENANT = '(not in manifest)';

const L = PROM.labels;
const EXPECTED_NAMES = [
  PROM.requestTotal,
  PROM.durationBucket,
  PROM.durationSum,
  PROM.durationCount,
] as const;
const HISTOGRAM_NAMES = new Set<string>([PROM.durationBucket, PROM.durationSum, PROM.durationCount]);
/** Labels that legitimately differ per process (several servers for the shards of one run). */
const PER_PROCESS_LABELS = new Set(['instance', 'service_instance_id', 'job']);
const LE_VALUES = [...DURATION_BUCKETS_S.map(formatLe), '+Inf'];

export function clientIdOf(s: Sample): string {
  return s.labels[L.clientId] ?? NO_CLIENT_ID;
}

export function runChecks(input: CheckInput): CheckResult[] {
  const { expectation, observation } = input;
  const results: CheckResult[] = [];
  let views: TenantView[];
  if (observation.isolated) {
    views = observation.views;
  } else {
    // One store holds every tenant: a tenant's view is the series with its client_id values.
    const owner = new Map<string, string>();
    for (const t of expectation.tenants) for (const c of t.clientIds) owner.set(c, t.tenant);
    views = expectation.tenants.map((t) => ({
      tenant: t.tenant,
      samples: observation.all.filter((s) => owner.get(clientIdOf(s)) === t.tenant),
    }));
    const unclaimed = observation.all.filter((s) => !owner.has(clientIdOf(s)));
    if (unclaimed.length > 0) {
      results.push({
        tenant: UNCLAIMED_TENANT,
        check: 'isolation',
        ok: false,
        expected: 'only the manifest tenants',
        found: describeClientIds(unclaimed),
        problems: [
          `${unclaimed.length} series of run "${expectation.runId}" carry client_id values the manifest never sent: ${describeClientIds(unclaimed)}`,
        ],
      });
    }
  }
  const manifestClientIds = new Set(expectation.tenants.flatMap((t) => t.clientIds));
  for (const exp of expectation.tenants) {
    const view = views.find((v) => v.tenant === exp.tenant) ?? { tenant: exp.tenant, samples: [] };
    results.push(
      ...checkTenant(exp, view, {
        runId: expectation.runId,
        isolated: observation.isolated,
        timeoutMs: expectation.timeoutMs,
        splitByProcessAllowed: expectation.shards > 1,
        decreases: input.decreases?.get(exp.tenant) ?? [],
        manifestClientIds,
      }),
    );
  }
  if (observation.isolated) {
    const own = new Set(expectation.tenants.map((t) => t.tenant));
    for (const view of views) {
      if (!own.has(view.tenant)) results.push(strayTenant(view, expectation.runId));
    }
  }
  return results;
}

/**
 * A tenant the manifest sent nothing to (the default tenant, one listed by the backend or named with
 * --also-tenants): any series of the run there is data that went astray, e.g. requests with a
 * Client-ID the manifest does not know, or without one when the manifest has no anonymous share.
 */
function strayTenant(view: TenantView, runId: string): CheckResult {
  const base = { tenant: view.tenant, check: 'isolation' as const, expected: 'nothing of this run' };
  if (view.error !== undefined) {
    // The backend does not know the tenant (vmauth: no route): nothing can have gone there.
    return { ...base, ok: true, found: 'tenant unknown to the backend', problems: [] };
  }
  if (view.samples.length === 0) return { ...base, ok: true, found: 'none', problems: [] };
  return {
    ...base,
    ok: false,
    found: describeClientIds(view.samples),
    problems: [
      `${view.samples.length} series of run "${runId}" with ${describeClientIds(view.samples)} went to tenant "${view.tenant}", which the manifest sent nothing to: requests outside the manifest carry this run id`,
    ],
  };
}

interface TenantContext {
  runId: string;
  isolated: boolean;
  timeoutMs: number;
  splitByProcessAllowed: boolean;
  decreases: readonly string[];
  /** Every client_id the manifest sent (all tenants): a foreign one outside it was never sent by the run. */
  manifestClientIds?: ReadonlySet<string>;
}

export function checkTenant(exp: TenantExpectation, view: TenantView, ctx: TenantContext): CheckResult[] {
  if (view.error !== undefined && exp.received + exp.unanswered === 0) {
    // Nothing of this tenant reached the server (all refused or dropped): the backend need not know it.
    return checkTenant(exp, { tenant: view.tenant, samples: [] }, ctx);
  }
  if (view.error !== undefined) {
    const problem = `the backend did not answer for tenant "${exp.tenant}": ${view.error}`;
    return (['presence', 'counts', 'histogram', 'latency', 'isolation', 'names', 'series'] as const).map(
      (check) => ({
        tenant: exp.tenant,
        check,
        ok: false,
        expected: check === 'isolation' ? 'the tenant exists' : '-',
        found: 'tenant unavailable',
        problems: [problem],
      }),
    );
  }
  const own = view.samples.filter((s) => exp.clientIds.includes(clientIdOf(s)));
  const foreign = view.samples.filter((s) => !exp.clientIds.includes(clientIdOf(s)));
  const result = (check: CheckId, r: Omit<CheckResult, 'tenant' | 'check' | 'ok'>): CheckResult => ({
    tenant: exp.tenant,
    check,
    ok: r.problems.length === 0,
    ...r,
  });
  return [
    result('presence', presence(exp, own, ctx.runId)),
    result('counts', counts(exp, own)),
    result('histogram', histogram(own)),
    result('latency', latency(exp, own, ctx.timeoutMs)),
    result('isolation', isolation(exp, foreign, ctx)),
    result('names', names(exp, view.samples, ctx.decreases)),
    result('series', seriesBudget(exp, own, ctx.splitByProcessAllowed)),
  ];
}

type Outcome = Omit<CheckResult, 'tenant' | 'check' | 'ok'>;

// 1. presence ------------------------------------------------------------------------------------

function presence(exp: TenantExpectation, own: Sample[], runId: string): Outcome {
  const mayBeEmpty = exp.received === 0;
  const found = EXPECTED_NAMES.filter((n) => own.some((s) => s.name === n));
  if (mayBeEmpty) {
    return {
      expected: 'none (no request reached the server)',
      found: found.length ? found.join(', ') : 'none',
      problems: [],
    };
  }
  const missing = EXPECTED_NAMES.filter((n) => !found.includes(n));
  const problems =
    own.length === 0
      ? [
          `no series of run "${runId}" in tenant "${exp.tenant}": its data never arrived (or has not yet), or went to another tenant`,
        ]
      : missing.map((n) => `${n}{${L.runId}="${runId}"} is missing`);
  return {
    expected: `${EXPECTED_NAMES.length} metrics`,
    found: own.length === 0 ? 'none' : `${found.length} of ${EXPECTED_NAMES.length}`,
    problems,
  };
}

// 2. exact counts --------------------------------------------------------------------------------

function counts(exp: TenantExpectation, own: Sample[]): Outcome {
  const byStatus = sumByStatus(own.filter((s) => s.name === PROM.requestTotal));
  const problems: string[] = [];
  for (const e of exp.byStatus) {
    const n = byStatus.get(e.status) ?? 0;
    if (n < e.min || n > e.max) {
      problems.push(
        `status ${e.status}: ${fmtNumber(n)} request(s) recorded, expected ${fmtRange(e.min, e.max)}${n > e.max ? ' (more than were sent: requests outside the manifest carry this run id?)' : ''}`,
      );
    }
  }
  for (const [status, n] of byStatus) {
    if (exp.byStatus.some((e) => e.status === status) || n === 0) continue;
    if (n <= exp.unanswered) continue; // an unanswered request may have been recorded with any status
    problems.push(`status ${status}: ${fmtNumber(n)} request(s) recorded, expected none`);
  }
  const total = [...byStatus.values()].reduce((a, b) => a + b, 0);
  const maxTotal = exp.received + exp.unanswered;
  if (problems.length === 0 && (total < exp.received || total > maxTotal)) {
    problems.push(
      `${fmtNumber(total)} request(s) recorded in all, expected ${fmtRange(exp.received, maxTotal)}`,
    );
  }
  const expectedText =
    exp.byStatus.map((e) => `${e.status}:${fmtRange(e.min, e.max)}`).join(' ') || 'no requests';
  const foundText =
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s}:${fmtNumber(n)}`)
      .join(' ') || 'none';
  return {
    expected: exp.unanswered > 0 ? `${expectedText} (${exp.unanswered} unanswered)` : expectedText,
    found: foundText,
    problems,
  };
}

function sumByStatus(samples: Sample[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    const status = Number(s.labels[L.statusCode]);
    out.set(status, (out.get(status) ?? 0) + s.value);
  }
  return out;
}

// 3. histogram integrity -------------------------------------------------------------------------

interface HistogramSeries {
  key: string;
  count?: number;
  sum?: number;
  buckets: { le: number; leText: string; value: number }[];
}

function histogramsOf(own: Sample[]): Map<string, HistogramSeries> {
  const out = new Map<string, HistogramSeries>();
  for (const s of own) {
    if (!HISTOGRAM_NAMES.has(s.name)) continue;
    const key = labelKey(s.labels, [L.le]);
    let h = out.get(key);
    if (!h) {
      h = { key, buckets: [] };
      out.set(key, h);
    }
    if (s.name === PROM.durationCount) h.count = s.value;
    else if (s.name === PROM.durationSum) h.sum = s.value;
    else {
      const leText = s.labels[L.le] ?? '';
      h.buckets.push({ le: parseLe(leText), leText, value: s.value });
    }
  }
  for (const h of out.values()) h.buckets.sort((a, b) => a.le - b.le);
  return out;
}

function histogram(own: Sample[]): Outcome {
  const hists = histogramsOf(own);
  const counters = new Map<string, number>();
  for (const s of own) if (s.name === PROM.requestTotal) counters.set(labelKey(s.labels, []), s.value);
  const problems: string[] = [];
  for (const h of hists.values()) {
    const where = `{${h.key}}`;
    if (h.count === undefined) problems.push(`${PROM.durationCount}${where} is missing`);
    if (h.sum === undefined) problems.push(`${PROM.durationSum}${where} is missing`);
    const counter = counters.get(h.key);
    if (h.count !== undefined && counter !== undefined && h.count !== counter) {
      problems.push(
        `${PROM.durationCount}${where} is ${fmtNumber(h.count)} but ${PROM.requestTotal} is ${fmtNumber(counter)}`,
      );
    }
    if (h.count !== undefined && counter === undefined) {
      problems.push(`${PROM.requestTotal}${where} is missing (the histogram counted ${fmtNumber(h.count)})`);
    }
    for (let i = 1; i < h.buckets.length; i++) {
      const a = h.buckets[i - 1]!;
      const b = h.buckets[i]!;
      if (b.value < a.value) {
        problems.push(
          `buckets of ${where} are not cumulative: le="${b.leText}" is ${fmtNumber(b.value)} < le="${a.leText}" ${fmtNumber(a.value)}`,
        );
      }
    }
    const inf = h.buckets.find((b) => b.le === Number.POSITIVE_INFINITY);
    if (h.buckets.length > 0 && !inf) problems.push(`${PROM.durationBucket}${where} has no le="+Inf" bucket`);
    if (inf && h.count !== undefined && inf.value !== h.count) {
      problems.push(
        `le="+Inf" bucket of ${where} is ${fmtNumber(inf.value)} but ${PROM.durationCount} is ${fmtNumber(h.count)}`,
      );
    }
  }
  for (const [key, value] of counters) {
    if (!hists.has(key)) problems.push(`no histogram for ${PROM.requestTotal}{${key}} (${fmtNumber(value)})`);
  }
  return {
    expected: '_count = counter, cumulative buckets, +Inf = _count',
    found: problems.length === 0 ? `${hists.size} histogram(s) consistent` : `${problems.length} problem(s)`,
    problems,
  };
}

// 4. latency agreement ---------------------------------------------------------------------------

function latency(exp: TenantExpectation, own: Sample[], timeoutMs: number): Outcome {
  const hists = [...histogramsOf(own).values()];
  const serverSumMs = hists.reduce((a, h) => a + (h.sum ?? 0) * 1000, 0);
  const serverCount = hists.reduce((a, h) => a + (h.count ?? 0), 0);
  // Server time (request in → response done) is inside the client's (send → response). Allow 1 ms
  // per request for timer granularity, and a full timeout for each request the client gave up on.
  const allowedSumMs = exp.latencySumMs + exp.unanswered * timeoutMs + serverCount * 1 + 5;
  const problems: string[] = [];
  if (serverCount > 0 && serverSumMs > allowedSumMs) {
    problems.push(
      `the server measured ${fmtMs(serverSumMs)} in all, more than the ${fmtMs(exp.latencySumMs)} the client waited${exp.unanswered ? ` (+ ${exp.unanswered} × ${fmtMs(timeoutMs)} timeouts)` : ''}: the histogram cannot be of these requests`,
    );
  }
  if (exp.unanswered === 0 && serverCount > 0) {
    // Every request's server time ≤ the client's longest: all of them sit in the first bucket whose
    // bound is at least that (or +Inf when the longest exceeds the last bound).
    const maxS = (exp.latencyMaxMs + 1) / 1000;
    for (const h of hists) {
      const bucket = h.buckets.find((b) => b.le >= maxS);
      if (bucket && h.count !== undefined && bucket.value < h.count) {
        problems.push(
          `${fmtNumber(h.count - bucket.value)} request(s) of {${h.key}} took the server longer than ${bucket.leText}s, but the client's slowest took ${fmtMs(exp.latencyMaxMs)}`,
        );
      }
    }
  }
  const clientMeanMs = exp.received > 0 ? exp.latencySumMs / exp.received : 0;
  const serverMeanMs = serverCount > 0 ? serverSumMs / serverCount : 0;
  return {
    expected: `server ≤ client (mean ${fmtMs(clientMeanMs)}, max ${fmtMs(exp.latencyMaxMs)})`,
    found: serverCount > 0 ? `server mean ${fmtMs(serverMeanMs)}` : 'no histogram',
    problems,
  };
}

// 5. isolation -----------------------------------------------------------------------------------

function isolation(exp: TenantExpectation, foreign: Sample[], ctx: TenantContext): Outcome {
  if (!ctx.isolated) {
    return {
      expected: 'no other tenant’s series',
      found: 'not testable: one store for all tenants',
      problems: [],
      skipped: true,
    };
  }
  const known = ctx.manifestClientIds;
  const leaked = known ? foreign.filter((s) => known.has(clientIdOf(s))) : foreign;
  const stray = known ? foreign.filter((s) => !known.has(clientIdOf(s))) : [];
  const problems: string[] = [];
  if (leaked.length > 0) {
    problems.push(
      `leak: ${leaked.length} series of run "${ctx.runId}" with ${describeClientIds(leaked)} are visible in tenant "${exp.tenant}"`,
    );
  }
  if (stray.length > 0) {
    problems.push(
      `${stray.length} series of run "${ctx.runId}" with ${describeClientIds(stray)}, which the manifest never sent, went to tenant "${exp.tenant}": requests outside the manifest carry this run id`,
    );
  }
  return {
    expected: `only client_id ${exp.clientIds.map(showClientId).join(', ')}`,
    found: foreign.length === 0 ? 'none foreign' : describeClientIds(foreign),
    problems,
  };
}

// 6. metric names --------------------------------------------------------------------------------

/** What a found name is, if it is one of ours under another name: the reason, for the message. */
export function diagnoseName(expected: string, found: string): string | undefined {
  if (found === expected) return undefined;
  const dotted = found.includes('.');
  const f = found.replace(/[.]/g, '_');
  const e = expected;
  const base = e.replace(/_(bucket|sum|count)$/, '');
  const part = e.slice(base.length); // "", "_bucket", "_sum", "_count"
  const why: string[] = [];
  if (dotted)
    why.push('names kept in OTel form (dots): the pipeline did not translate them to Prometheus names');
  if (f === e) return why.join('; ') || undefined;
  if (e.endsWith('_total') && f === e.slice(0, -'_total'.length)) {
    why.push(
      'the _total suffix is missing: suffixes were turned off (e.g. add_metric_suffixes = false in Alloy) or the counter was exported with delta temporality and became a gauge',
    );
  } else if (base.endsWith('_seconds') && f === base.slice(0, -'_seconds'.length) + part) {
    why.push(
      'the _seconds unit suffix is missing: suffixes were turned off (e.g. add_metric_suffixes = false in Alloy)',
    );
  } else if (f === `${e}_total` || f === `${base}_total${part}`) {
    why.push('a _total suffix was added');
  } else {
    return undefined;
  }
  return why.join('; ');
}

function names(exp: TenantExpectation, all: Sample[], decreases: readonly string[]): Outcome {
  const present = new Set(all.map((s) => s.name));
  const problems: string[] = [];
  const foundInstead: string[] = [];
  if (exp.received > 0) {
    for (const name of EXPECTED_NAMES) {
      if (present.has(name)) continue;
      for (const other of present) {
        const why = diagnoseName(name, other);
        if (why) {
          problems.push(`found ${other} instead of ${name}: ${why}`);
          foundInstead.push(other);
        }
      }
    }
  }
  for (const d of decreases) {
    problems.push(
      `${d}: a cumulative counter never decreases; the series was exported with delta temporality (otelpoc exports cumulative: check OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE and the pipeline), or the server restarted during the run`,
    );
  }
  return {
    expected: 'http_server_request_total, http_server_request_duration_seconds_*',
    found: foundInstead.length
      ? foundInstead.join(', ')
      : problems.length
        ? 'decreasing counter'
        : 'as expected',
    problems,
  };
}

// 7. series budget -------------------------------------------------------------------------------

function seriesBudget(exp: TenantExpectation, own: Sample[], splitByProcessAllowed: boolean): Outcome {
  const required = new Set<string>();
  const optional = new Set<string>();
  const perStatus = (clientId: string, status: number) => {
    const base: Record<string, string> = { [L.statusCode]: String(status) };
    if (clientId !== NO_CLIENT_ID) base[L.clientId] = clientId;
    return [
      seriesId(PROM.requestTotal, base),
      seriesId(PROM.durationCount, base),
      seriesId(PROM.durationSum, base),
      ...LE_VALUES.map((le) => seriesId(PROM.durationBucket, { ...base, [L.le]: le })),
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
      const status = Number(s.labels[L.statusCode]);
      if (Number.isInteger(status)) for (const id of perStatus(clientIdOf(s), status)) optional.add(id);
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
      (l) => !(splitByProcessAllowed && PER_PROCESS_LABELS.has(l)),
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
  return {
    expected: `${required.size} series`,
    found: `${total} series${missing.length ? `, ${missing.length} missing` : ''}${extra.length ? `, ${extra.length} extra` : ''}${splits ? `, ${splits} split` : ''}`,
    problems,
  };
}

// helpers ----------------------------------------------------------------------------------------

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

/** `name{a="1",b="2"}` with sorted labels: how series are named in messages. */
export function seriesId(name: string, labels: Readonly<Record<string, string>>): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`);
  return `${name}{${parts.join(',')}}`;
}

/** The identifying labels of a series other than `without` and per-run noise, as a stable string. */
function labelKey(labels: Readonly<Record<string, string>>, without: string[]): string {
  return Object.keys(labels)
    .filter((k) => !without.includes(k))
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(',');
}

function describeClientIds(samples: Sample[]): string {
  const ids = [...new Set(samples.map(clientIdOf))].sort();
  return ids.map((c) => `client_id=${showClientId(c)}`).join(', ');
}

function showClientId(c: string): string {
  return c === NO_CLIENT_ID ? '(none)' : `"${c}"`;
}

/** "1", "1.0" and "1e0" are the same bound: compare them as numbers, name them one way. */
function formatLe(b: number): string {
  return b === Number.POSITIVE_INFINITY ? '+Inf' : String(b);
}

function parseLe(text: string): number {
  return text === '+Inf' || text === 'Inf' ? Number.POSITIVE_INFINITY : Number(text);
}

function fmtRange(min: number, max: number): string {
  return min === max ? String(min) : `${min}–${max}`;
}

function fmtNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3);
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${ms.toFixed(1)}ms`;
}
