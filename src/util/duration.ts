import { UsageError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/**
 * Parses "250ms", "30s", "2m", "1h" or a bare number of milliseconds into milliseconds.
 * `what` names the input in the error ("--duration").
 */
export function parseDurationMs(text: string, what: string, opts: { allowZero?: boolean } = {}): number {
  const m = DURATION.exec(text.trim());
  const value = m ? Number(m[1]) * UNIT_MS[m[2] ?? 'ms']! : Number.NaN;
  if (!Number.isFinite(value) || (!opts.allowZero && value <= 0)) {
    throw new UsageError(
      `${what}: expected a duration like 500ms, 30s or 2m${opts.allowZero ? '' : ' (greater than 0)'}, got "${text}"`,
    );
  }
  return Math.round(value);
}

export interface DelayRange {
  minMs: number;
  maxMs: number;
}

/**
 * Parses a response delay: "0", "50ms", "1s" (fixed) or "10-20ms", "0-500ms", "1-2s" (uniform range).
 * A range's unit applies to both ends.
 */
export function parseDelayRange(text: string, what = '--delay'): DelayRange {
  const m = /^(\d+(?:\.\d+)?)(?:(ms|s)?-(\d+(?:\.\d+)?))?(ms|s)?$/.exec(text.trim());
  const fail = () =>
    new UsageError(`${what}: expected a delay like 0, 50ms, 1s or a range like 0-500ms, got "${text}"`);
  if (!m) throw fail();
  const [, a, unitA, b, unitB] = m;
  const unit = UNIT_MS[unitB ?? unitA ?? 'ms']!;
  if (unitA && unitB && unitA !== unitB) throw fail();
  const minMs = Number(a) * (UNIT_MS[unitA ?? unitB ?? 'ms'] ?? unit);
  const maxMs = b === undefined ? minMs : Number(b) * unit;
  if (maxMs < minMs)
    throw new UsageError(`${what}: the range's upper end is below its lower end in "${text}"`);
  return { minMs, maxMs };
}

export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s ? `${m}m${s}s` : `${m}m`;
}
