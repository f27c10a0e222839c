/** The real undici client against real local sockets: outcomes and error categories; a tiny run of a shipped scenario. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type Outcome } from '../../src/load/client.js';
import { resolveLoadConfig } from '../../src/load/config.js';
import { runLoad } from '../../src/load/runner.js';
import { loadScenario } from '../../src/load/scenario.js';
import { buildManifest } from '../../src/manifest/build.js';
import { freePort } from '../helpers/backends.js';

type Mode = 'echo' | 'always200' | 'hang' | 'reset';

describe('createHttpClient (real sockets)', () => {
  let server: Server;
  let base: string;
  let mode: Mode = 'echo';
  const seen: { url: string; clientId?: string; runId?: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({
        url: req.url!,
        clientId: req.headers['client-id'] as string | undefined,
        runId: req.headers['x-run-id'] as string | undefined,
      });
      if (mode === 'hang') return;
      if (mode === 'reset') return req.socket.destroy();
      const sc = Number(new URL(req.url!, 'http://x').searchParams.get('sc') ?? 200);
      res.statusCode = mode === 'always200' ? 200 : sc;
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const send = (targetUrl: string, clientId: string | null, status: number, timeoutMs = 2000) =>
    new Promise<Outcome>((resolve) => {
      const client = createHttpClient({ targetUrl, runId: 'run-1', connections: 2, timeoutMs });
      client.send({ clientId, status }, (o) => {
        void client.close(100).then(() => resolve(o));
      });
    });

  it('sends ?sc=, Client-ID and X-Run-ID, and returns the status', async () => {
    mode = 'echo';
    expect(await send(`${base}/api`, 'tenant-9', 404)).toEqual({ status: 404 });
    expect(seen.at(-1)).toEqual({ url: '/api?sc=404', clientId: 'tenant-9', runId: 'run-1' });
    expect(await send(`${base}/api?x=1`, null, 200)).toEqual({ status: 200 });
    expect(seen.at(-1)).toEqual({ url: '/api?x=1&sc=200', clientId: undefined, runId: 'run-1' });
  });

  it('classifies refused, timeout and reset', async () => {
    const closedPort = await freePort();
    expect(await send(`http://127.0.0.1:${closedPort}/api`, 'a', 200)).toMatchObject({ error: 'refused' });
    mode = 'hang';
    expect(await send(`${base}/api`, 'a', 200, 200)).toMatchObject({ error: 'timeout' });
    mode = 'reset';
    expect(await send(`${base}/api`, 'a', 200)).toMatchObject({ error: 'reset' });
    mode = 'echo';
  });

  it('a server that never answers: warm-up and requests are bounded by the timeout, counted as timeouts', async () => {
    mode = 'hang';
    const plan = resolveLoadConfig(
      {
        target: `${base}/api`,
        requests: 3,
        rate: 100,
        timeoutMs: 300,
        statusMix: [{ status: 200, weight: 1 }],
      },
      undefined,
      () => 'hang-run',
    );
    const m = buildManifest(plan, await runLoad(plan));
    expect(m.totals).toMatchObject({ sent: 3, unanswered: 3, answered: 0 });
    expect(m.errors.timeout).toBe(3);
    // The warm-up used /healthz only, and stopped at its bound.
    expect(seen.filter((r) => r.url === '/healthz').length).toBeGreaterThan(0);
    mode = 'echo';
  });

  it('a tiny bounded run of the shipped smoke scenario counts every request exactly', async () => {
    mode = 'always200'; // 404s come back as 200: status mismatches
    const scenario = await loadScenario('smoke', process.cwd());
    const plan = resolveLoadConfig(
      { target: `${base}/api`, requests: 20, rate: 200 },
      scenario,
      () => 'smoke-run',
    );
    const m = buildManifest(plan, await runLoad(plan));
    expect(m.totals).toMatchObject({ scheduled: 20, sent: 20, answered: 18, mismatched: 2, unanswered: 0 });
    expect(m.errors.statusMismatch).toBe(2);
    expect(m.tenants.map((t) => t.clientId)).toEqual(['tenant-1', 'tenant-2']);
    expect(m.tenants.map((t) => t.receivedByStatus)).toEqual([{ '200': 10 }, { '200': 10 }]);
    expect(m.config.scenario).toBe('smoke');
    mode = 'echo';
  });
});
