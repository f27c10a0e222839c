/**
 * A backend shared by the tests of one describe block: started in its beforeAll, force-flushed all
 * along (new series searchable at once), stopped in its afterAll. Call these in the describe block;
 * the value they return stands for the backend once it is started (use it in tests and later hooks).
 * Hooks run in order and after-hooks in reverse, so a block's own beforeAll may use the backend and
 * its own afterAll runs while the backend is still up.
 */
import { afterAll, beforeAll } from 'vitest';
import {
  type MultiTenantHarness,
  type PerTenantBackends,
  startMultiTenantHarness,
  startPerTenantBackends,
  startVictoriaMetrics,
  type VictoriaMetrics,
} from './backends.js';
import { type CliProcess, serveUrl, spawnServe } from './cli.js';

/**
 * Makes freshly written series searchable while verify polls (VictoriaMetrics' test-only
 * force_flush; a real Mimir has no such endpoint and verify itself never calls it). Returns stop().
 */
export function keepFlushing(flush: () => Promise<void>, intervalMs = 200): () => void {
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      await flush().catch(() => {});
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  void loop();
  return () => {
    stopped = true;
  };
}

/** What a suite's backend offers besides its own methods. */
export interface Flushed {
  /** From here on the data is flushed when the test says so (forceFlush), as a backend does on its own timer. */
  stopFlushing(): void;
}

/** One VictoriaMetrics. */
export function useVictoriaMetrics(): VictoriaMetrics & Flushed {
  return useBackend(
    'VictoriaMetrics',
    () => startVictoriaMetrics(),
    (vm) => vm.forceFlush(),
  );
}

/** The multi-tenant harness (startMultiTenantHarness). */
export function useMultiTenantHarness(
  ...args: Parameters<typeof startMultiTenantHarness>
): MultiTenantHarness & Flushed {
  return useBackend(
    'the multi-tenant harness',
    () => startMultiTenantHarness(...args),
    (h) => h.forceFlush(),
  );
}

/** One VictoriaMetrics per tenant (startPerTenantBackends). */
export function usePerTenantBackends(tenants: string[]): PerTenantBackends & Flushed {
  return useBackend(
    'the per-tenant backends',
    () => startPerTenantBackends(tenants),
    async (b) => {
      await Promise.all(Object.values(b.stores).map((s) => s.forceFlush()));
    },
  );
}

/** An `otelpoc serve` process exporting to `backend` (started first), killed after the block. */
export function useServe(
  backend: { otlpEndpoint: string },
  opts?: Parameters<typeof spawnServe>[1],
): { readonly api: string } {
  let proc: CliProcess | undefined;
  let api: string | undefined;
  beforeAll(async () => {
    proc = spawnServe(backend.otlpEndpoint, opts);
    api = `${await serveUrl(proc)}/api`;
  });
  afterAll(() => {
    proc?.kill('SIGKILL');
  });
  return {
    get api() {
      if (api === undefined)
        throw new Error('serve is not started: use it in the tests of its describe block');
      return api;
    },
  };
}

function useBackend<T extends { stop(): Promise<void> }>(
  name: string,
  start: () => Promise<T>,
  flush: (backend: T) => Promise<void>,
): T & Flushed {
  let backend: T | undefined;
  let stopFlushing = () => {};
  beforeAll(async () => {
    backend = await start();
    const started = backend;
    stopFlushing = keepFlushing(() => flush(started));
  });
  afterAll(async () => {
    stopFlushing();
    await backend?.stop();
  });
  return new Proxy({} as T & Flushed, {
    get(_, key) {
      if (key === 'stopFlushing') return () => stopFlushing();
      if (!backend) throw new Error(`${name} is not started: use it in the tests of its describe block`);
      const value = Reflect.get(backend, key);
      return typeof value === 'function' ? value.bind(backend) : value;
    },
  });
}
