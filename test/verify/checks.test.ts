import chalk from 'chalk';
import { describe, expect, it } from 'vitest';
import { verdictLine } from '../../src/cli/render/verify-report.js';
import { PROM } from '../../src/telemetry/names.js';
import { diagnoseName, runChecks, UNCLAIMED_TENANT } from '../../src/verify/checks/index.js';
import type { CheckId, CheckResult, Observation, VerifyReport } from '../../src/verify/types.js';
import { RUN, runExp, samplesFor, tenantExp, withValue } from './fixtures.js';

const t1 = tenantExp('tenant-1', { 200: 7, 404: 3 });
const t2 = tenantExp('tenant-2', { 500: 2 });
const anon = tenantExp('anonymous', { 200: 1 });
const exp = runExp([anon, t1, t2]);

const good = {
  anonymous: samplesFor(null, { 200: 1 }),
  'tenant-1': samplesFor('tenant-1', { 200: 7, 404: 3 }),
  'tenant-2': samplesFor('tenant-2', { 500: 2 }),
};

function isolated(views: Partial<typeof good>): Observation {
  return {
    isolated: true,
    views: Object.entries({ ...good, ...views }).map(([tenant, samples]) => ({
      tenant,
      samples: samples ?? [],
    })),
  };
}

function failing(results: CheckResult[]): string[] {
  return results.filter((r) => !r.ok).map((r) => `${r.tenant}/${r.check}`);
}

function problems(results: CheckResult[], tenant: string, check: CheckId): string {
  return results.find((r) => r.tenant === tenant && r.check === check)!.problems.join('\n');
}

describe('runChecks', () => {
  it('passes all 7 checks per tenant when the backend shows exactly what was sent', () => {
    const results = runChecks({ expectation: exp, observation: isolated({}) });
    expect(results).toHaveLength(21);
    expect(failing(results)).toEqual([]);
    const counts = results.find((r) => r.tenant === 'tenant-1' && r.check === 'counts')!;
    expect(counts).toMatchObject({ expected: '200:7 404:3', found: '200:7 404:3' });
  });

  it('splits one shared store by client_id, and says isolation is not testable there', () => {
    const all = [...good.anonymous, ...good['tenant-1'], ...good['tenant-2']];
    const results = runChecks({ expectation: exp, observation: { isolated: false, all } });
    expect(failing(results)).toEqual([]);
    const iso = results.filter((r) => r.check === 'isolation');
    expect(iso.every((r) => r.skipped && r.ok)).toBe(true);
  });

  it('a tenant whose data never arrived fails presence, naming the tenant and the run', () => {
    const results = runChecks({ expectation: exp, observation: isolated({ 'tenant-2': [] }) });
    expect(failing(results)).toContain('tenant-2/presence');
    expect(failing(results).every((f) => f.startsWith('tenant-2/'))).toBe(true);
    expect(problems(results, 'tenant-2', 'presence')).toMatch(
      /no series of run "run-1" in tenant "tenant-2": its data never arrived/,
    );
  });

  it('tenants past the server\'s --max-tenants cap: presence and the verdict name __overflow__, not "no series at all"', () => {
    // The server recorded tenant-2's requests under client_id="__overflow__" (its cap was hit).
    const all = [...good.anonymous, ...good['tenant-1'], ...samplesFor('__overflow__', { 200: 1 })];
    const results = runChecks({ expectation: exp, observation: { isolated: false, all } });
    expect(problems(results, 'tenant-2', 'presence')).toMatch(
      /series of run "run-1" are under client_id="__overflow__": the server's tenant cap \(--max-tenants\) was hit/,
    );
    const report: VerifyReport = {
      runId: RUN,
      ok: false,
      timedOut: true,
      interrupted: false,
      source: 'test',
      isolated: false,
      tenantHeader: null,
      tenants: exp.tenants.map((t) => t.tenant),
      polls: 1,
      elapsedMs: 1_000,
      results,
      settleMs: 0,
      settleWhy: 'test',
      greenForMs: 0,
    };
    expect(verdictLine(report, chalk)).toMatch(
      /— \d+ series of run "run-1" are under client_id="__overflow__"/,
    );
    expect(verdictLine(report, chalk)).not.toContain('no series of run run-1 at all');
  });

  it('a missing metric fails presence with its name', () => {
    const samples = good['tenant-1'].filter((s) => s.name !== PROM.durationBucket);
    const results = runChecks({ expectation: exp, observation: isolated({ 'tenant-1': samples }) });
    expect(problems(results, 'tenant-1', 'presence')).toBe(
      `http_server_request_duration_seconds_bucket{otelpoc_run_id="${RUN}"} is missing`,
    );
  });

  it('a count off by one fails, naming the status, both numbers and the likely cause', () => {
    const samples = withValue(
      good['tenant-1'],
      (s) => s.labels.http_response_status_code === '404' && s.name !== PROM.durationSum,
      (v) => v + 1,
    );
    const results = runChecks({ expectation: exp, observation: isolated({ 'tenant-1': samples }) });
    expect(failing(results)).toEqual(['tenant-1/counts']);
    expect(problems(results, 'tenant-1', 'counts')).toMatch(
      /status 404: 4 request\(s\) recorded, expected 3 \(more than were sent/,
    );
    // One fewer is a failure too.
    const fewer = withValue(
      good['tenant-1'],
      (s) => s.name === PROM.requestTotal && s.labels.http_response_status_code === '200',
      (v) => v - 1,
    );
    const r2 = runChecks({ expectation: exp, observation: isolated({ 'tenant-1': fewer }) });
    expect(problems(r2, 'tenant-1', 'counts')).toMatch(/status 200: 6 request\(s\) recorded, expected 7$/);
  });

  it('a status never asked for fails counts and the series budget', () => {
    const samples = [...good['tenant-2'], ...samplesFor('tenant-2', { 503: 1 })];
    const results = runChecks({ expectation: exp, observation: isolated({ 'tenant-2': samples }) });
    expect(problems(results, 'tenant-2', 'counts')).toMatch(
      /status 503: 1 request\(s\) recorded, expected none/,
    );
    expect(problems(results, 'tenant-2', 'series')).toMatch(
      /extra series http_server_request_total\{client_id="tenant-2",http_response_status_code="503"\}/,
    );
  });

  it('unanswered requests make a stated range, not a guess', () => {
    const withTimeouts = tenantExp('tenant-1', { 200: 7, 404: 3 }, { unanswered: 2 });
    const e = runExp([withTimeouts]);
    // The server recorded one of the two (as 200): within the range.
    const one = withValue(
      good['tenant-1'],
      (s) =>
        s.labels.http_response_status_code === '200' &&
        s.name !== PROM.durationSum &&
        (s.labels.le === undefined || Number(s.labels.le) >= 0.01 || s.labels.le === '+Inf'),
      (v) => v + 1,
    );
    const ok = runChecks({
      expectation: e,
      observation: { isolated: true, views: [{ tenant: 'tenant-1', samples: one }] },
    });
    expect(failing(ok)).toEqual([]);
    expect(ok.find((r) => r.check === 'counts')!.expected).toBe('200:7–9 404:3–5 (2 unanswered)');
    // Three more than answered is more than the two that might have been recorded.
    const three = withValue(
      good['tenant-1'],
      (s) => s.name === PROM.requestTotal && s.labels.http_response_status_code === '200',
      (v) => v + 3,
    );
    const bad = runChecks({
      expectation: e,
      observation: { isolated: true, views: [{ tenant: 'tenant-1', samples: three }] },
    });
    expect(problems(bad, 'tenant-1', 'counts')).toMatch(/status 200: 10 request\(s\) recorded, expected 7–9/);
  });

  it('an unanswered request the server recorded as cut (error_type, no status) is within the range', () => {
    const e = runExp([tenantExp('tenant-1', { 200: 7, 404: 3 }, { unanswered: 2 })]);
    // What serve records for a request whose client gave up: no http_response_status_code.
    const cut = samplesFor('tenant-1', { 999: 1 }).map((s) => {
      const { [PROM.labels.statusCode]: _, ...labels } = s.labels;
      return { ...s, labels: { ...labels, error_type: 'aborted' } };
    });
    const r = runChecks({
      expectation: e,
      observation: {
        isolated: true,
        views: [{ tenant: 'tenant-1', samples: [...good['tenant-1'], ...cut] }],
      },
    });
    expect(failing(r)).toEqual([]);
    expect(r.find((x) => x.check === 'counts')!.found).toBe('200:7 404:3 no status (cut):1');
  });

  it('histogram integrity: _count vs counter, cumulative buckets, +Inf vs _count', () => {
    const countOff = withValue(
      good['tenant-2'],
      (s) => s.name === PROM.durationCount,
      () => 3,
    );
    let r = runChecks({ expectation: exp, observation: isolated({ 'tenant-2': countOff }) });
    expect(problems(r, 'tenant-2', 'histogram')).toMatch(
      /http_server_request_duration_seconds_count\{.*\} is 3 but http_server_request_total is 2/,
    );
    expect(problems(r, 'tenant-2', 'histogram')).toMatch(
      /le="\+Inf" bucket of .* is 2 but http_server_request_duration_seconds_count is 3/,
    );

    const notCumulative = withValue(
      good['tenant-2'],
      (s) => s.labels.le === '0.5',
      () => 1,
    );
    r = runChecks({ expectation: exp, observation: isolated({ 'tenant-2': notCumulative }) });
    expect(problems(r, 'tenant-2', 'histogram')).toMatch(
      /not cumulative: le="0.75" is 2 < le="0.5" 1|not cumulative: le="0.5" is 1 < le="0.25" 2/,
    );

    const noInf = good['tenant-2'].filter((s) => s.labels.le !== '+Inf');
    r = runChecks({ expectation: exp, observation: isolated({ 'tenant-2': noInf }) });
    expect(problems(r, 'tenant-2', 'histogram')).toMatch(/has no le="\+Inf" bucket/);
  });

  it('latency: the server cannot have taken longer than the client waited', () => {
    // 2 requests, the client waited 20 ms each; the server claims 300 ms each.
    const slow = samplesFor('tenant-2', { 500: 2 }, 0.3);
    const r = runChecks({ expectation: exp, observation: isolated({ 'tenant-2': slow }) });
    expect(failing(r)).toEqual(['tenant-2/latency']);
    expect(problems(r, 'tenant-2', 'latency')).toMatch(
      /the server measured 600.0ms in all, more than the 40.0ms the client waited/,
    );
    expect(problems(r, 'tenant-2', 'latency')).toMatch(
      /2 request\(s\) of \{.*\} took the server longer than 0.025s/,
    );
  });

  it('isolation: another tenant’s series visible in this tenant is a leak, named', () => {
    const leaked = [...good['tenant-1'], ...samplesFor('tenant-2', { 500: 2 })];
    const r = runChecks({ expectation: exp, observation: isolated({ 'tenant-1': leaked }) });
    expect(failing(r)).toEqual(['tenant-1/isolation']);
    expect(problems(r, 'tenant-1', 'isolation')).toBe(
      'leak: 18 series of run "run-1" with client_id="tenant-2" are visible in tenant "tenant-1"',
    );
  });

  it('isolation: a tenant the backend does not know fails every check with the backend’s words', () => {
    const obs: Observation = {
      isolated: true,
      views: [
        { tenant: 'anonymous', samples: good.anonymous },
        { tenant: 'tenant-1', samples: good['tenant-1'] },
        { tenant: 'tenant-2', samples: [], error: '400 missing route for "/api/v1/query"' },
      ],
    };
    const r = runChecks({ expectation: exp, observation: obs });
    expect(failing(r).filter((f) => f.startsWith('tenant-2/'))).toHaveLength(7);
    expect(problems(r, 'tenant-2', 'isolation')).toMatch(
      /did not answer for tenant "tenant-2": 400 missing route/,
    );
  });

  it('a tenant none of whose requests reached the server need not exist in the backend', () => {
    const refusedOnly = { ...tenantExp('tenant-2', {}), sent: 4, refused: 4 };
    const r = runChecks({
      expectation: runExp([refusedOnly]),
      observation: {
        isolated: true,
        views: [{ tenant: 'tenant-2', samples: [], error: '400 missing route' }],
      },
    });
    // Not a failure (nothing went wrong), but not a pass either: nothing of it could be checked, so
    // every check has no data, with no problem named, and the verdict cannot pass on it.
    expect(r.map((x) => x.status)).toEqual(Array(7).fill('no-data'));
    expect(r.every((x) => x.problems.length === 0 && !x.ok)).toBe(true);
  });

  it('a shared store: client_id values outside the manifest are reported', () => {
    const all = [
      ...good.anonymous,
      ...good['tenant-1'],
      ...good['tenant-2'],
      ...samplesFor('tenant-9', { 200: 1 }),
    ];
    const r = runChecks({ expectation: exp, observation: { isolated: false, all } });
    expect(failing(r)).toEqual([`${UNCLAIMED_TENANT}/isolation`]);
    expect(problems(r, UNCLAIMED_TENANT, 'isolation')).toMatch(
      /client_id values the manifest never sent: client_id="tenant-9"/,
    );
  });

  it('names: says which name was found instead, and why', () => {
    const renamed = good['tenant-2'].map((s) => ({
      ...s,
      name: s.name.replace('_seconds', '').replace(/_total$/, ''),
    }));
    const r = runChecks({ expectation: exp, observation: isolated({ 'tenant-2': renamed }) });
    const p = problems(r, 'tenant-2', 'names');
    expect(p).toMatch(
      /found http_server_request instead of http_server_request_total: the _total suffix is missing/,
    );
    expect(p).toMatch(
      /found http_server_request_duration_bucket instead of http_server_request_duration_seconds_bucket: the _seconds unit suffix is missing/,
    );
    expect(failing(r)).toContain('tenant-2/presence');
  });

  it('names: a counter that went down between polls points at delta temporality', () => {
    const r = runChecks({
      expectation: exp,
      observation: isolated({}),
      decreases: new Map([['tenant-1', ['http_server_request_total{status="200"} went down from 7 to 2']]]),
    });
    expect(failing(r)).toEqual(['tenant-1/names']);
    expect(problems(r, 'tenant-1', 'names')).toMatch(/went down from 7 to 2: .*delta temporality/);
  });

  it('series budget: a label that splits a series is named with its values', () => {
    const split = [
      ...good['tenant-2'],
      ...good['tenant-2']
        .filter((s) => s.name === PROM.requestTotal)
        .map((s) => ({ ...s, labels: { ...s.labels, pod: 'b' }, value: 0 })),
    ].map((s) =>
      s.name === PROM.requestTotal && !s.labels.pod ? { ...s, labels: { ...s.labels, pod: 'a' } } : s,
    );
    const r = runChecks({ expectation: exp, observation: isolated({ 'tenant-2': split }) });
    expect(problems(r, 'tenant-2', 'series')).toMatch(
      /2 series where one was expected: http_server_request_total\{client_id="tenant-2",http_response_status_code="500"\} is split by pod \(a, b\)/,
    );
  });

  it('series budget: a missing bucket series is named', () => {
    const missing = good['tenant-2'].filter((s) => s.labels.le !== '0.075');
    const r = runChecks({ expectation: exp, observation: isolated({ 'tenant-2': missing }) });
    expect(problems(r, 'tenant-2', 'series')).toBe(
      'missing series http_server_request_duration_seconds_bucket{client_id="tenant-2",http_response_status_code="500",le="0.075"}',
    );
  });

  it('series budget: "1.0" and "1" are the same bucket bound', () => {
    const respelled = good['tenant-2'].map((s) =>
      s.labels.le === '1' ? { ...s, labels: { ...s.labels, le: '1.0' } } : s,
    );
    const r = runChecks({ expectation: exp, observation: isolated({ 'tenant-2': respelled }) });
    expect(failing(r)).toEqual([]);
  });

  it('series budget: shards served by several processes may differ by instance only', () => {
    const twoServers = [
      ...samplesFor('tenant-2', { 500: 1 }).map((s) => ({
        ...s,
        labels: { ...s.labels, service_instance_id: 'a' },
      })),
      ...samplesFor('tenant-2', { 500: 1 }).map((s) => ({
        ...s,
        labels: { ...s.labels, service_instance_id: 'b' },
      })),
    ];
    const e = runExp([t2], 2);
    const r = runChecks({
      expectation: e,
      observation: { isolated: true, views: [{ tenant: 'tenant-2', samples: twoServers }] },
    });
    expect(failing(r)).toEqual([]);
    // Each shard process reports its own copy of a series: the budget counts distinct series and
    // says how many copies came from how many processes (not "expected 14, found 28").
    const budget = r.find((x) => x.tenant === 'tenant-2' && x.check === 'series')!;
    const n = twoServers.length / 2;
    expect(budget.expected).toBe(`${n} series (each counted once across the shard processes)`);
    expect(budget.found).toBe(`${n} series, as ${2 * n} from 2 shard processes`);
    const single = runChecks({
      expectation: runExp([t2], 1),
      observation: { isolated: true, views: [{ tenant: 'tenant-2', samples: twoServers }] },
    });
    expect(problems(single, 'tenant-2', 'series')).toMatch(/split by service_instance_id \(a, b\)/);
  });
});

describe('diagnoseName', () => {
  it.each([
    ['http_server_request_total', 'http_server_request', /_total suffix is missing/],
    [
      'http_server_request_duration_seconds_sum',
      'http_server_request_duration_sum',
      /_seconds unit suffix is missing/,
    ],
    ['http_server_request_duration_seconds_count', 'http.server.request.duration_count', /OTel form/],
  ])('%s found as %s', (expected, found, why) => {
    expect(diagnoseName(expected, found)).toMatch(why);
  });
  it('does not confuse unrelated names', () => {
    expect(diagnoseName('http_server_request_total', 'http_server_active_requests')).toBeUndefined();
    expect(diagnoseName('http_server_request_total', 'http_server_request_total')).toBeUndefined();
  });
});
