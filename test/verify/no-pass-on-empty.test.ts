/**
 * A check with nothing to check has not passed. For every verify check and every canary check: an
 * empty view is never 'pass' (no data, not testable or fail, never ✓ nor green), through the checks
 * themselves and through what users read: the table, --json, JUnit and the HTML report's matrix.
 */
import { Chalk } from 'chalk';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { ExportLog, type ExportRecord, seriesKey } from '../../src/canary/export-log.js';
import { CANARY_CHECKS } from '../../src/canary/metric-names.js';
import { CanaryMetrics } from '../../src/canary/metrics.js';
import { evaluateTenant, type WindowSettings } from '../../src/canary/window.js';
import { intervalDocument } from '../../src/cli/render/canary.js';
import { renderProgress, renderReport, verdictLine } from '../../src/cli/render/verify-report.js';
import { summarize } from '../../src/doctor/plan.js';
import { DOCTOR_STATES, type DoctorCheck } from '../../src/doctor/types.js';
import { loadReportAssets } from '../../src/report/assets.js';
import { renderReportHtml } from '../../src/report/html.js';
import { CHECKS, runChecks } from '../../src/verify/checks/index.js';
import type { TenantContext } from '../../src/verify/checks/samples.js';
import { renderJunit } from '../../src/verify/junit.js';
import { pollChecks } from '../../src/verify/poll.js';
import { verdictPasses } from '../../src/verify/status.js';
import { CHECK_IDS, type CheckResult, type VerifyReport } from '../../src/verify/types.js';
import { realRunManifest } from '../report/fixtures.js';
import { runExp, samplesFor, tenantExp } from './fixtures.js';

const plain = new Chalk({ level: 0 });
const NOT_PASS = ['fail', 'no-data', 'not-testable'];

/** A tenant that was sent requests, and one all of whose requests were refused (received 0). */
const sentTo = tenantExp('tenant-1', { 200: 3, 404: 1 });
const refusedOnly = { ...tenantExp('tenant-2', {}), sent: 4, refused: 4 };

function ctx(isolated: boolean): TenantContext {
  return {
    runId: 'run-1',
    isolated,
    timeoutMs: 5000,
    splitByProcessAllowed: false,
    decreases: [],
    manifestClientIds: new Set(['tenant-1', 'tenant-2']),
  };
}

describe('every verify check on an empty view', () => {
  const cases = CHECKS.flatMap(({ id, run }) =>
    [sentTo, refusedOnly].flatMap((exp) => [true, false].map((isolated) => ({ id, run, exp, isolated }))),
  );
  it.each(cases.map((c) => [c.id, c.exp.tenant, c.isolated ? 'isolated' : 'one store', c] as const))(
    '%s (%s, %s): not pass, and ok only when not testable',
    (_id, _t, _i, { run, exp, isolated }) => {
      const r = run(exp, { tenant: exp.tenant, samples: [] }, ctx(isolated));
      expect(NOT_PASS).toContain(r.status);
      expect(r.ok).toBe(r.status === 'not-testable');
    },
  );

  it('covers every check id', () => {
    expect(new Set(cases.map((c) => c.id))).toEqual(new Set(CHECK_IDS));
  });

  it('the refused-only tenant: no data on every check, no problem named (nothing went wrong)', () => {
    const rows = runChecks({
      expectation: runExp([refusedOnly]),
      observation: { isolated: true, views: [{ tenant: 'tenant-2', samples: [] }] },
    });
    expect(rows.map((r) => r.status)).toEqual(CHECK_IDS.map(() => 'no-data'));
    expect(rows.every((r) => r.problems.length === 0)).toBe(true);
    expect(verdictPasses(rows.map((r) => r.status!))).toBe(false);
  });

  it('with data the checks still pass, and say on what', () => {
    const good = samplesFor('tenant-1', { 200: 3, 404: 1 });
    const rows = CHECKS.map(({ run }) => run(sentTo, { tenant: 'tenant-1', samples: good }, ctx(true)));
    expect(rows.map((r) => r.status)).toEqual(CHECK_IDS.map(() => 'pass'));
    expect(rows.find((r) => r.check === 'histogram')!.found).toBe('2 histogram(s) consistent');
  });
});

describe('the verdict', () => {
  it('passes only on pass or not-testable, with one pass at least', () => {
    expect(verdictPasses(['pass', 'not-testable'])).toBe(true);
    expect(verdictPasses(['pass', 'no-data'])).toBe(false);
    expect(verdictPasses(['pass', 'fail'])).toBe(false);
    expect(verdictPasses(['pass', 'undecided'])).toBe(false);
    expect(verdictPasses(['not-testable'])).toBe(false);
    expect(verdictPasses([])).toBe(false);
  });

  it('the poll loop: never green on no result, or on only not-testable ones', async () => {
    let t = 0;
    const clock = {
      now: () => t,
      sleep: async (ms: number) => {
        t += ms;
      },
    };
    const notTestable: CheckResult = {
      tenant: 'a',
      check: 'isolation',
      status: 'not-testable',
      ok: true,
      skipped: true,
      expected: 'x',
      found: 'not testable: one store for all tenants',
      problems: [],
    };
    for (const answer of [[], [notTestable]]) {
      const out = await pollChecks(async () => answer, { clock, timeoutMs: 2000 });
      expect(out.ok).toBe(false);
      expect(out.timedOut).toBe(true);
    }
  });

  it('doctor: skip is not-testable; all skipped is not ok', () => {
    expect(DOCTOR_STATES).toEqual({ pass: 'pass', fail: 'fail', skip: 'not-testable' });
    const check = (status: DoctorCheck['status']): DoctorCheck => ({
      id: 'otlp',
      title: 't',
      status,
      target: 'x',
      detail: '',
      durationMs: 0,
      hints: [],
    });
    expect(summarize([check('skip'), check('skip')]).ok).toBe(false);
    const mixed = summarize([check('pass'), check('skip')]);
    expect(mixed.ok).toBe(true);
    expect(mixed.checks.map((c) => c.state)).toEqual(['pass', 'not-testable']);
  });
});

/** What verify reports when the backend shows no series of the run at all. */
function emptyRunReport(): VerifyReport {
  const results: CheckResult[] = runChecks({
    expectation: runExp([sentTo]),
    observation: { isolated: true, views: [{ tenant: 'tenant-1', samples: [] }] },
  });
  return {
    runId: 'run-1',
    ok: false,
    timedOut: true,
    interrupted: false,
    source: 'Prometheus API at http://x',
    isolated: true,
    tenantHeader: 'X-Scope-OrgID',
    tenants: ['tenant-1'],
    polls: 2,
    elapsedMs: 3000,
    results,
    settleMs: 0,
    settleWhy: '--settle 0s',
    greenForMs: 0,
  };
}

describe('a verify that finds no series of the run, as users read it', () => {
  const report = emptyRunReport();

  it('the table: no ✓ anywhere; the checks with nothing to check say no data', () => {
    const text = renderReport(report, plain);
    expect(text).not.toContain('✓');
    expect(text).toMatch(/histogram integrity\s+no data\s/);
    expect(text).toMatch(/latency agreement\s+no data\s/);
    expect(text).toMatch(/metric names\s+no data\s/);
    expect(text).not.toMatch(/as expected|0 histogram\(s\) consistent/);
    expect(text).toMatch(/No data \(nothing to check, so not passed\):/);
    expect(verdictLine(report, plain)).toMatch(
      /^FAIL run run-1: 3 of 7 checks failed when the timeout ended \(3\.0 s, 2 poll\(s\)\), 4 with no data/,
    );
  });

  it('progress: waits on the first check that names a problem, not on a no-data one', () => {
    const line = renderProgress({
      type: 'poll',
      attempt: 2,
      elapsedMs: 1500,
      // A no-data row (names) before a failing one (presence).
      results: ['names', 'presence'].map((id) => report.results.find((r) => r.check === id)!),
      greenTenants: [],
      tenants: ['tenant-1'],
    });
    expect(line).toMatch(/waiting: tenant-1: no series of run "run-1" in tenant "tenant-1"/);
  });

  it('--json: every result has a status, none pass, ok is false for no data', () => {
    const json = JSON.parse(JSON.stringify(report)) as VerifyReport;
    const byCheck = Object.fromEntries(json.results.map((r) => [r.check, { status: r.status, ok: r.ok }]));
    expect(byCheck).toEqual({
      presence: { status: 'fail', ok: false },
      counts: { status: 'fail', ok: false },
      histogram: { status: 'no-data', ok: false },
      latency: { status: 'no-data', ok: false },
      isolation: { status: 'no-data', ok: false },
      names: { status: 'no-data', ok: false },
      series: { status: 'fail', ok: false },
    });
  });

  it('JUnit: no testcase passes; no data is a failure of type no-data, not a skip', () => {
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      renderJunit(report),
    );
    const suite = doc.testsuites.testsuite;
    expect(suite).toMatchObject({ tests: '7', failures: '7', skipped: '0' });
    const cases = suite.testcase as { name: string; failure?: { type: string } }[];
    expect(cases.every((c) => c.failure !== undefined)).toBe(true);
    expect(cases.filter((c) => c.failure!.type === 'no-data').map((c) => c.name)).toEqual([
      'tenant-1: histogram integrity',
      'tenant-1: latency agreement',
      'tenant-1: tenant isolation',
      'tenant-1: metric names',
    ]);
  });

  it("the HTML report's matrix: no green ✓ cell, no data cells of their own", async () => {
    const html = renderReportHtml(
      { command: 'verify', manifests: [realRunManifest()], verify: report, generatedAt: 'now' },
      await loadReportAssets(),
    );
    const matrix = html.slice(html.indexOf('<th>tenant</th><th>series present'));
    const cells = [...matrix.matchAll(/<td class="check (\w+)"[^>]*>([^<]*)<\/td>/g)].map((x) => [
      x[1],
      x[2],
    ]);
    expect(cells).toEqual([
      ['fail', '✗'],
      ['fail', '✗'],
      ['nodata', 'no data'],
      ['nodata', 'no data'],
      ['nodata', 'no data'],
      ['nodata', 'no data'],
      ['fail', '✗'],
    ]);
  });
});

describe('every canary check on an empty backend', () => {
  const T0 = Date.UTC(2030, 0, 1);
  const log = new ExportLog();
  for (let at = T0 + 5000, n = 10; at <= T0 + 120_000; at += 5000, n += 10) {
    const values = new Map([[seriesKey('http_server_request_total', 'tenant-1', '200'), n]]);
    const record: ExportRecord = { atMs: at, values, clientIds: new Set(['tenant-1']), ok: true };
    log.add(record);
  }
  const S: WindowSettings = {
    runId: 'canary-t',
    windowMs: 60_000,
    maxLagMs: 20_000,
    exportIntervalMs: 5_000,
    startedAtMs: T0,
    isolated: true,
  };
  const settings = [true, false].flatMap((isolated) =>
    [false, true].flatMap((once) => [T0 + 12_000, T0 + 121_000].map((now) => ({ isolated, once, now }))),
  );
  it.each(settings.map((x) => [x.isolated, x.once, x.now - T0, x] as const))(
    'isolated %s, once %s, %d ms after the start: no check passes, the tenant is not green',
    (_i, _o, _n, { isolated, once, now }) => {
      const r = evaluateTenant(
        { tenant: 'tenant-1', clientIds: ['tenant-1'], backend: { series: [] }, lastSeenMs: undefined },
        log,
        { ...S, isolated, once },
        now,
      );
      expect(new Set(r.checks.map((c) => c.check))).toEqual(new Set(CANARY_CHECKS));
      for (const c of r.checks) expect(c.status, c.check).not.toBe('pass');
      expect(r.status).not.toBe('green');
      expect(r.ok).toBe(false);
    },
  );

  it('--once --no-tenant-header with data: isolation and completeness are not testable, not passes', async () => {
    const now = T0 + 12_000;
    const points = log.records.filter((x) => x.atMs <= now - 1000);
    const r = evaluateTenant(
      {
        tenant: 'tenant-1',
        clientIds: ['tenant-1'],
        backend: {
          series: [
            {
              name: 'http_server_request_total',
              labels: { client_id: 'tenant-1', http_response_status_code: '200', otelpoc_run_id: 'canary-t' },
              points: points.map((x) => ({
                atMs: x.atMs,
                value: x.values.get(seriesKey('http_server_request_total', 'tenant-1', '200'))!,
              })),
            },
          ],
        },
        lastSeenMs: undefined,
      },
      log,
      { ...S, isolated: false, once: true },
      now,
    );
    const status = Object.fromEntries(r.checks.map((c) => [c.check, c.status]));
    expect(status).toEqual({
      correctness: 'pass',
      freshness: 'pass',
      completeness: 'not-testable',
      isolation: 'not-testable',
      names: 'pass',
    });
    expect(r.status).toBe('green');
    expect(r.checks.find((c) => c.check === 'isolation')!.reason).toMatch(/one store for every tenant/);
    // --json: the states as they are, each with why, and the passes with their evidence.
    const doc = intervalDocument({
      atMs: now,
      topology: 'tenant-router',
      status: 'green',
      ok: true,
      tenants: [r],
    });
    expect(doc.tenants[0]!.checks).toMatchObject({
      isolation: { status: 'not-testable', reason: expect.stringMatching(/one store/) },
      completeness: { status: 'not-testable', reason: expect.stringMatching(/--once: no export is older/) },
      correctness: { status: 'pass', ok: true, evidence: expect.stringMatching(/sample\(s\) equal/) },
    });
    expect(doc.tenants[0]).toMatchObject({ exportsExpected: 0, exportsVisible: 0 });
    // /metrics: a not-testable check is no pass (its gauge stays 0, neither counter moves).
    const m = new CanaryMetrics(['tenant-1']);
    m.checked(r, now);
    const values = async (name: string) =>
      Object.fromEntries(
        (
          (await m.registry.getMetricsAsJSON()).find((x) => x.name === name)!.values as {
            labels: Record<string, string>;
            value: number;
          }[]
        ).map((v) => [Object.values(v.labels).slice(1).join('/'), v.value]),
      );
    const ok = await values('otelpoc_canary_check_ok');
    expect(ok).toMatchObject({ isolation: 0, completeness: 0, correctness: 1 });
    const counted = await values('otelpoc_canary_checks_total');
    expect(counted).toMatchObject({ 'isolation/pass': 0, 'completeness/pass': 0, 'correctness/pass': 1 });
  });
});
