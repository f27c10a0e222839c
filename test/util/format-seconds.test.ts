/** The one seconds formatter of the reports, the canary and the signal handling. */
import { describe, expect, it } from 'vitest';
import { formatSeconds } from '../../src/util/duration.js';

describe('formatSeconds', () => {
  it('one decimal, or trimmed of a trailing .0', () => {
    expect(formatSeconds(2000)).toBe('2.0 s');
    expect(formatSeconds(1234)).toBe('1.2 s');
    expect(formatSeconds(2000, { trim: true })).toBe('2 s');
    expect(formatSeconds(1250, { trim: true })).toBe('1.3 s');
  });
});
