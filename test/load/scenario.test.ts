/** Scenario files: validation errors name file + path; every shipped scenario parses and resolves. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLoadConfig } from '../../src/load/config.js';
import { loadScenario, parseScenarioText, shippedScenarioNames } from '../../src/load/scenario.js';
import { UsageError } from '../../src/util/errors.js';

function problems(yaml: string, source = 'scenarios/x.yaml'): string[] {
  try {
    parseScenarioText(yaml, source);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message.split('\n');
  }
  throw new Error('expected a UsageError');
}

describe('scenario validation', () => {
  it('names the file and path of each problem, one line each, with the bad input', () => {
    expect(problems('stages:\n  - duration: 5s\n    rate: 10\n  - duration: 5s\n    rate: fast\n')).toEqual([
      'scenarios/x.yaml: stages[1].rate: expected a number ≥ 0, got "fast"',
    ]);
    expect(
      problems(
        [
          'stages:',
          '  - duration: soon',
          '    rate: -3',
          '    rat: 3',
          'tenants: 0',
          'statusMix: 200:abc',
          'anonymous: 120%',
          'bogus: 1',
        ].join('\n'),
      ),
    ).toEqual([
      'scenarios/x.yaml: stages[0].duration: expected a duration like 500ms, 30s or 2m, got "soon"',
      'scenarios/x.yaml: stages[0].rate: expected a number ≥ 0, got -3',
      'scenarios/x.yaml: stages[0]: unknown field "rat"; allowed: duration, rate, rampTo, statusMix',
      'scenarios/x.yaml: tenants: expected an integer from 1 to 10000, got 0',
      'scenarios/x.yaml: anonymous: expected a percentage from 0 up to 100, like 10%, got "120%"',
      'scenarios/x.yaml: statusMix: expected status:weight pairs like 200:85,404:10,500:5 (status 200-599, weight > 0), got "200:abc"',
      expect.stringMatching(
        /^scenarios\/x\.yaml: \(top level\): unknown field "bogus"; allowed: description, /,
      ),
    ]);
  });

  it('refuses hex, octal and binary numbers, as the flags do, and numbers past the float range', () => {
    expect(
      problems('tenants: 0x10\nrate: 1e400\nrequests: 0o17\nstages:\n  - {duration: 1s, rate: .inf}\n'),
    ).toEqual([
      'scenarios/x.yaml: tenants: expected a decimal number (as the flags take), got 0x10',
      'scenarios/x.yaml: rate: expected a finite number, got 1e400',
      'scenarios/x.yaml: requests: expected a decimal number (as the flags take), got 0o17',
      'scenarios/x.yaml: stages[0].rate: expected a finite number, got .inf',
    ]);
    // Decimal numbers, exponents within range included, are still numbers.
    expect(() => parseScenarioText('tenants: 16\nrate: 1e2\nrequests: 10\n', 'x.yaml')).not.toThrow();
  });

  it('an alias bomb is one line naming the file, not an internal error', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...['b', 'c', 'd', 'e', 'f', 'g'].map((k, i) => {
        const prev = 'abcdefg'[i]!;
        return `${k}: &${k} [${Array(9).fill(`*${prev}`).join(', ')}]`;
      }),
    ].join('\n');
    expect(problems(bomb)).toEqual([
      'scenarios/x.yaml: not valid YAML: its aliases (*name) expand to too many nodes (more than 100 uses); write the values out',
    ]);
  });

  it('reports a missing field, a wrong type, YAML syntax errors and conflicts', () => {
    expect(problems('stages:\n  - rate: 5\n')).toEqual([
      'scenarios/x.yaml: stages[0].duration: expected a duration like 500ms, 30s or 2m, got nothing',
    ]);
    expect(problems('stages: 5\n')).toEqual(['scenarios/x.yaml: stages: expected a list of stages, got 5']);
    expect(problems('stages: [\n')[0]).toMatch(
      /^scenarios\/x\.yaml: not valid YAML: .* at line \d+, column \d+$/,
    );
    expect(problems('rate: 5\nstages:\n  - {duration: 1s, rate: 1}\n')).toEqual([
      'scenarios/x.yaml: rate: give either rate or stages, not both',
    ]);
    expect(problems('tenants: [a, b]\ntenantWeights: [1]\n')).toEqual([
      'scenarios/x.yaml: tenantWeights: expected 2 weights (one per tenant), got 1',
    ]);
  });

  it.each([
    ['rate: [1]', 'rate: expected a number from 0.001 to 100000 (requests per second) or "max", got [1]'],
    ['requests: 1.5', 'requests: expected an integer from 1 to 100000000, got 1.5'],
    [
      'tenants: x',
      'tenants: expected a number of tenants from 1 to 10000, or a list of Client-ID values, got "x"',
    ],
    ['tenants: [a, a]', 'tenants: expected distinct tenant IDs (one is repeated), got ["a","a"]'],
    [
      'tenantWeights: {a: 1}',
      'tenantWeights: expected a list of weights > 0, like [5, 1, 1] or "5,1,1", got {"a":1}',
    ],
    [
      'tenantWeights: [1, -1]',
      'tenantWeights: expected weights > 0 separated by commas, like 5,1,1, got [1,-1]',
    ],
    [
      'thresholds: {maxErrorRate: lots}',
      'thresholds.maxErrorRate: expected a percentage from 0 up to 100, like 10%, got "lots"',
    ],
    [
      'anonymous: 0.0000001',
      'anonymous: expected a percentage from 0 up to 100 with at most 6 decimal places, like 10%, got 1e-7',
    ],
    ['timeout: 30', 'timeout: expected a duration like 500ms, 30s or 2m, got 30'],
    [
      'statusMix: {200: x}',
      'statusMix: expected status:weight pairs like 200:85,404:10,500:5 (status 200-599, weight > 0), got {"200":"x"}',
    ],
    ['description: [1]', 'description: expected text, got [1]'],
    [
      'startAt: tomorrow',
      'startAt: expected an RFC 3339 time with a zone, like 2026-12-03T10:00:00Z or 2026-12-03T11:00:00.250+01:00, got "tomorrow"',
    ],
    [
      'startAt: 2026-12-03T10:00:00',
      'startAt: expected an RFC 3339 time with a zone, like 2026-12-03T10:00:00Z or 2026-12-03T11:00:00.250+01:00, got "2026-12-03T10:00:00"',
    ],
    [
      'startAt: 1764756000',
      'startAt: expected an RFC 3339 time with a zone, like 2026-12-03T10:00:00Z or 2026-12-03T11:00:00.250+01:00, got 1764756000',
    ],
    [
      'workers: 0',
      'workers: expected an integer from 1 to 256, or "auto" (the cores, minus one when the server runs in this process), got 0',
    ],
    [
      'workers: many',
      'workers: expected an integer from 1 to 256, or "auto" (the cores, minus one when the server runs in this process), got "many"',
    ],
    [
      'workers: 2.5',
      'workers: expected an integer from 1 to 256, or "auto" (the cores, minus one when the server runs in this process), got 2.5',
    ],
  ])('%j: names the field, what is allowed and the input', (yaml, message) => {
    expect(problems(yaml)).toEqual([`scenarios/x.yaml: ${message}`]);
  });

  it('accepts both status-mix forms and per-stage overrides', () => {
    const spec = parseScenarioText(
      'statusMix: {200: 9, 503: 1}\nstages:\n  - {duration: 2s, rate: 5, rampTo: 10, statusMix: "500"}\n',
      'f.yaml',
    );
    expect(spec.statusMix).toEqual([
      { status: 200, weight: 9 },
      { status: 503, weight: 1 },
    ]);
    expect(spec.stages).toEqual([
      { durationMs: 2000, rate: 5, rampTo: 10, statusMix: [{ status: 500, weight: 1 }] },
    ]);
  });
});

describe('shipped scenarios', () => {
  it('are the six the docs promise', async () => {
    expect(await shippedScenarioNames()).toEqual([
      'error-burst',
      'many-tenants',
      'ramp',
      'smoke',
      'spike',
      'steady',
    ]);
  });

  it.each(['smoke', 'steady', 'ramp', 'spike', 'error-burst', 'many-tenants'])(
    '%s parses and resolves to a bounded plan',
    async (name) => {
      const scenario = await loadScenario(name, process.cwd());
      expect(scenario.description).toBeTruthy();
      const plan = resolveLoadConfig({}, scenario, () => 'r1');
      expect(plan.scenario).toBe(name);
      expect(plan.durationMs).toBeGreaterThan(0);
      expect(plan.durationMs).toBeLessThanOrEqual(60_000);
      expect(plan.model).toBe('open');
      expect(plan.stages.every((s) => s.durationMs !== null)).toBe(true);
    },
  );

  it('flags override file values', async () => {
    const scenario = await loadScenario('steady', process.cwd());
    const plan = resolveLoadConfig({ rate: 7, durationMs: 2000, tenants: 2 }, scenario, () => 'r1');
    expect(plan.stages).toEqual([{ durationMs: 2000, fromPerSec: 7, toPerSec: 7 }]);
    expect(plan.tenants.map((t) => t.clientId)).toEqual(['tenant-1', 'tenant-2']);
    expect(plan.statusMix).toEqual([
      { status: 200, weight: 85 },
      { status: 404, weight: 10 },
      { status: 500, weight: 5 },
    ]);
    expect(plan.thresholds.maxDropRate).toBeCloseTo(0.001, 9);
  });
});

describe('scenario files from a path', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-scn-'));
    await writeFile(join(dir, 'mine.yaml'), 'rate: 20\nduration: 1s\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('startAt and workers: the same values as --start-at and --workers, kept beside the spec', async () => {
    await writeFile(
      join(dir, 'scaled.yaml'),
      'rate: 20\nduration: 1s\nstartAt: 2026-12-03T11:00:00.250+01:00\nworkers: 2\n',
    );
    await writeFile(join(dir, 'auto.yaml'), 'rate: 20\nworkers: auto\n');
    const s = await loadScenario('./scaled.yaml', dir);
    expect(s.startAt).toBe(Date.parse('2026-12-03T10:00:00.250Z'));
    expect(s.workers).toBe(2);
    expect((await loadScenario('./auto.yaml', dir)).workers).toBe('auto');
    const plain = await loadScenario('./mine.yaml', dir);
    expect(plain.startAt).toBeUndefined();
    expect(plain.workers).toBeUndefined();
  });

  it('resolves relative to the working directory; unknown names list the shipped ones', async () => {
    const s = await loadScenario('./mine.yaml', dir);
    expect(s.spec).toMatchObject({ rate: 20, durationMs: 1000 });
    await expect(loadScenario('nope', dir)).rejects.toThrow(
      /^--scenario: no scenario "nope"; shipped: error-burst, many-tenants, ramp, smoke, spike, steady, or give a path to a \.yaml file$/,
    );
  });
});
