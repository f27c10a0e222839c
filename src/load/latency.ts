import hdr from 'hdr-histogram-js';
import type { LatencySummary } from './result.js';

/** HDR histogram of latencies, recorded in microseconds (3 significant digits), reported in ms. */
export class LatencyRecorder {
  private readonly h = hdr.build({ numberOfSignificantValueDigits: 3, lowestDiscernibleValue: 1 });

  recordMs(ms: number): void {
    this.h.recordValue(Math.max(0, Math.round(ms * 1000)));
  }

  /** The histogram, compressed (base64), to send to another process (src/load/workers.ts). */
  encode(): string {
    return hdr.encodeIntoCompressedBase64(this.h);
  }

  /** Adds the values of an encoded histogram (`encode`): percentiles of the union, exact to the histogram's precision. */
  addEncoded(encoded: string): void {
    const other = hdr.decodeFromCompressedBase64(encoded);
    this.h.add(other);
    other.destroy();
  }

  /** Forgets every value recorded (the timeline reuses one recorder per bucket). */
  reset(): void {
    this.h.reset();
  }

  get count(): number {
    return this.h.totalCount;
  }

  percentileMs(p: number): number {
    return this.h.totalCount === 0 ? 0 : this.h.getValueAtPercentile(p) / 1000;
  }

  summary(): LatencySummary {
    const h = this.h;
    if (h.totalCount === 0)
      return { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
    const ms = (us: number) => Math.round(us) / 1000;
    // HDR reports a percentile as the top of its bucket, which can exceed the exact maximum.
    const at = (p: number) => ms(Math.min(h.getValueAtPercentile(p), h.maxValue));
    return {
      count: h.totalCount,
      minMs: ms(h.minNonZeroValue === Number.MAX_SAFE_INTEGER ? 0 : h.minNonZeroValue),
      meanMs: ms(h.mean),
      p50Ms: at(50),
      p90Ms: at(90),
      p99Ms: at(99),
      p999Ms: at(99.9),
      maxMs: ms(h.maxValue),
    };
  }
}
