/**
 * The canary's alerting rules (stack/alerts/otelpoc-canary.rules.yml): `promtool check rules` accepts
 * them, `promtool test rules` runs their unit tests green, and each unit test is real (a broken copy
 * of its rule turns it red). Without promtool: every alert has a firing and a quiet case, and every
 * metric a rule reads is one of the contract's (src/canary/metric-names.ts, docs/canary-metrics.md).
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CANARY_CHECKS,
  CANARY_METRIC_PREFIX,
  CANARY_METRICS,
  CANARY_SCRAPE_JOB,
  CANARY_SCRAPER_METRICS,
} from '../../src/canary/metric-names.js';
import { ROOT } from '../helpers/cli.js';
import { promtool, promtoolAvailable } from '../helpers/promtool.js';

const ALERTS_DIR = join(ROOT, 'stack/alerts');
const RULES = 'otelpoc-canary.rules.yml';
const RULES_TEST = 'otelpoc-canary.rules.test.yml';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}
interface RuleTestFile {
  rule_files: string[];
  tests: {
    name: string;
    alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: unknown[] }[];
  }[];
}

const rulesText = await readFile(join(ALERTS_DIR, RULES), 'utf8');
const rules = (parse(rulesText) as RuleFile).groups.flatMap((g) => g.rules);
const ruleTests = parse(await readFile(join(ALERTS_DIR, RULES_TEST), 'utf8')) as RuleTestFile;

/**
 * The metric names a PromQL expression selects: identifiers that are not function calls, keywords,
 * label names (inside `{}` or `by (...)`), strings or durations.
 */
function selectedMetricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const keywords = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g)) {
    if (!keywords.has(m[1]!.toLowerCase())) names.add(m[1]!);
  }
  return [...names];
}

/** Every series name the contract allows a query to read: histograms as their `_bucket/_sum/_count`. */
function contractSeriesNames(): Set<string> {
  const names = new Set<string>(Object.values(CANARY_SCRAPER_METRICS).map((m) => m.name));
  for (const m of Object.values(CANARY_METRICS)) {
    if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    else names.add(m.name);
  }
  return names;
}

describe('canary alert rules: structure and contract', () => {
  it('selectedMetricNames finds every metric an expression reads, and nothing else', () => {
    expect(
      selectedMetricNames(
        'sum by (job, instance) (increase(otelpoc_canary_nope_total{job="a b",x=~"y{1}"}[10m])) == 0 and on (job) up offset 5m > 1e3',
      ).sort(),
    ).toEqual(['otelpoc_canary_nope_total', 'up']);
    expect(selectedMetricNames('absent(otelpoc_canary_build_info{job="otelpoc-canary"})')).toEqual([
      'otelpoc_canary_build_info',
    ]);
  });

  it('every metric a rule reads is in the contract (src/canary/metric-names.ts)', () => {
    const allowed = contractSeriesNames();
    const unknown = rules.flatMap((r) =>
      selectedMetricNames(r.expr)
        .filter((n) => !allowed.has(n))
        .map((n) => `${r.alert}: ${n}`),
    );
    expect(unknown).toEqual([]);
    // The check would catch a typo: a name one letter off is not allowed.
    expect(allowed.has('otelpoc_canary_check_okk')).toBe(false);
  });

  it("selects the canary's series by its scrape job, so another target never counts", () => {
    for (const r of rules) {
      expect(r.expr, r.alert).toContain(`job="${CANARY_SCRAPE_JOB}"`);
    }
  });

  it('labels every alert with a severity and explains it (tenant and check named where the series has them)', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(['critical', 'warning'], r.alert).toContain(r.labels?.severity);
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
      const names = selectedMetricNames(r.expr);
      const metrics = Object.values(CANARY_METRICS).filter((m) => names.includes(m.name));
      const perTenant = metrics.some((m) => (m.labels as readonly string[]).includes('tenant'));
      const perCheck = metrics.some((m) => (m.labels as readonly string[]).includes('check'));
      if (perTenant && !/\bsum\b|\bmax\b|\bmin\b|\bavg\b|\bcount\b/.test(r.expr)) {
        expect(r.annotations!.summary, r.alert).toContain('{{ $labels.tenant }}');
        expect(r.annotations!.description, r.alert).toContain('{{ $labels.tenant }}');
      }
      if (perCheck && !/\bsum\b/.test(r.expr)) {
        expect(r.annotations!.summary, r.alert).toContain('{{ $labels.check }}');
      }
    }
  });

  it('has, for every alert, a unit-test case where it fires and one where it does not', () => {
    expect(ruleTests.rule_files).toEqual([RULES]);
    const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const r of rules) {
      const mine = cases.filter((c) => c.alertname === r.alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${r.alert}: no case where it fires`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${r.alert}: no case where it stays quiet`,
      ).toBe(true);
    }
    // And no case tests an alert that does not exist.
    expect(cases.filter((c) => !rules.some((r) => r.alert === c.alertname))).toEqual([]);
  });

  it('docs/canary-metrics.md documents exactly the metrics, types and labels of src/canary/metric-names.ts', async () => {
    const doc = await readFile(join(ROOT, 'docs/canary-metrics.md'), 'utf8');
    for (const m of Object.values(CANARY_METRICS)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${m.name}\``));
      expect(row, `no table row for ${m.name}`).toBeDefined();
      const cells = row!.split('|').map((c) => c.trim());
      expect(cells[2], `${m.name} type`).toBe(m.type);
      const labels = [...cells[3]!.matchAll(/`([a-z_]+)`/g)].map((x) => x[1]);
      expect(labels, `${m.name} labels`).toEqual([...m.labels]);
    }
    // No name in the doc that the code does not have (a histogram by its base name or its series').
    const allowed = new Set([...contractSeriesNames(), ...Object.values(CANARY_METRICS).map((m) => m.name)]);
    const inDoc = [...doc.matchAll(new RegExp(`\\b${CANARY_METRIC_PREFIX}[a-z_]+`, 'g'))].map((x) => x[0]);
    expect(inDoc.filter((n) => !allowed.has(n))).toEqual([]);
    for (const c of CANARY_CHECKS) expect(doc).toContain(`\`${c}\``);
  });
});

const enabled = promtoolAvailable('promtool rules');

describe.skipIf(!enabled)('canary alert rules: promtool', () => {
  it('`promtool check rules` accepts the rule file, lint errors fatal', async () => {
    const res = await promtool(['check', 'rules', '--lint-fatal', join(ALERTS_DIR, RULES)]);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('`promtool test rules` runs the unit tests green', async () => {
    const res = await promtool(['test', 'rules', RULES_TEST], ALERTS_DIR);
    expect(res.code, res.output).toBe(0);
    expect(res.output).toContain('SUCCESS');
  });

  describe('the checks are real', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'otelpoc-rules-'));
      await copyFile(join(ALERTS_DIR, RULES_TEST), join(dir, RULES_TEST));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    /** Writes the rule file, with `from` replaced by `to` in alert `alert`'s rule only, next to the unit tests. */
    async function broken(alert: string, from: string, to: string): Promise<void> {
      const start = rulesText.indexOf(`- alert: ${alert}\n`);
      expect(start, `no rule ${alert}`).toBeGreaterThan(-1);
      const next = rulesText.indexOf('- alert: ', start + 1);
      const end = next === -1 ? rulesText.length : next;
      const block = rulesText.slice(start, end);
      expect(block, `mutation target not found in ${alert}: ${from}`).toContain(from);
      await writeFile(
        join(dir, RULES),
        rulesText.slice(0, start) + block.replace(from, to) + rulesText.slice(end),
      );
    }

    it('`promtool check rules` rejects a broken expression', async () => {
      await broken('OtelpocCanaryCheckFailing', '{job="otelpoc-canary"} == 0', '{ == 0');
      const res = await promtool(['check', 'rules', '--lint-fatal', join(dir, RULES)]);
      expect(res.code).not.toBe(0);
      expect(res.output).toMatch(/parse error|unexpected/i);
    });

    // One mutation per alert, each a plausible mistake that its unit test must catch.
    it.each([
      ['OtelpocCanaryCheckFailing', 'for: 5m', 'for: 4m'],
      ['OtelpocCanaryDeliveryLagHigh', '> 180', '> 250'],
      ['OtelpocCanaryExportsFailing', '> 0.1', '> 1'],
      ['OtelpocCanaryDown', 'up{job="otelpoc-canary"} == 0', 'up == 0'],
      [
        'OtelpocCanaryAbsent',
        'absent(otelpoc_canary_build_info{job="otelpoc-canary"})',
        'absent(otelpoc_canary_build_info)',
      ],
      [
        'OtelpocCanaryStalled',
        'sum by (job, instance) (increase',
        'sum by (job, instance, result) (increase',
      ],
    ])('the unit tests of %s catch a broken rule', async (alert, from, to) => {
      await broken(alert, from, to);
      const res = await promtool(['test', 'rules', RULES_TEST], dir);
      expect(res.code, res.output).not.toBe(0);
      expect(res.output).toContain(`alertname: ${alert}`);
    });
  });
});
