import { describe, expect, it } from 'vitest';
import {
  formatDurationMs,
  MAX_DURATION_MS,
  MAX_TIMER_MS,
  parseDelayRange,
  parseDurationMs,
} from '../../src/util/duration.js';
import { UsageError } from '../../src/util/errors.js';

describe('parseDelayRange', () => {
  it.each([
    ['0', 0, 0],
    ['50ms', 50, 50],
    ['1s', 1000, 1000],
    ['10-20ms', 10, 20],
    ['0-500ms', 0, 500],
    ['1-2s', 1000, 2000],
    ['250', 250, 250],
    ['0.5s', 500, 500],
  ])('%s → %d..%d ms', (text, minMs, maxMs) => {
    expect(parseDelayRange(text)).toEqual({ minMs, maxMs });
  });

  it.each(['', 'fast', '-5ms', '20-10ms', '1m', '10ms-1s', '1-2-3ms'])(
    'rejects "%s" naming the flag',
    (text) => {
      expect(() => parseDelayRange(text)).toThrow(UsageError);
      expect(() => parseDelayRange(text)).toThrow(/^--delay: /);
    },
  );
});

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1500', 1500],
  ])('%s → %d', (text, ms) => expect(parseDurationMs(text, '--duration')).toBe(ms));

  it('rejects zero unless allowed, and garbage', () => {
    expect(() => parseDurationMs('0s', '--duration')).toThrow(
      '--duration: expected a duration like 500ms, 30s or 2m (greater than 0), got "0s"',
    );
    expect(parseDurationMs('0s', '--grace', { allowZero: true })).toBe(0);
    expect(() => parseDurationMs('soon', '--timeout')).toThrow(/^--timeout: /);
  });

  it.each([
    ['999h', '--export-interval: expected a duration of at most 576h (24 days), got "999h"'],
    ['577h', '--export-interval: expected a duration of at most 576h (24 days), got "577h"'],
    ['0.4ms', '--export-interval: expected a duration of at least 1ms, got "0.4ms"'],
  ])('bounds %s to what a timer can wait', (text, message) => {
    expect(() => parseDurationMs(text, '--export-interval')).toThrow(message);
  });

  it('takes the limits themselves, and a tighter maximum', () => {
    expect(parseDurationMs('576h', '--duration')).toBe(MAX_DURATION_MS);
    expect(MAX_DURATION_MS).toBeLessThan(MAX_TIMER_MS);
    expect(parseDurationMs('1ms', '--duration')).toBe(1);
    expect(() => parseDurationMs('2s', '--x', { maxMs: 1000 })).toThrow(
      '--x: expected a duration of at most 1s, got "2s"',
    );
  });

  it('bounds --delay to an hour', () => {
    expect(parseDelayRange('3600s')).toEqual({ minMs: 3_600_000, maxMs: 3_600_000 });
    expect(() => parseDelayRange('3000000s')).toThrow(
      '--delay: expected a delay of at most 1h, got "3000000s"',
    );
    expect(() => parseDelayRange('0-3601s')).toThrow('--delay: expected a delay of at most 1h');
  });

  it('formats for humans', () => {
    expect(formatDurationMs(250)).toBe('250ms');
    expect(formatDurationMs(10_000)).toBe('10s');
    expect(formatDurationMs(90_000)).toBe('1m30s');
    expect(formatDurationMs(5_400_000)).toBe('1h30m');
    expect(formatDurationMs(MAX_DURATION_MS)).toBe('576h');
  });
});
