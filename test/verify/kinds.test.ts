/**
 * The kind check's pure parts on hand-built samples (the real backends: kinds.e2e.test.ts): each
 * outcome, and each way one goes red; the backend's dropped-rows counter; the accepted changes and
 * the manifest's kind, each refused with a one-line error naming the input.
 */
import { describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import { PROM } from '../../src/telemetry/names.js';
import { UsageError } from '../../src/util/errors.js';
import { runChecks } from '../../src/verify/checks/index.js';
import { expectationsFrom } from '../../src/verify/expectations.js';
import { assessKind, parseAcceptChanges } from '../../src/verify/kinds/assess.js';
import { defaultBackendMetricsUrl, parseDropCounters } from '../../src/verify/kinds/backend-drops.js';
import { withNativeAsSeries } from '../../src/verify/kinds/forms.js';
import { kindOfManifest, type SentKind } from '../../src/verify/kinds/kind.js';
import type { Sample } from '../../src/verify/types.js';
import { RUN, runExp, samplesFor, tenantExp } from './fixtures.js';

const exponential: SentKind = {
  protocol: 'http/protobuf',
  temporality: 'cumulative',
  histogram: 'exponential',
};
const explicit: SentKind = { protocol: 'http/protobuf', temporality: 'cumulative', histogram: 'explicit' };
const delta: SentKind = { protocol: 'http/protobuf', temporality: 'delta', histogram: 'explicit' };
const t1 = tenantExp('tenant-1', { 200: 3, 404: 1 });

/** What Cortex answers for an exponential histogram with native histograms on: one native series per status. */
function nativeSamples(byStatus: Record<number, number>): Sample[] {
  return Object.entries(byStatus).flatMap(([status, n]) => {
    const labels = { [PROM.labels.runId]: RUN, [PROM.labels.statusCode]: status, client_id: 'tenant-1' };
    return [
      { name: PROM.requestTotal, labels, value: n },
      { name: PROM.durationNative, labels, value: n, histogram: { count: n, sum: n * 0.01, buckets: 1 } },
    ];
  });
}

/** What VictoriaMetrics holds for one: vmrange buckets, _count and _sum. */
function vmrangeSamples(byStatus: Record<number, number>, bucketShortBy = 0): Sample[] {
  return Object.entries(byStatus).flatMap(([status, n]) => {
    const labels = { [PROM.labels.runId]: RUN, [PROM.labels.statusCode]: status, client_id: 'tenant-1' };
    return [
      { name: PROM.requestTotal, labels, value: n },
      { name: PROM.durationCount, labels, value: n },
      { name: PROM.durationSum, labels, value: n * 0.01 },
      {
        name: PROM.durationBucket,
        labels: { ...labels, vmrange: '9.5e-03...1.0e-02' },
        value: n - bucketShortBy,
      },
    ];
  });
}

describe('assessKind', () => {
  it('exponential as a native histogram: exact; one request short: missing, naming the status', () => {
    const own = withNativeAsSeries(nativeSamples({ 200: 3, 404: 1 }));
    expect(assessKind(t1, own, exponential)).toMatchObject({ outcome: 'exact', arrived: 'native' });
    const short = withNativeAsSeries(
      nativeSamples({ 200: 2, 404: 1 }).filter((s) => s.name !== PROM.requestTotal),
    );
    const v = assessKind(
      t1,
      [...short, ...nativeSamples({ 200: 3, 404: 1 }).filter((s) => s.name === PROM.requestTotal)],
      exponential,
    );
    expect(v).toMatchObject({ outcome: 'missing' });
    expect(v!.how).toMatch(/status 200: histogram count 2, expected 3/);
  });

  it('vmrange: changed, accepted only by name; buckets that do not add up to _count: missing', () => {
    expect(assessKind(t1, vmrangeSamples({ 200: 3, 404: 1 }), exponential)).toMatchObject({
      outcome: 'changed',
      change: 'vmrange-buckets',
      accepted: false,
    });
    expect(
      assessKind(t1, vmrangeSamples({ 200: 3, 404: 1 }), exponential, { acceptChanges: ['vmrange-buckets'] }),
    ).toMatchObject({ outcome: 'changed', accepted: true });
    const v = assessKind(t1, vmrangeSamples({ 200: 3, 404: 1 }, 1), exponential);
    expect(v!.outcome).toBe('missing');
    expect(v!.how).toMatch(/status 200: vmrange buckets hold 2, _count 3/);
  });

  it('vmrange buckets holding more than _count (an earlier export at a finer scale still listed): changed, saying so', () => {
    const v = assessKind(t1, vmrangeSamples({ 200: 3, 404: 1 }, -2), exponential);
    expect(v).toMatchObject({ outcome: 'changed', change: 'vmrange-buckets' });
    expect(v!.how).toMatch(
      /earlier exports at a finer scale still listed \(status 200: 5 in vmrange buckets, _count 3/,
    );
  });

  it('explicit as le buckets: exact; exponential as le buckets: changed (classic-buckets)', () => {
    const own = samplesFor('tenant-1', { 200: 3, 404: 1 });
    expect(assessKind(t1, own, explicit)!.outcome).toBe('exact');
    expect(assessKind(t1, own, exponential)).toMatchObject({ outcome: 'changed', change: 'classic-buckets' });
  });

  it('delta with nothing stored: missing, "not stored", naming the backend counter when read', () => {
    const v = assessKind(t1, [], delta, {
      drops: [{ name: 'vm_protoparser_rows_dropped_total', reason: 'unsupported_sum_aggregation', value: 6 }],
    });
    expect(v!.outcome).toBe('missing');
    expect(v!.how).toMatch(
      /^delta sums and histograms not stored: .*vm_protoparser_rows_dropped_total\{reason="unsupported_sum_aggregation"\} = 6/,
    );
    expect(assessKind(t1, [], delta)!.how).not.toMatch(/vm_protoparser/);
    expect(assessKind(t1, [], explicit)!.how).not.toMatch(/delta/);
  });

  it("exponential not stored: missing, naming Cortex's discarded native samples of that tenant only", () => {
    const counters = samplesFor('tenant-1', { 200: 3, 404: 1 }).filter((s) => s.name === PROM.requestTotal);
    const discarded = (tenant: string) => ({
      name: 'cortex_discarded_samples_total',
      reason: 'native-histogram-sample',
      tenant,
      value: 8,
    });
    const v = assessKind(t1, counters, exponential, { drops: [discarded('tenant-1')] });
    expect(v).toMatchObject({ outcome: 'missing', arrived: 'none' });
    expect(v!.how).toMatch(
      /not stored \(the counter was\).*cortex_discarded_samples_total\{reason="native-histogram-sample",user="tenant-1"\} = 8/,
    );
    expect(assessKind(t1, counters, exponential, { drops: [discarded('tenant-2')] })!.how).not.toMatch(
      /cortex_/,
    );
  });

  it('a tenant due nothing has no verdict', () => {
    expect(assessKind(tenantExp('tenant-9', {}), [], explicit)).toBeUndefined();
  });
});

describe('the kind check in runChecks', () => {
  it('runs only when the kind is given; a change not accepted fails, naming how to accept it', () => {
    const exp = runExp([t1]);
    const observation = { isolated: false as const, all: vmrangeSamples({ 200: 3, 404: 1 }) };
    expect(runChecks({ expectation: exp, observation }).some((r) => r.check === 'kind')).toBe(false);
    const kind = runChecks({ expectation: exp, observation, kind: { kind: exponential } }).find(
      (r) => r.check === 'kind',
    )!;
    expect(kind.status).toBe('fail');
    expect(kind.problems[0]).toMatch(/acceptChanges: vmrange-buckets/);
    const accepted = runChecks({
      expectation: exp,
      observation,
      kind: { kind: exponential, acceptChanges: ['vmrange-buckets'] },
    }).find((r) => r.check === 'kind')!;
    expect(accepted.status).toBe('pass');
  });
});

describe('inputs', () => {
  it('parseAcceptChanges: an unknown name is a UsageError (exit 2) naming the input and the allowed names', () => {
    expect(parseAcceptChanges(['vmrange-buckets', 'vmrange-buckets'])).toEqual(['vmrange-buckets']);
    const err = (() => {
      try {
        parseAcceptChanges(['vmrange'], '--accept-change');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toBe(
      '--accept-change: "vmrange" is not a change verify knows; allowed: vmrange-buckets, classic-buckets, native-custom-buckets, delta-to-cumulative',
    );
  });

  it("parseDropCounters reads VictoriaMetrics' OpenTelemetry dropped rows by reason (as measured on 1.112)", () => {
    const text = [
      '# HELP vm_protoparser_rows_dropped_total',
      'vm_protoparser_rows_dropped_total{type="opentelemetry",reason="unsupported_exponential_histogram_aggregation"} 3',
      'vm_protoparser_rows_dropped_total{type="opentelemetry",reason="unsupported_histogram_aggregation"} 3',
      'vm_protoparser_rows_dropped_total{type="opentelemetry",reason="unsupported_metric_type"} 0',
      'vm_protoparser_rows_dropped_total{type="opentelemetry",reason="unsupported_sum_aggregation"} 6',
      'vm_protoparser_rows_dropped_total{type="influx",reason="unsupported_sum_aggregation"} 9',
    ].join('\n');
    const vm = (reason: string, value: number) => ({
      name: 'vm_protoparser_rows_dropped_total',
      reason,
      value,
    });
    expect(parseDropCounters(text)).toEqual([
      vm('unsupported_exponential_histogram_aggregation', 3),
      vm('unsupported_histogram_aggregation', 3),
      vm('unsupported_sum_aggregation', 6),
    ]);
    // Cortex's (Mimir's) per tenant count of native histogram samples discarded with native histograms off.
    expect(
      parseDropCounters(
        'cortex_discarded_samples_total{reason="native-histogram-sample",user="tenant-1"} 4\ncortex_discarded_samples_total{reason="other",user="tenant-2"} 0',
      ),
    ).toEqual([
      {
        name: 'cortex_discarded_samples_total',
        reason: 'native-histogram-sample',
        tenant: 'tenant-1',
        value: 4,
      },
    ]);
    expect(defaultBackendMetricsUrl('http://127.0.0.1:8428/prometheus/')).toBe(
      'http://127.0.0.1:8428/metrics',
    );
  });

  it("the manifest's server.kind: absent → none judged; malformed → an error naming the field; shards must agree", () => {
    expect(kindOfManifest({}, 'a.json')).toBeUndefined();
    expect(kindOfManifest({ server: { kind: exponential } }, 'a.json')).toEqual(exponential);
    expect(() =>
      kindOfManifest({ server: { kind: { ...exponential, temporality: 'deltas' } } }, 'a.json'),
    ).toThrow(
      /^a\.json: server\.kind\.temporality is invalid .*allowed protocol http\/protobuf\|http\/json\|grpc, temporality cumulative\|delta\|lowmemory/,
    );
    const m = (kind?: SentKind) =>
      ({
        schemaVersion: 4,
        runId: 'r',
        startedAt: '2026-11-25T10:00:00.000Z',
        endedAt: '2026-11-25T10:00:01.000Z',
        config: { timeoutMs: 5000 },
        tenants: [],
        totals: { sent: 0 },
        ...(kind ? { server: { kind } } : {}),
      }) as unknown as RunManifest;
    expect(expectationsFrom([{ manifest: m(exponential), source: 'a.json' }], 'anonymous').kind).toEqual(
      exponential,
    );
    expect(expectationsFrom([{ manifest: m(), source: 'a.json' }], 'anonymous').kind).toBeUndefined();
    const shard = (index: number, kind?: SentKind) =>
      ({ ...m(kind), shard: { index, count: 2 } }) as unknown as RunManifest;
    expect(() =>
      expectationsFrom(
        [
          { manifest: shard(0, exponential), source: 'a.json' },
          { manifest: shard(1, delta), source: 'b.json' },
        ],
        'anonymous',
      ),
    ).toThrow(
      /^--manifest: b\.json records another kind of data .* than a\.json .*shards of one run send one kind$/,
    );
  });
});
