import { UsageError } from './errors.js';

/** A source of uniform numbers in [0, 1). Seeded for reproducible tests and runs. */
export type Random = () => number;

/** mulberry32: tiny, fast and good enough for delays and jitter; not for cryptography. */
export function createRandom(seed?: number): Random {
  if (seed === undefined) return Math.random;
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function parseSeed(text: string, what = '--seed'): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xffffffff) {
    throw new UsageError(`${what}: expected an integer from 0 to 4294967295, got "${text}"`);
  }
  return Number(text);
}
