import type { CaptureExporter } from '../telemetry/capture.js';
import { PROM } from '../telemetry/names.js';
import type { Observation, SeriesSource } from './types.js';

/** Samples from the in-process capture: one store for all tenants, nothing travelled over a network. */
export class CaptureSource implements SeriesSource {
  readonly description = 'in-process capture (no pipeline involved)';
  readonly isolated = false;

  constructor(private readonly capture: CaptureExporter) {}

  async observe(_tenants: readonly string[], runId: string): Promise<Observation> {
    const all = this.capture.samples().filter((s) => s.labels[PROM.labels.runId] === runId);
    return { isolated: false, all };
  }

  explain(): string[] {
    return ['# in-process capture: no queries (the exported metrics were read in memory)'];
  }

  async close(): Promise<void> {}
}
