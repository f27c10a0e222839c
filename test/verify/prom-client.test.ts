/**
 * Error classification of the Prometheus client. A plain node:http server plays the protocol peer
 * only for answers a real backend cannot be made to give here (Mimir's 401 "no org id", a 503, a 429,
 * a gateway wanting credentials); what reaches a metrics backend is tested against VictoriaMetrics
 * in the end-to-end suites.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BackendError } from '../../src/util/errors.js';
import { PromClient, TenantRejectedError, TransientBackendError } from '../../src/verify/prom-client.js';
import { freePort } from '../helpers/backends.js';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

async function peer(status: number, body: string, seen: IncomingHttpHeaders[] = []): Promise<string> {
  server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/plain' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/prometheus`;
}

const client = (
  baseUrl: string,
  tenantHeader: string | null = 'X-Scope-OrgID',
  headers: Record<string, string> = {},
) => new PromClient({ baseUrl, tenantHeader, headers, timeoutMs: 2000 });

describe('PromClient', () => {
  it('401 "no org id" without a tenant header fails at once with the hint', async () => {
    const url = await peer(401, 'no org id\n');
    const err = await client(url, null)
      .query('{a="b"}', undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).not.toBeInstanceOf(TransientBackendError);
    expect((err as Error).message).toBe(
      `${url}/api/v1/query answered 401 no org id: is --no-tenant-header set? Mimir needs the X-Scope-OrgID header to know the tenant`,
    );
  });

  it('401 with credentials names the flags and env vars to check', async () => {
    const url = await peer(401, 'invalid credentials');
    const err = await client(url, 'X-Scope-OrgID', { Authorization: 'Basic eDp5' })
      .query('{a="b"}', 't1')
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /answered 401 invalid credentials for tenant "t1": the credentials were refused; check --basic-auth/,
    );
  });

  it.each([503, 502, 429])('%i is transient (retried by the poller)', async (status) => {
    const url = await peer(status, '{"status":"error","error":"busy"}');
    const err = await client(url)
      .query('{a="b"}', 't1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientBackendError);
    expect((err as Error).message).toMatch(new RegExp(`answered ${status} for tenant "t1": busy`));
  });

  it('connection refused is transient and says so', async () => {
    const port = await freePort();
    const err = await client(`http://127.0.0.1:${port}/prometheus`)
      .query('{a="b"}', 't1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientBackendError);
    expect((err as Error).message).toMatch(/cannot reach the Prometheus API at .*: connection refused/);
  });

  it('404 is a wrong --url, not a retry', async () => {
    const url = await peer(404, 'not found');
    const err = await client(url)
      .query('{a="b"}', 't1')
      .catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(TransientBackendError);
    expect((err as Error).message).toMatch(/answered 404: no Prometheus API there; check --url/);
  });

  it('400 "missing route" for a tenant (vmauth) is that tenant rejected', async () => {
    const url = await peer(400, 'missing route for "/prometheus/api/v1/query"');
    const err = await client(url)
      .query('{a="b"}', 'ghost')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TenantRejectedError);
  });

  it('sends the tenant header, auth and extra headers; parses the vector', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const url = await peer(
      200,
      JSON.stringify({
        status: 'success',
        data: {
          resultType: 'vector',
          result: [{ metric: { __name__: 'm_total', client_id: 't1' }, value: [1, '7'] }],
        },
      }),
      seen,
    );
    const samples = await client(url, 'X-Tenant', { Authorization: 'Bearer tok', 'X-Extra': 'v' }).query(
      'm_total',
      't1',
    );
    expect(samples).toEqual([{ name: 'm_total', labels: { client_id: 't1' }, value: 7 }]);
    expect(seen[0]).toMatchObject({ 'x-tenant': 't1', authorization: 'Bearer tok', 'x-extra': 'v' });
  });

  it('an answer that is not Prometheus JSON is a clear error', async () => {
    const url = await peer(200, '<html>Grafana</html>');
    await expect(client(url).query('up', 't')).rejects.toThrow(
      /not Prometheus API JSON: <html>Grafana<\/html>; check --url/,
    );
  });

  it('JSON that breaks off is a passing fault (retried), not a wrong URL', async () => {
    const url = await peer(200, '{"status":"success","data":{"resultType":"vector","result":[{"met');
    const err = await client(url)
      .query('up', 't')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/answered 200 with malformed or truncated JSON \(\d+ bytes\)/);
    expect((err as Error).constructor.name).toBe('TransientBackendError');
  });

  // Before the answers were parsed (cast instead), each of these passed on: a sample without a value
  // became NaN, a series without values had no points, and `null` threw a TypeError.
  it.each([
    [
      'a vector sample without a value',
      'query',
      { resultType: 'vector', result: [{ metric: {} }] },
      /data\.result\.0\.value/,
    ],
    [
      'a vector sample with a numeric value',
      'query',
      { resultType: 'vector', result: [{ metric: {}, value: [1, 7] }] },
      /data\.result\.0\.value\.1/,
    ],
    [
      'a matrix series without values',
      'queryMatrix',
      { resultType: 'matrix', result: [{ metric: { a: 'b' } }] },
      /data\.result\.0\.values/,
    ],
    [
      'labels that are not strings',
      'query',
      { resultType: 'vector', result: [{ metric: { a: 1 }, value: [1, '1'] }] },
      /data\.result\.0\.metric\.a/,
    ],
  ] as const)(
    '%s is a BackendError naming the URL, not a wrong count',
    async (_what, method, data, where) => {
      const url = await peer(200, JSON.stringify({ status: 'success', data }));
      const err = await client(url)
        [method]('up[1m]', 't')
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect(err).not.toBeInstanceOf(TransientBackendError);
      expect((err as Error).message).toContain(
        `${url}/api/v1/query: the ${data.resultType} answered for up[1m]`,
      );
      expect((err as Error).message).toMatch(where);
    },
  );

  it.each(['null', '[]', '"ok"'])('JSON %s (not the API object) is not Prometheus API JSON', async (body) => {
    const url = await peer(200, body);
    const err = await client(url)
      .query('up', 't')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err).not.toBeInstanceOf(TransientBackendError);
    expect((err as Error).message).toBe(
      `${url}/api/v1/query answered 200 with something that is not Prometheus API JSON: ${body}; check --url`,
    );
  });

  it('the wrong result type keeps its message', async () => {
    const url = await peer(
      200,
      JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '2'] } }),
    );
    await expect(client(url).query('up', 't')).rejects.toThrow(
      `${url}/api/v1/query: expected an instant vector for up, got scalar`,
    );
  });

  // A native histogram's answer (the `histogram` field) comes from real Cortex: kinds.e2e.test.ts.
  it('a vector sample with neither "value" nor "histogram" is named as such', async () => {
    const url = await peer(
      200,
      JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { a: 'b' } }] } }),
    );
    await expect(client(url).query('up', 't')).rejects.toThrow(
      /is not made of Prometheus API samples \(data\.result\.0\.value: a sample has neither "value" nor "histogram"\)/,
    );
  });
});
