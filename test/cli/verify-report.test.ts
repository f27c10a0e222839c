import { Chalk } from 'chalk';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderProgress, renderReport, verdictLine } from '../../src/cli/render/verify-report.js';
import { interruptedVerifyMessage } from '../../src/pipeline/verify-outputs.js';
import { renderJunit } from '../../src/verify/junit.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { undecidedResults } from '../../src/verify/verify.js';

const plain = new Chalk({ level: 0 });

const report: VerifyReport = {
  runId: 'r1',
  ok: false,
  timedOut: true,
  interrupted: false,
  source: 'Prometheus API at http://x/prometheus (tenant in X-Scope-OrgID)',
  isolated: true,
  tenantHeader: 'X-Scope-OrgID',
  tenants: ['a<&>"', 'b'],
  polls: 3,
  elapsedMs: 5000,
  results: [
    {
      tenant: 'a<&>"',
      check: 'counts',
      ok: false,
      expected: '200:2',
      found: '200:1',
      problems: ['status 200: 1 request(s) recorded, expected 2 & <more>'],
    },
    {
      tenant: 'a<&>"',
      check: 'presence',
      ok: false,
      expected: '-',
      found: 'x',
      problems: ['status 200: 1 request(s) recorded, expected 2 & <more>'],
    },
    {
      tenant: 'b',
      check: 'isolation',
      ok: true,
      skipped: true,
      expected: 'x',
      found: 'not testable',
      problems: [],
    },
    { tenant: 'b', check: 'names', ok: true, expected: 'x', found: 'as expected', problems: [] },
  ],
  queries: ['POST http://x/prometheus/api/v1/query  X-Scope-OrgID: b  query={otelpoc_run_id="r1"}'],
  settleMs: 6_000,
  settleWhy: "the run's export interval (1s) + 5s",
  greenForMs: 0,
};

describe('verify report renderers', () => {
  it('names the topology as far as it is known: one stream is not claimed to be routed', () => {
    const head = (t: VerifyReport['topology']) =>
      renderReport({ ...report, topology: t }, plain).split('\n')[0];
    expect(head('otlp-endpoint')).toBe(
      `otelpoc verify · run r1 · ${report.source} · topology otlp-endpoint (one stream for every tenant; tenant routing unknown)`,
    );
    expect(head('per-tenant-export')).toMatch(
      / · topology per-tenant-export \(one stream per tenant, each with its tenant header\)$/,
    );
    expect(head('embedded')).toMatch(/ · topology embedded \(captured in process, no pipeline\)$/);
  });

  it('renders a table with expected vs found, problems once each, queries and the verdict', () => {
    const text = renderReport(report, plain);
    expect(text).toMatch(/a<&>"\s+exact counts per status\s+✗\s+200:2\s+200:1/);
    expect(text).toMatch(/\nb\s+tenant isolation\s+–\s+x\s+not testable/);
    expect(text.match(/status 200: 1 request\(s\) recorded/g)).toHaveLength(1);
    expect(text).toMatch(
      /Queries \(--explain\):\n {2}POST http:\/\/x\/prometheus\/api\/v1\/query {2}X-Scope-OrgID: b/,
    );
    expect(text.trimEnd().split('\n').at(-1)).toBe(
      'FAIL run r1: 2 of 4 checks failed when the timeout ended (5.0 s, 3 poll(s))',
    );
  });

  it("a sharded verify gives the shards' real starts as one line (report.shardStarts)", () => {
    const shardStarts =
      "the 2 shards' real starts spread over 3 ms (first shard 0/2 at 2026-12-03T10:00:00.000Z, last shard 1/2); planned start 2026-12-03T10:00:00.000Z, the latest shard 3 ms late for it";
    const lines = renderReport({ ...report, shardStarts }, plain).split('\n');
    expect(lines.filter((l) => l.includes('real starts'))).toEqual([`shard starts: ${shardStarts}`]);
    expect(renderReport(report, plain)).not.toContain('shard starts:');
  });

  it('JUnit: one testcase per tenant × check, failures and skips, valid XML with escaping', () => {
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      renderJunit(report),
    );
    const suite = xml.testsuites.testsuite;
    expect(suite).toMatchObject({ tests: '4', failures: '2', skipped: '1' });
    expect(suite.testcase.map((t: { name: string }) => t.name)).toEqual([
      'a<&>": exact counts per status',
      'a<&>": series present',
      'b: tenant isolation',
      'b: metric names',
    ]);
    expect(suite.testcase[0].failure.message).toBe('status 200: 1 request(s) recorded, expected 2 & <more>');
    expect(suite.testcase[0].failure['#text']).toMatch(/expected: 200:2\nfound: 200:1/);
    expect(suite.testcase[2].skipped).toBeDefined();
    expect(suite.testcase[3].failure).toBeUndefined();
  });

  it('progress names the green tenants and what is still awaited', () => {
    const line = renderProgress({
      type: 'poll',
      attempt: 2,
      elapsedMs: 1500,
      results: report.results,
      greenTenants: ['b'],
      tenants: ['a<&>"', 'b'],
    });
    expect(line).toBe(
      'verify: 1.5s poll 2: 1/2 tenant(s) green (b) · waiting: a<&>": status 200: 1 request(s) recorded, expected 2 & <more>',
    );
  });

  describe('an interrupted verify', () => {
    const interrupted: VerifyReport = {
      ...report,
      timedOut: false,
      interrupted: true,
      results: undecidedResults(report.results, report.tenants),
    };

    it('keeps what passed, marks the rest undecided, and says INTERRUPTED', () => {
      expect(interrupted.results.map((r) => [r.check, r.ok, r.undecided ?? false])).toEqual([
        ['counts', false, true],
        ['presence', false, true],
        ['isolation', true, false],
        ['names', true, false],
      ]);
      const text = renderReport(interrupted, plain);
      expect(text).toMatch(/a<&>"\s+exact counts per status\s+\?\s+200:2\s+200:1/);
      expect(text).not.toMatch(/Problems:/);
      expect(text).toMatch(/Still awaited when interrupted \(last poll\):\n {2}\? a<&>" · exact counts/);
      expect(text.trimEnd().split('\n').at(-1)).toBe(
        'INTERRUPTED run r1: 2 of 4 checks passed, 2 not decided when verify was interrupted (5.0 s, 3 poll(s))',
      );
    });

    it('JUnit: undecided checks are errors of type "interrupted", not failures', () => {
      const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
        renderJunit(interrupted),
      );
      const suite = xml.testsuites.testsuite;
      expect(suite).toMatchObject({ tests: '4', failures: '0', errors: '2', skipped: '1' });
      expect(suite.testcase[0].failure).toBeUndefined();
      expect(suite.testcase[0].error).toMatchObject({
        type: 'interrupted',
        message: 'interrupted before this check was decided',
      });
      expect(suite.testcase[0].error['#text']).toMatch(/last poll:\nexpected: 200:2\nfound: 200:1/);
      expect(suite.properties.property).toContainEqual({ name: 'interrupted', value: 'true' });
    });

    it('before any answer, every tenant × check is undecided', () => {
      const none = undecidedResults([], ['t1']);
      expect(none).toHaveLength(7);
      expect(none.every((r) => r.undecided && !r.ok)).toBe(true);
      expect(none[0]!.found).toBe('not checked: interrupted before the backend answered');
    });
  });

  describe('the settle window', () => {
    const green = report.results.map((r) => ({ ...r, ok: true, problems: [] }));
    const passed: VerifyReport = {
      ...report,
      ok: true,
      timedOut: false,
      queries: undefined,
      results: green,
      elapsedMs: 8_400,
      greenForMs: 6_000,
      visibleAfterMs: 2_400,
    };

    it('a pass says how long every check stayed green, the window and when the data became visible', () => {
      expect(renderReport(passed, plain).trimEnd().split('\n').at(-1)).toBe(
        "PASS run r1: 3 checks passed, 1 not testable, for 2 tenant(s), green for 6.0 s (settle window 6.0 s: the run's export interval (1s) + 5s); data visible after 2.4 s (8.4 s, 3 poll(s))",
      );
      expect(verdictLine({ ...passed, settleMs: 0, greenForMs: 0, settleWhy: '--settle' }, plain)).toMatch(
        /, no settle window \(--settle\); data visible after 2\.4 s/,
      );
    });

    it('a check that went red in the window fails the run, named with when it flapped', () => {
      const flapped: VerifyReport = {
        ...report,
        queries: undefined,
        visibleAfterMs: 2_400,
        flaps: [
          {
            tenant: 'a<&>"',
            check: 'counts',
            atMs: 4_100,
            greenSinceMs: 2_400,
            problem: 'status 200: 3 request(s) recorded, expected 2 (more than were sent)',
          },
        ],
      };
      const text = renderReport(flapped, plain);
      expect(text).toMatch(
        /Went red after every check had passed \(settle window\):\n {2}✗ a<&>" · exact counts per status at 4\.1 s \(all green since 2\.4 s\): status 200: 3 request/,
      );
      expect(text.trimEnd().split('\n').at(-1)).toBe(
        'FAIL run r1: 2 of 4 checks failed when the timeout ended (5.0 s, 3 poll(s)) — a<&>" · exact counts per status went red at 4.1 s, after every check had been green since 2.4 s',
      );
    });

    it('progress says the run is settling, and an interrupt in the window says how far it got', () => {
      expect(
        renderProgress({
          type: 'poll',
          attempt: 4,
          elapsedMs: 3_500,
          results: green,
          greenTenants: ['a<&>"', 'b'],
          tenants: ['a<&>"', 'b'],
          settling: { greenForMs: 1_100, settleMs: 6_000 },
        }),
      ).toBe('verify: 3.5s poll 4: all 2 tenant(s) green · settling: green for 1.1 s of 6.0 s');
      expect(verdictLine({ ...passed, ok: false, interrupted: true, greenForMs: 1_100 }, plain)).toBe(
        'INTERRUPTED run r1: 4 of 4 checks passed, 0 not decided when verify was interrupted; all green for 1.1 s of the 6.0 s settle window (8.4 s, 3 poll(s))',
      );
      expect(
        interruptedVerifyMessage({ ...passed, ok: false, interrupted: true, greenForMs: 1_100 }, 'v.xml'),
      ).toBe(
        'verify interrupted in the settle window: all 4 checks green for 1.1 s of 6.0 s; the report says so (also in v.xml)',
      );
    });
  });
});
