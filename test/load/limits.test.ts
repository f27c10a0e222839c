/** The bounds of load's values (rates, weights, durations) and the flags that contradict each other. */
import { describe, expect, it } from 'vitest';

import { resolveLoadConfig } from '../../src/load/config.js';

import { TrafficMix } from '../../src/load/mix.js';

import { parseScenarioText } from '../../src/load/scenario.js';

import {
  buildTenantWeights,
  integerStatusMix,
  parsePercent,
  parseRate,
  parseStatusMix,
  parseWeights,
} from '../../src/load/values.js';
import { UsageError } from '../../src/util/errors.js';
import { ValueProblem } from '../../src/util/value-problem.js';

const id = () => 'rid';

function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValueProblem || err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('expected a problem');
}

describe('rates', () => {
  it('from 0.001 to 100000 req/s, or max', () => {
    expect(parseRate('0.001')).toBe(0.001);
    expect(parseRate('100000')).toBe(100_000);
    for (const bad of ['0.0000001', '0.0009', '100001', '9999999999999999999999'])
      expect(problem(() => parseRate(bad))).toBe(
        'expected a number from 0.001 to 100000 (requests per second) or "max"',
      );
  });
});

describe('weights', () => {
  it('at most 6 decimal places, from 0.000001 to 1000000', () => {
    expect(parseWeights('0.000001,1000000')).toEqual([0.000001, 1_000_000]);
    expect(parseStatusMix('200:0.000001,404:1')).toHaveLength(2);
    for (const bad of ['0.0000001,1', '1000001,1', '0.0000000,1']) {
      expect(problem(() => parseWeights(bad))).toMatch(/^expected weights|each from 0\.000001/);
    }
    expect(problem(() => parseStatusMix('200:0.0000001,404:1'))).toBe(
      'expected status:weight pairs with each weight from 0.000001 to 1000000, with at most 6 decimal places',
    );
    expect(problem(() => parsePercent('0.0000001', { share: true }))).toMatch(/at most 6 decimal places/);
    expect(parsePercent('0.0000001')).toBe(0.0000001); // thresholds are not scaled
  });

  it('the smallest weights stay > 0 and exact in the round robin', () => {
    const tenants = buildTenantWeights(['a', 'b'], [0.000001, 1], 0);
    expect(tenants.map((t) => t.weight)).toEqual([1, 1_000_000]);
    const mix = integerStatusMix(parseStatusMix('200:0.000001,404:1'));
    expect(mix.map((m) => m.weight)).toEqual([1, 1_000_000]);
    const traffic = new TrafficMix(tenants, [mix]);
    const counts = new Map<number, number>();
    for (let i = 0; i < 1_000_001; i++) {
      const s = traffic.next().status;
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    expect(counts.get(200)).toBe(1);
    expect(counts.get(404)).toBe(1_000_000);
  });

  it('anonymous shares with decimals stay exact; ratios too fine to keep exact are refused', () => {
    const t = buildTenantWeights(['a', 'b'], [1, 3], 12.5);
    const total = t.reduce((s, x) => s + x.weight, 0);
    expect(t.find((x) => x.clientId === null)!.weight / total).toBe(0.125);
    const many = Array.from({ length: 10_000 }, (_, i) => `t${i}`);
    const weights = many.map((_, i) => (i % 2 ? 999_999.999999 : 0.000001));
    expect(problem(() => buildTenantWeights(many, weights, 0.000001))).toMatch(/use fewer decimal places/);
  });
});

describe('resolveLoadConfig: conflicts and runs that cannot be honoured', () => {
  it.each([
    [
      { connections: 5 },
      '--connections and the default --rps 50: connections are for the closed model (--rps max); the open model bounds concurrency with --max-inflight',
    ],
    [{ connections: 5, rate: 20 }, /^--connections and --rps 20: /],
    [
      { rate: 'max' as const, maxInflight: 5 },
      '--max-inflight and --rps max: the in-flight cap is for the open model; the closed model (--rps max) runs --connections loops, give one of them',
    ],
    [
      { rate: 0.001, requests: 3000 },
      /^--requests 3000 at --rps 0\.001: the last request would be due after \d+h\d*m?, more than the 576h \(24 days\) a run may last/,
    ],
  ])('%j → one line naming the flags', (flags, message) => {
    expect(() => resolveLoadConfig(flags, undefined, id)).toThrow(message);
    expect(problem(() => resolveLoadConfig(flags, undefined, id))).not.toContain('\n');
  });

  it('a run at the lowest rate within 24 days is fine', () => {
    expect(resolveLoadConfig({ rate: 0.001, requests: 2 }, undefined, id).requests).toBe(2);
  });

  it('a scenario whose --duration ends before the first request is due is refused', () => {
    const spec = parseScenarioText(
      'stages:\n  - {duration: 10s, rate: 0}\n  - {duration: 10s, rate: 5}\n',
      'x.yaml',
    );
    expect(() => resolveLoadConfig({ durationMs: 5000 }, { name: 'x.yaml', spec }, id)).toThrow(
      '--duration: 5s ends before the first request is due; nothing would be sent',
    );
    expect(resolveLoadConfig({ durationMs: 10_001 }, { name: 'x.yaml', spec }, id).durationMs).toBe(10_001);
  });

  it('stages lasting more than 24 days in all are refused', () => {
    const spec = parseScenarioText(
      'stages:\n  - {duration: 300h, rate: 1}\n  - {duration: 300h, rate: 1}\n',
      'x.yaml',
    );
    expect(() => resolveLoadConfig({}, { name: 'x.yaml', spec }, id)).toThrow(
      'x.yaml: stages: they last 600h in all, more than the 576h (24 days) a run may last',
    );
  });

  it("a scenario's connections with the open model are refused, unless a flag set the model", () => {
    const spec = parseScenarioText('connections: 5\nduration: 1s\n', 'x.yaml');
    expect(() => resolveLoadConfig({}, { name: 'x.yaml', spec }, id)).toThrow(
      /^x\.yaml: connections and the default --rps 50: /,
    );
    expect(resolveLoadConfig({ rate: 'max' }, { name: 'x.yaml', spec }, id).connections).toBe(5);
  });

  it('weights too fine to keep exact name the flag', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `t${i}`);
    const tenantWeights = many.map((_, i) => (i % 2 ? 999_999.999999 : 0.000001));
    expect(() =>
      resolveLoadConfig({ clientIds: many, tenantWeights, anonymousPercent: 0.000001 }, undefined, id),
    ).toThrow(/^--tenant-weights: expected weights whose ratios fit/);
  });
});

describe('scenario files: the same bounds as the flags', () => {
  function problems(yaml: string): string[] {
    try {
      parseScenarioText(yaml, 'x.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message.split('\n');
    }
    throw new Error('expected a UsageError');
  }

  it.each([
    [
      'statusMix: {200: 0.0000001, 404: 1}\nrate: 5\n',
      'x.yaml: statusMix: expected status:weight pairs with each weight from 0.000001 to 1000000, with at most 6 decimal places, got {"200":1e-7,"404":1}',
    ],
    [
      'tenants: 2\ntenantWeights: [0.0000001, 1]\nrate: 5\n',
      /^x\.yaml: tenantWeights: expected weights separated by commas/,
    ],
    ['rate: 0.0000001\n', /^x\.yaml: rate: expected a number from 0\.001 to 100000/],
    [
      'stages:\n  - {duration: 1s, rate: 0.0000001}\n',
      /^x\.yaml: stages\[0\]\.rate: expected 0 or a number from 0\.001/,
    ],
    [
      'stages:\n  - {duration: 1s, rate: 1, rampTo: 200000}\n',
      /^x\.yaml: stages\[0\]\.rampTo: expected 0 or a number/,
    ],
    [
      'rate: 5\nduration: 999h\n',
      'x.yaml: duration: expected a duration of at most 576h (24 days), got "999h"',
    ],
    ['rate: 5\nduration: 0.4ms\n', 'x.yaml: duration: expected a duration of at least 1ms, got "0.4ms"'],
    ['rate: 5\ntimeout: 999h\n', /^x\.yaml: timeout: expected a duration of at most 576h/],
    [
      'rate: 5\nanonymous: 0.0000001%\n',
      /^x\.yaml: anonymous: expected a percentage .* at most 6 decimal places/,
    ],
    ['rate: 5\nconnections: 3\n', /^x\.yaml: connections: only with rate: max/],
    ['stages:\n  - {duration: 1s, rate: 1}\nconnections: 3\n', /^x\.yaml: connections: only with rate: max/],
    ['rate: max\nmaxInflight: 3\n', /^x\.yaml: maxInflight: only with the open model/],
  ])('%j is refused, one line', (yaml, message) => {
    const lines = problems(yaml);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      typeof message === 'string' ? new RegExp(`^${escapeRegExp(message)}$`) : message,
    );
  });

  it('a pause (rate 0) and the bounds themselves are fine', () => {
    expect(() =>
      parseScenarioText(
        'stages:\n  - {duration: 1s, rate: 0}\n  - {duration: 576h, rate: 0.001, rampTo: 100000}\n',
        'x.yaml',
      ),
    ).not.toThrow();
  });
});

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
