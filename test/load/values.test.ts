import { describe, expect, it } from 'vitest';

import { parsePercent, parseRate, parseStatusMix, parseTarget } from '../../src/load/values.js';
import { ValueProblem } from '../../src/util/value-problem.js';

describe('load values', () => {
  it('rates: numbers > 0 or max', () => {
    expect(parseRate('50')).toBe(50);
    expect(parseRate('2.5')).toBe(2.5);
    expect(parseRate('max')).toBe('max');
    for (const bad of ['-1', '0', 'fast', '', '1e3']) expect(() => parseRate(bad)).toThrow(ValueProblem);
  });

  it('status mixes', () => {
    expect(parseStatusMix('200:85, 404:10,500:5')).toEqual([
      { status: 200, weight: 85 },
      { status: 404, weight: 10 },
      { status: 500, weight: 5 },
    ]);
    expect(parseStatusMix('204')).toEqual([{ status: 204, weight: 1 }]);
    for (const bad of ['200:abc', '199:1', '600:1', '200:0', '200:1,200:2', '', 'abc'])
      expect(() => parseStatusMix(bad)).toThrow(ValueProblem);
  });

  it('percentages', () => {
    expect(parsePercent('10%')).toBe(10);
    expect(parsePercent('0.5')).toBe(0.5);
    expect(() => parsePercent('101%')).toThrow(ValueProblem);
    expect(() => parsePercent('-1%')).toThrow(ValueProblem);
  });

  it('targets: any http(s) URL, /api appended when no path', () => {
    expect(parseTarget('http://127.0.0.1:8088')).toBe('http://127.0.0.1:8088/api');
    expect(parseTarget('http://localhost:1/x?y=1')).toBe('http://localhost:1/x?y=1');
    expect(parseTarget('http://[::1]:80/api')).toBe('http://[::1]/api');
    expect(parseTarget('http://10.0.0.1/api')).toBe('http://10.0.0.1/api');
    expect(parseTarget('https://otelpoc.staging.example:8443')).toBe(
      'https://otelpoc.staging.example:8443/api',
    );
    for (const bad of ['ftp://127.0.0.1/', 'nope', 'http://u:p@127.0.0.1/'])
      expect(() => parseTarget(bad)).toThrow(ValueProblem);
  });
});
