/**
 * A run's manifest and what the backend holds of it, for the end-to-end tests of load and serve:
 * read the manifest a process wrote, and wait until the backend's counts per tenant and status are
 * exactly the ones the server answered with.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { parseManifest } from '../../src/manifest/parse.js';
import type { RunManifest } from '../../src/manifest/schema.js';
import { pollUntil, type VictoriaMetrics } from './backends.js';

/** Reads and validates the manifest a CLI process wrote at `path`. */
export async function readManifestFile(path: string): Promise<RunManifest> {
  return parseManifest(JSON.parse(await readFile(path, 'utf8')), path);
}

/**
 * The manifest of a run cut short by a signal: interrupted, something sent, every sent request
 * accounted for, and the final flush through (so the backend must hold every count).
 */
export function expectFlushedPartialManifest(m: RunManifest): void {
  expect(m.interrupted).toBe(true);
  expect(m.totals.sent).toBeGreaterThan(0);
  expect(m.totals.sent).toBe(
    m.totals.answered + m.totals.mismatched + m.totals.unanswered + m.totals.refused,
  );
  expect(m.server?.finalFlushOk).toBe(true);
}

/** What the server must have recorded: per `tenant|status`, the statuses it answered with. */
export function expectedFromManifest(m: RunManifest): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of m.tenants) {
    for (const [status, n] of Object.entries(t.receivedByStatus)) out[`${t.clientId ?? '-'}|${status}`] = n;
  }
  return sortKeys(out);
}

/** The backend's request counts of run `runId`, per `tenant|status`. */
export async function countsInVm(vm: VictoriaMetrics, runId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of await vm.query(
    `sum by (client_id, http_response_status_code) (http_server_request_total{otelpoc_run_id="${runId}"})`,
  )) {
    out[`${s.metric.client_id ?? '-'}|${s.metric.http_response_status_code}`] = s.value;
  }
  return sortKeys(out);
}

/** Polls until the backend holds exactly `expected` for run `runId` (30 s); returns what it held. */
export async function waitForCounts(vm: VictoriaMetrics, runId: string, expected: Record<string, number>) {
  return pollUntil(
    async () => {
      const got = await countsInVm(vm, runId);
      return JSON.stringify(got) === JSON.stringify(expected) ? got : undefined;
    },
    {
      timeoutMs: 30_000,
      describe: () => `VictoriaMetrics never held ${JSON.stringify(expected)} for ${runId}\n${vm.logs()}`,
    },
  );
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
