/**
 * Caps how many distinct values an attribute may take, so that a client sending random Client-ID or
 * X-Run-ID values cannot blow up the metrics (every value is a new series in every backend).
 * Values past the cap are recorded as `overflowValue`. With `idleMs`, a value not seen for that long
 * stops counting against the cap ("live" run ids); without it, a value is admitted for good.
 */
export class CardinalityLimiter {
  readonly #max: number;
  readonly #idleMs: number | undefined;
  readonly #now: () => number;
  readonly #lastSeen = new Map<string, number>();
  readonly #overflowValue: string;
  #warned = false;

  constructor(opts: { max: number; overflowValue: string; idleMs?: number; now?: () => number }) {
    this.#max = opts.max;
    this.#idleMs = opts.idleMs;
    this.#now = opts.now ?? Date.now;
    this.#overflowValue = opts.overflowValue;
  }

  /** Returns the value to record, and whether this call is the first overflow (to warn once). */
  admit(value: string): { value: string; firstOverflow: boolean } {
    if (this.#lastSeen.has(value)) {
      // Called on every request: the clock is read only when idleness matters.
      if (this.#idleMs !== undefined) this.#lastSeen.set(value, this.#now());
      return { value, firstOverflow: false };
    }
    const now = this.#now();
    if (this.#lastSeen.size >= this.#max) this.#evictIdle(now);
    if (this.#lastSeen.size < this.#max) {
      this.#lastSeen.set(value, now);
      return { value, firstOverflow: false };
    }
    const firstOverflow = !this.#warned;
    this.#warned = true;
    return { value: this.#overflowValue, firstOverflow };
  }

  get size(): number {
    return this.#lastSeen.size;
  }

  #evictIdle(now: number): void {
    if (this.#idleMs === undefined) return;
    for (const [value, seen] of this.#lastSeen) {
      if (now - seen >= this.#idleMs) this.#lastSeen.delete(value);
    }
  }
}
