/**
 * Parsers for the values load takes from flags and scenario files: rates, status mixes, weights,
 * shares. Each returns the parsed value or throws a Problem naming what is allowed; the caller adds
 * where the value came from (a flag name, or a file and path).
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { UsageError } from '../util/errors.js';
import { isValidRunId, RUN_ID_RULE, TENANT_ID_RULE, tenantIdProblem } from '../util/ids.js';
import { ValueProblem } from '../util/value-problem.js';

/** A value that is not allowed. `expected` reads "expected <expected>, got <input>". */

export const StatusWeightSchema = z.object({
  status: z.number().int().min(200).max(599),
  weight: z.number().positive(),
});

export const TenantWeightSchema = z.object({
  /** The Client-ID sent, or null for anonymous requests (no Client-ID header). */
  clientId: z.string().min(1).nullable(),
  weight: z.number().positive(),
});

export type StatusWeight = z.infer<typeof StatusWeightSchema>;
export type TenantWeight = z.infer<typeof TenantWeightSchema>;

const NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * Rates the open model can honour: at least one request every 1000 s (a request's due time is one
 * timer away, and a run ends within 24 days, see MAX_DURATION_MS), at most what one event loop
 * can schedule with room to spare (measured: about 40,000 req/s on 2 cores, bench/RESULTS.md).
 */
export const MIN_RATE_PER_SEC = 0.001;
export const MAX_RATE_PER_SEC = 100_000;
export const RATE_EXPECTED = `a number from ${MIN_RATE_PER_SEC} to ${MAX_RATE_PER_SEC} (requests per second) or "max"`;

/**
 * Weights become integers for the exact round robin by scaling with 10^decimals, so a weight may
 * have at most 6 decimal places (0.0000001 used to round to 0); 10^6 × 10^6 keeps the scaled sums
 * well inside exact double arithmetic.
 */
export const MAX_WEIGHT = 1_000_000;
const WEIGHT = /^\d+(?:\.\d{1,6})?$/;
export const WEIGHT_RULE = `from 0.000001 to ${MAX_WEIGHT}, with at most 6 decimal places`;
export const STATUS_MIX_EXPECTED =
  'status:weight pairs like 200:85,404:10,500:5 (status 200-599, weight > 0)';

/** "50", "2.5" (requests/s) or "max" (closed model). */
export function parseRate(text: string): number | 'max' {
  const t = text.trim();
  if (t === 'max') return 'max';
  const rate = Number(t);
  if (!NUMBER.test(t) || !(rate >= MIN_RATE_PER_SEC && rate <= MAX_RATE_PER_SEC)) {
    throw new ValueProblem(RATE_EXPECTED);
  }
  return rate;
}

/** A stage's rate in a scenario: 0 (a pause) or a rate parseRate accepts. */
export function checkStageRate(rate: number): number {
  if (rate !== 0 && !(rate >= MIN_RATE_PER_SEC && rate <= MAX_RATE_PER_SEC)) {
    throw new ValueProblem(`0 or ${RATE_EXPECTED.replace(' or "max"', '')}`);
  }
  return rate;
}

function isWeight(text: string): boolean {
  return WEIGHT.test(text) && Number(text) > 0 && Number(text) <= MAX_WEIGHT;
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
    if (m[2] !== undefined && !isWeight(m[2])) {
      throw new ValueProblem(`status:weight pairs with each weight ${WEIGHT_RULE}`);
    }
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
  if (!parts.every(isWeight)) {
    throw new ValueProblem(`weights separated by commas, like 5,1,1, each ${WEIGHT_RULE}`);
  }
  return parts.map(Number);
}

/**
 * "10%", "10", "0.5%" → 10, 10, 0.5 (percent, 0 ≤ p ≤ 100). `share`: a traffic share (--anonymous),
 * which is scaled to an integer weight like the weights, so at most 6 decimal places.
 */
export function parsePercent(text: string, opts: { below100?: boolean; share?: boolean } = {}): number {
  const t = text.trim().replace(/%$/, '');
  const max = opts.below100 ? 'below 100' : 'up to 100';
  if (!NUMBER.test(t) || Number(t) > 100 || (opts.below100 && Number(t) >= 100)) {
    throw new ValueProblem(`a percentage from 0 ${max}, like 10%`);
  }
  if (opts.share && !/^\d+(?:\.\d{1,6})?$/.test(t)) {
    throw new ValueProblem(`a percentage from 0 ${max} with at most 6 decimal places, like 10%`);
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

/** The most workers one process runs. */
export const MAX_WORKERS = 256;

export const WORKERS_EXPECTED = `an integer from 1 to ${MAX_WORKERS}, or "auto" (the cores, minus one when the server runs in this process)`;

/**
 * `--workers` → a count: "auto" is every core (os.availableParallelism), minus one for the server
 * when it runs on this machine too (--serve, run), at least 1. Anything else: a UsageError naming `what`.
 */
export function parseWorkers(
  text: string,
  opts: { serveInProcess: boolean; cores?: number },
  what = '--workers',
): number {
  const t = text.trim();
  if (t === 'auto') {
    const cores = opts.cores ?? availableParallelism();
    return Math.max(1, Math.min(MAX_WORKERS, cores - (opts.serveInProcess ? 1 : 0)));
  }
  try {
    return workersCount(t);
  } catch (err) {
    if (!(err instanceof ValueProblem)) throw err;
    throw new UsageError(`${what}: ${err.message}, got ${JSON.stringify(text)}`);
  }
}

/** `--workers` or a scenario's `workers` as given → the count, or "auto" (resolved by parseWorkers). */
export function parseWorkersValue(text: string): number | 'auto' {
  const t = text.trim();
  return t === 'auto' ? 'auto' : workersCount(t);
}

function workersCount(t: string): number {
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > MAX_WORKERS) throw new ValueProblem(WORKERS_EXPECTED);
  return n;
}

export const SEND_BATCH_EXPECTED =
  'milliseconds from 0 to 100, like 2 or 2ms (0: each request at its own due time)';

/** The open model's send batch window (LoadDeps.sendBatchMs): "2", "2ms", "0.5ms" → ms. */
export function parseSendBatch(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:ms)?\s*$/.exec(text);
  const ms = Number(m?.[1]);
  if (!m || !(ms >= 0 && ms <= 100)) throw new ValueProblem(SEND_BATCH_EXPECTED);
  return ms;
}

export const START_AT_EXPECTED =
  'an RFC 3339 time with a zone, like 2026-12-03T10:00:00Z or 2026-12-03T11:00:00.250+01:00';
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time (with its zone: a shared instant, never the local time) → epoch ms. */
export function parseStartAt(text: string): number {
  const t = text.trim();
  const ms = RFC3339.test(t) ? Date.parse(t.replace(' ', 'T')) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) throw new ValueProblem(START_AT_EXPECTED);
  return Math.floor(ms);
}

export const TARGET_EXPECTED = 'an http:// or https:// URL, like http://127.0.0.1:8088';

/**
 * Any http(s) URL may be a target: users load `otelpoc serve` in a container, a pod or a staging
 * host. (The project's own tests only ever load loopback.) Appends /api when the URL has no path.
 * Returns the normalised URL.
 */
export function parseTarget(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ValueProblem(TARGET_EXPECTED);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValueProblem(TARGET_EXPECTED);
  if (url.username !== '' || url.password !== '') {
    // The manifest records the target; credentials in it would be written to disk.
    throw new ValueProblem(`${TARGET_EXPECTED}, without user:password@`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/api';
  return url.toString();
}

/**
 * The largest total weight the round robin keeps exact: its running values stay within ±2 × total,
 * which must be an exact double (below 2^53).
 */
const MAX_EXACT_TOTAL = 2 ** 51;

/**
 * Tenants with integer weights: named tenants share (100 − anonymousPercent) by their weights, and
 * anonymous requests take anonymousPercent. Integers keep the round robin exact; the products are
 * taken in BigInt and reduced by their common divisor. Throws a ValueProblem when the shares cannot
 * be kept exact (only for extreme ratios with many decimal places).
 */
export function buildTenantWeights(
  clientIds: readonly string[],
  weights: readonly number[] | undefined,
  anonymousPercent: number,
): TenantWeight[] {
  const raw = clientIds.map((_, i) => weights?.[i] ?? 1);
  const scale = decimalScale([...raw, anonymousPercent]);
  const ints = raw.map((w) => BigInt(Math.round(w * scale)));
  if (anonymousPercent === 0) {
    const exact = exactIntegers(ints);
    return clientIds.map((clientId, i) => ({ clientId, weight: exact[i]! }));
  }
  if (clientIds.length === 0) return [{ clientId: null, weight: 1 }];
  const anon = BigInt(Math.round(anonymousPercent * scale));
  const hundred = 100n * BigInt(scale);
  const sum = ints.reduce((a, b) => a + b, 0n);
  const exact = exactIntegers([...ints.map((w) => (hundred - anon) * w), anon * sum]);
  return [...clientIds, null]
    .map((clientId, i) => ({ clientId, weight: exact[i]! }))
    .filter((t) => t.weight > 0);
}

/**
 * The values as numbers; divided by their greatest common divisor when their total is too large to
 * stay exact; throws a ValueProblem when even that is too large.
 */
function exactIntegers(values: readonly bigint[]): number[] {
  const total = (vs: readonly bigint[]) => vs.reduce((a, b) => a + b, 0n);
  if (total(values) <= BigInt(MAX_EXACT_TOTAL)) return values.map(Number);
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
  const g = values.reduce((a, b) => gcd(a, b), 0n) || 1n;
  const reduced = values.map((v) => v / g);
  if (total(reduced) > BigInt(MAX_EXACT_TOTAL)) {
    throw new ValueProblem(
      'weights whose ratios fit the exact round robin (their scaled total is above 2^51): use fewer decimal places',
    );
  }
  return reduced.map(Number);
}

/** Smallest power of ten that makes all values integers (up to 10^6: the parsers allow 6 decimals). */
export function decimalScale(values: readonly number[]): number {
  let scale = 1;
  while (scale < 1e6 && values.some((v) => Math.abs(v * scale - Math.round(v * scale)) > 1e-9)) scale *= 10;
  return scale;
}

/** Integer weights for a status mix (scales decimals). */
export function integerStatusMix(mix: readonly StatusWeight[]): StatusWeight[] {
  const scale = decimalScale(mix.map((m) => m.weight));
  const exact = exactIntegers(mix.map((m) => BigInt(Math.round(m.weight * scale))));
  return mix.map((m, i) => ({ status: m.status, weight: exact[i]! }));
}
