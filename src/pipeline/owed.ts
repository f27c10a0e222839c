/**
 * What a pipeline run owes on a stop, registered while it is owed (src/pipeline/lifecycle.ts): the
 * manifest until it is written, the final export while the server runs, verify's outputs once verify
 * started. A stop cut short then says what it lost.
 */
import type { GracefulStop } from './lifecycle.js';
import type { PipelineEvent } from './types.js';

export interface Owed {
  /** Follows the pipeline's events: owes and settles as they come. */
  onEvent(event: PipelineEvent): void;
  /** Everything is written: settles what is still owed. */
  done(): void;
}

export function owedWhileRunning(stop: GracefulStop, opts: { manifest: string; report?: string }): Owed {
  const settles = new Map<string, () => void>();
  const owe = (what: string, lost: string) => settles.set(what, stop.owe(lost));
  const settle = (what: string) => {
    settles.get(what)?.();
    settles.delete(what);
  };
  owe('manifest', `manifest not written (${opts.manifest})`);
  return {
    onEvent(e) {
      if (e.type === 'server-started') {
        owe('flush', `final metrics export not sent (this run's last counts never reach ${e.metricsTarget})`);
      } else if (e.type === 'server-stopped') settle('flush');
      else if (e.type === 'manifest-written') settle('manifest');
      else if (e.type === 'verify-started' && opts.report !== undefined) owe('report', opts.report);
    },
    done() {
      for (const what of [...settles.keys()]) settle(what);
    },
  };
}
