/**
 * Parsers for the values load takes from flags and scenario files: rates, status mixes, weights,
 * shares. Each returns the parsed value or throws a Problem naming what is allowed; the caller adds
 * where the value came from (a flag name, or a file and path).
 */
import { isValidRunId, RUN_ID_RULE, TENANT_ID_RULE, tenantIdProblem } from '../util/ids.js';

/** A value that is not allowed. `expected` reads "expected <expected>, got <input>". */
export class ValueProblem extends Error {
  constructor(readonly expected: string) {
    super(`expected ${expected}`);
  }
}

export interface StatusWeight {
  status: number;
  weight: number;
}

export interface TenantWeight {
  /** The Client-ID sent, or null for anonymous requests (no Client-ID header). */
  clientId: string | null;
  weight: number;
}

const NUMBER = /^\d+(?:\.\d+)?$/;
export const RATE_EXPECTED = 'a number > 0 or "max"';
export const STATUS_MIX_EXPECTED =
  'status:weight pairs like 200:85,404:10,500:5 (status 200-599, weight > 0)';

/** "50", "2.5" (requests/s) or "max" (closed model). */
export function parseRate(text: string): number | 'max' {
  const t = text.trim();
  if (t === 'max') return 'max';
  if (!NUMBER.test(t) || Number(t) <= 0 || !Number.isFinite(Number(t))) throw new ValueProblem(RATE_EXPECTED);
  return Number(t);
}

export function parsePositiveInt(text: string, max: number): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > max) {
    throw new ValueProblem(`an integer from 1 to ${max}`);
  }
  return Number(t);
}

/** "200:85,404:10,500:5" → [{200,85},{404,10},{500,5}]; a bare "200" means 200:1. */
export function parseStatusMix(text: string): StatusWeight[] {
  const out: StatusWeight[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d{3})\s*(?::\s*(\d+(?:\.\d+)?)\s*)?$/.exec(part);
    if (!m) throw new ValueProblem(STATUS_MIX_EXPECTED);
    const status = Number(m[1]);
    const weight = m[2] === undefined ? 1 : Number(m[2]);
    if (status < 200 || status > 599 || weight <= 0) throw new ValueProblem(STATUS_MIX_EXPECTED);
    if (out.some((s) => s.status === status))
      throw new ValueProblem(`${STATUS_MIX_EXPECTED}, each status once`);
    out.push({ status, weight });
  }
  return out;
}

/** "5,1,1" → [5,1,1]. */
export function parseWeights(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !NUMBER.test(p) || Number(p) <= 0)) {
    throw new ValueProblem('weights > 0 separated by commas, like 5,1,1');
  }
  return parts.map(Number);
}

/** "10%", "10", "0.5%" → 10, 10, 0.5 (percent, 0 ≤ p < 100). */
export function parsePercent(text: string, opts: { below100?: boolean } = {}): number {
  const t = text.trim().replace(/%$/, '');
  const max = opts.below100 ? 'below 100' : 'up to 100';
  if (!NUMBER.test(t) || Number(t) > 100 || (opts.below100 && Number(t) >= 100)) {
    throw new ValueProblem(`a percentage from 0 ${max}, like 10%`);
  }
  return Number(t);
}

/** "a,b,c" → ["a","b","c"], each a valid tenant ID, no duplicates. */
export function parseClientIds(text: string): string[] {
  const ids = text.split(',').map((p) => p.trim());
  for (const id of ids) {
    if (tenantIdProblem(id) !== undefined) {
      throw new ValueProblem(`tenant IDs separated by commas, each ${TENANT_ID_RULE}`);
    }
  }
  if (new Set(ids).size !== ids.length) throw new ValueProblem('distinct tenant IDs (one is repeated)');
  return ids;
}

export function parseRunId(text: string): string {
  if (!isValidRunId(text)) throw new ValueProblem(RUN_ID_RULE);
  return text;
}

/**
 * Only loopback addresses may be a traffic target: this tool makes real load. Appends /api when the
 * URL has no path. Returns the normalised URL.
 */
export function parseTarget(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValueProblem('an http:// URL of a loopback address, like http://127.0.0.1:8088');
  }
  if (url.protocol !== 'http:') throw new ValueProblem('an http:// URL (https is not supported)');
  if (!isLoopbackHost(url.hostname)) {
    throw new ValueProblem(
      'a loopback host (127.0.0.0/8, [::1] or localhost): otelpoc only loads this machine',
    );
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api';
  return url.toString();
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Tenants with integer weights: named tenants share (100 − anonymousPercent) by their weights, and
 * anonymous requests take anonymousPercent. Integers keep the round robin exact.
 */
export function buildTenantWeights(
  clientIds: readonly string[],
  weights: readonly number[] | undefined,
  anonymousPercent: number,
): TenantWeight[] {
  const raw = clientIds.map((_, i) => weights?.[i] ?? 1);
  const scale = decimalScale([...raw, anonymousPercent]);
  const ints = raw.map((w) => Math.round(w * scale));
  const anon = Math.round(anonymousPercent * scale);
  const hundred = 100 * scale;
  const sum = ints.reduce((a, b) => a + b, 0);
  if (anonymousPercent === 0) return clientIds.map((clientId, i) => ({ clientId, weight: ints[i]! }));
  if (clientIds.length === 0) return [{ clientId: null, weight: 1 }];
  const named = clientIds.map((clientId, i) => ({ clientId, weight: (hundred - anon) * ints[i]! }));
  return [...named, { clientId: null, weight: anon * sum }].filter((t) => t.weight > 0);
}

/** Smallest power of ten that makes all values integers (up to 10^6). */
export function decimalScale(values: readonly number[]): number {
  let scale = 1;
  while (scale < 1e6 && values.some((v) => Math.abs(v * scale - Math.round(v * scale)) > 1e-9)) scale *= 10;
  return scale;
}

/** Integer weights for a status mix (scales decimals). */
export function integerStatusMix(mix: readonly StatusWeight[]): StatusWeight[] {
  const scale = decimalScale(mix.map((m) => m.weight));
  return mix.map((m) => ({ status: m.status, weight: Math.round(m.weight * scale) }));
}
