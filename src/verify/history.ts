import { hash } from 'node:crypto';
import { PROM } from '../telemetry/names.js';
import { seriesId } from './checks/samples.js';
import type { Observation, Sample } from './types.js';

const MONOTONIC = new Set<string>([PROM.requestTotal, PROM.durationCount, PROM.durationBucket]);

/**
 * Remembers the highest value of each cumulative series across polls. A cumulative counter never
 * goes down, so a decrease is the mark of delta temporality (or a restart): the names check reports it.
 */
export class SeriesHistory {
  /**
   * Highest value per series, keyed by a digest of tenant + series id: the id itself (every label,
   * ~400 characters) made this map 29 MB at 1,000 tenants (54,000 series), the digest 28 characters.
   */
  readonly #max = new Map<string, number>();
  readonly #decreases = new Map<string, Set<string>>();

  /** Records one poll's observation; returns, per tenant, the decreases seen so far. */
  record(observation: Observation): ReadonlyMap<string, readonly string[]> {
    const views = observation.isolated
      ? observation.views.map((v) => ({ tenant: v.tenant, samples: v.samples }))
      : [{ tenant: '', samples: observation.all }];
    for (const { tenant, samples } of views) this.#recordView(tenant, samples);
    const out = new Map<string, string[]>();
    for (const [tenant, set] of this.#decreases) out.set(tenant, [...set]);
    return out;
  }

  /** Decreases for a shared store (not isolated) are kept under "" and apply to every tenant. */
  static forTenant(decreases: ReadonlyMap<string, readonly string[]>, tenant: string): readonly string[] {
    return [...(decreases.get(tenant) ?? []), ...(decreases.get('') ?? [])];
  }

  #recordView(tenant: string, samples: Sample[]): void {
    for (const s of samples) {
      if (!MONOTONIC.has(s.name) && !s.name.endsWith('_total')) continue;
      const key = hash('sha1', `${tenant}\u0000${seriesId(s.name, s.labels)}`, 'base64');
      const before = this.#max.get(key);
      if (before !== undefined && s.value < before) {
        let set = this.#decreases.get(tenant);
        if (!set) {
          set = new Set();
          this.#decreases.set(tenant, set);
        }
        set.add(
          `${s.name}{${s.labels[PROM.labels.clientId] ? `client_id="${s.labels[PROM.labels.clientId]}",` : ''}${PROM.labels.statusCode}="${s.labels[PROM.labels.statusCode] ?? ''}"} went down from ${before} to ${s.value}`,
        );
      }
      this.#max.set(key, Math.max(before ?? s.value, s.value));
    }
  }
}
