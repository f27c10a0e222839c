/**
 * The multi-tenant harness itself: series routed by client_id reach only their tenant's store, and
 * a query without X-Scope-OrgID is rejected (as Mimir rejects it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendsAvailable,
  type MultiTenantHarness,
  pollUntil,
  startMultiTenantHarness,
} from './backends.js';
import { type CliProcess, serveUrl, spawnServe } from './cli.js';

const enabled = backendsAvailable('multi-tenant harness (vmagent + vmauth + VictoriaMetrics)');

describe.skipIf(!enabled)('multi-tenant harness', () => {
  let h: MultiTenantHarness;
  let serve: CliProcess | undefined;
  beforeAll(async () => {
    h = await startMultiTenantHarness(['tenant-1', 'tenant-2', 'tenant-3'], { defaultTenant: 'anonymous' });
  });
  afterAll(async () => {
    serve?.kill('SIGKILL');
    await h?.stop();
  });

  it('routes each client_id to its own tenant only', async () => {
    serve = spawnServe(h.otlpEndpoint);
    const base = await serveUrl(serve);
    const send = (n: number, path: string, headers: Record<string, string>) =>
      Promise.all(
        Array.from({ length: n }, () => fetch(`${base}${path}`, { headers }).then((r) => r.arrayBuffer())),
      );
    await send(7, '/api', { 'Client-ID': 'tenant-1', 'X-Run-ID': 'mt' });
    await send(3, '/api?sc=404', { 'Client-ID': 'tenant-2', 'X-Run-ID': 'mt' });
    await send(2, '/api', { 'X-Run-ID': 'mt' });
    const q =
      'sum by (client_id, http_response_status_code) (http_server_request_total{otelpoc_run_id="mt"})';
    const t1 = await pollUntil(
      async () => ((await h.query('tenant-1', q))[0]?.value === 7 ? h.query('tenant-1', q) : undefined),
      {
        timeoutMs: 30_000,
        describe: () => h.logs(),
      },
    );
    expect(t1.map((s) => [s.metric.client_id, s.metric.http_response_status_code, s.value])).toEqual([
      ['tenant-1', '200', 7],
    ]);
    const t2 = await pollUntil(
      async () => ((await h.query('tenant-2', q))[0]?.value === 3 ? h.query('tenant-2', q) : undefined),
      {
        timeoutMs: 30_000,
        describe: () => h.logs(),
      },
    );
    expect(t2.map((s) => [s.metric.client_id, s.metric.http_response_status_code, s.value])).toEqual([
      ['tenant-2', '404', 3],
    ]);
    const anon = await pollUntil(
      async () => ((await h.query('anonymous', q))[0]?.value === 2 ? h.query('anonymous', q) : undefined),
      {
        timeoutMs: 30_000,
        describe: () => h.logs(),
      },
    );
    expect(anon.map((s) => [s.metric.client_id, s.value])).toEqual([[undefined, 2]]);
    expect(await h.query('tenant-3', q)).toEqual([]);
    const noHeader = await fetch(`${h.promUrl}/api/v1/query?query=up`);
    expect(noHeader.status).toBeGreaterThanOrEqual(400);
  });
});
