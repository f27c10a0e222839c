import { describe, expect, it } from 'vitest';
import { CardinalityLimiter } from '../../src/server/cardinality.js';

describe('CardinalityLimiter', () => {
  it('admits up to max distinct values, then overflows and says so once', () => {
    const lim = new CardinalityLimiter({ max: 2, overflowValue: '__overflow__' });
    expect(lim.admit('a')).toEqual({ value: 'a', firstOverflow: false });
    expect(lim.admit('b')).toEqual({ value: 'b', firstOverflow: false });
    expect(lim.admit('a')).toEqual({ value: 'a', firstOverflow: false });
    expect(lim.admit('c')).toEqual({ value: '__overflow__', firstOverflow: true });
    expect(lim.admit('d')).toEqual({ value: '__overflow__', firstOverflow: false });
  });

  it('frees values idle for idleMs ("live" run ids)', () => {
    let now = 0;
    const lim = new CardinalityLimiter({ max: 1, overflowValue: 'X', idleMs: 1000, now: () => now });
    expect(lim.admit('run-1').value).toBe('run-1');
    now = 999;
    expect(lim.admit('run-2').value).toBe('X');
    now = 1500; // run-1 last seen at 0: idle for 1500 ms
    expect(lim.admit('run-3').value).toBe('run-3');
    expect(lim.admit('run-1').value).toBe('X');
  });
});
