import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/**
 * The longest a Node timer can wait (2^31 − 1 ms, about 24.8 days). A longer setTimeout does not
 * wait longer: Node warns (TimeoutOverflowWarning) and fires after 1 ms, which once turned
 * `--export-interval 999h` into thousands of exports a second. See Clock for long waits.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The longest duration any flag, variable or scenario field takes: 24 days, a round number below
 * MAX_TIMER_MS, so that every duration can be one timer (export interval, timeouts) and every run
 * ends within it.
 */
export const MAX_DURATION_MS = 24 * 24 * 3_600_000;

/** The longest response delay of serve's --delay: a request held longer is a hang, not a delay. */
export const MAX_DELAY_MS = 3_600_000;

const EXPECTED = 'a duration like 500ms, 30s or 2m';

export interface DurationOptions {
  /** Allow 0 (default: the duration must be at least 1 ms). */
  allowZero?: boolean;
  /** Upper bound in ms (default MAX_DURATION_MS). */
  maxMs?: number;
}

/**
 * Reads "250ms", "30s", "2m", "1h" or a bare number of milliseconds, rounded to whole ms. Returns the
 * milliseconds, or what was expected instead (for callers that name the input their own way).
 */
export function readDurationMs(text: string, opts: DurationOptions = {}): number | { expected: string } {
  const maxMs = opts.maxMs ?? MAX_DURATION_MS;
  const m = DURATION.exec(text.trim());
  const value = m ? Number(m[1]) * UNIT_MS[m[2] ?? 'ms']! : Number.NaN;
  if (!Number.isFinite(value) || (!opts.allowZero && value <= 0)) {
    return { expected: `${EXPECTED}${opts.allowZero ? '' : ' (greater than 0)'}` };
  }
  const ms = Math.round(value);
  // 0.4ms would round to 0: a run or timeout of no time at all.
  if (!opts.allowZero && ms < 1) return { expected: 'a duration of at least 1ms' };
  if (ms > maxMs) return { expected: `a duration of at most ${formatLimit(maxMs)}` };
  return ms;
}

/**
 * Parses "250ms", "30s", "2m", "1h" or a bare number of milliseconds into milliseconds, at most
 * `opts.maxMs` (24 days by default). `what` names the input in the error ("--duration").
 */
export function parseDurationMs(text: string, what: string, opts: DurationOptions = {}): number {
  const r = readDurationMs(text, opts);
  if (typeof r !== 'number') throw new UsageError(`${what}: expected ${r.expected}, got ${quote(text)}`);
  return r;
}

export interface DelayRange {
  minMs: number;
  maxMs: number;
}

/**
 * Parses a response delay: "0", "50ms", "1s" (fixed) or "10-20ms", "0-500ms", "1-2s" (uniform range).
 * A range's unit applies to both ends. At most MAX_DELAY_MS.
 */
export function parseDelayRange(text: string, what = '--delay'): DelayRange {
  const m = /^(\d+(?:\.\d+)?)(?:(ms|s)?-(\d+(?:\.\d+)?))?(ms|s)?$/.exec(text.trim());
  const fail = () =>
    new UsageError(`${what}: expected a delay like 0, 50ms, 1s or a range like 0-500ms, got ${quote(text)}`);
  if (!m) throw fail();
  const [, a, unitA, b, unitB] = m;
  const unit = UNIT_MS[unitB ?? unitA ?? 'ms']!;
  if (unitA && unitB && unitA !== unitB) throw fail();
  const minMs = Number(a) * (UNIT_MS[unitA ?? unitB ?? 'ms'] ?? unit);
  const maxMs = b === undefined ? minMs : Number(b) * unit;
  if (maxMs < minMs)
    throw new UsageError(`${what}: the range's upper end is below its lower end in ${quote(text)}`);
  if (maxMs > MAX_DELAY_MS) {
    throw new UsageError(
      `${what}: expected a delay of at most ${formatLimit(MAX_DELAY_MS)}, got ${quote(text)}`,
    );
  }
  return { minMs, maxMs };
}

/** Milliseconds as seconds with one decimal ("2.0 s"), or with `trim` without a trailing ".0" ("2 s"). */
export function formatSeconds(ms: number, opts: { trim?: boolean } = {}): string {
  const s = (ms / 1000).toFixed(1);
  return `${opts.trim ? Number(s) : s} s`;
}

export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  if (ms >= 3_600_000) {
    const h = Math.floor(ms / 3_600_000);
    const m = Math.round((ms % 3_600_000) / 60_000);
    return m ? `${h}h${m}m` : `${h}h`;
  }
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m}m${s}s` : `${m}m`;
}

/** "576h (24 days)" for limits of a day or more, else the plain duration. */
function formatLimit(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1 && Number.isInteger(days)
    ? `${formatDurationMs(ms)} (${days} days)`
    : formatDurationMs(ms);
}

/** The input as typed, JSON-quoted so that a control character cannot split the one-line message. */
function quote(text: string): string {
  return JSON.stringify(text);
}
