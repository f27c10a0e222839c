/**
 * Requests a fetch() client cannot send, written byte for byte on a raw socket: a repeated header,
 * non-ASCII header bytes, an absolute-form request target.
 */

import { connect } from 'node:net';
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InstrumentedServer, startInstrumentedServer } from '../../src/server/instrumented-server.js';

let app: InstrumentedServer;

beforeAll(async () => {
  app = await startInstrumentedServer({
    host: '127.0.0.1',
    port: 0,
    delay: { minMs: 0, maxMs: 0 },
    limits: {},
    export: {
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      description: 'in-memory',
      exportIntervalMs: 60_000,
      exportTimeoutMs: 30_000,
    },
    env: {},
    warn: () => {},
  });
});
afterAll(() => app?.stop());

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (CRLF-separated lines, without the final blank line) and reads until the server closes. */
function raw(lines: (string | Buffer)[]): Promise<RawResponse> {
  const { port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const h of headerLines) {
        const i = h.indexOf(':');
        headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    const crlf = Buffer.from('\r\n');
    const parts = [...lines, 'Connection: close', ''].flatMap((l) => [Buffer.from(l), crlf]);
    socket.end(Buffer.concat(parts));
  });
}

describe('raw requests to /api', () => {
  it('a Client-ID header sent twice is a 400 that says so (not a comma-joined value)', async () => {
    const r = await raw(['GET /api HTTP/1.1', 'Host: x', 'Client-ID: tenant-1', 'Client-ID: tenant-2']);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ status: 400, error: 'Client-ID header: sent more than once' });
  });

  it('an X-Run-ID header sent twice is a 400 that says so', async () => {
    const r = await raw(['GET /api HTTP/1.1', 'Host: x', 'X-Run-ID: a', 'x-run-id: b']);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toBe('X-Run-ID header: sent more than once');
  });

  it('a non-ASCII Client-ID is shown as sent, in a body declared UTF-8', async () => {
    const r = await raw([
      'GET /api HTTP/1.1',
      'Host: x',
      Buffer.concat([Buffer.from('Client-ID: '), Buffer.from('ténant-ü', 'utf8')]),
    ]);
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(r.body).error).toMatch(/^Client-ID header: "ténant-ü" has characters other than/);
  });

  it('Client-ID bytes that are not UTF-8 are shown escaped', async () => {
    const r = await raw([
      'GET /api HTTP/1.1',
      'Host: x',
      Buffer.concat([Buffer.from('Client-ID: t'), Buffer.from([0xe9]), Buffer.from('nant')]),
    ]);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toMatch(/^Client-ID header: "t\\xe9nant" has characters other than/);
  });

  it('an absolute-form request target is routed by its path (RFC 9112 §3.2.2)', async () => {
    const r = await raw([`GET ${app.url}/api?sc=201 HTTP/1.1`, 'Host: x', 'Client-ID: tenant-1']);
    expect(r.status).toBe(201);
    expect(JSON.parse(r.body)).toMatchObject({ status: 201, client_id: 'tenant-1' });
    expect((await raw([`GET ${app.url}/healthz HTTP/1.1`, 'Host: x'])).status).toBe(200);
    expect((await raw([`GET ${app.url}/nope HTTP/1.1`, 'Host: x'])).status).toBe(404);
  });
});

/** The last export's points of `name`: each point's attributes and value (a histogram's count). */
function points(exporter: InMemoryMetricExporter, name: string): { attrs: Attributes; value: number }[] {
  const last = exporter.getMetrics().at(-1);
  const metric = last?.scopeMetrics.flatMap((sm) => sm.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((dp) => ({
    attrs: dp.attributes,
    value: typeof dp.value === 'number' ? dp.value : (dp.value as { count: number }).count,
  }));
}

/** Writes `bytes` on one socket and waits until the server ends it; then the server's in-flight count is 0. */
async function breakSocket(server: InstrumentedServer, bytes: string): Promise<void> {
  const socket = connect(server.port, '127.0.0.1');
  socket.on('error', () => {});
  socket.resume();
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.write(bytes);
  await closed;
  await expect.poll(() => server.server.inFlight, { timeout: 2_000 }).toBe(0);
}

const GET = 'GET /api HTTP/1.1\r\nHost: x\r\nClient-ID: tenant-1\r\n\r\n';
const GARBAGE = '\x00\x01 not http\r\n\r\n'; // the parser error ends the socket

describe('a client that breaks its socket', () => {
  it('answered at once, then queued: the answered GET keeps its status, the queued one is aborted', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const server = await startInstrumentedServer({
      host: '127.0.0.1',
      port: 0,
      delay: { minMs: 0, maxMs: 0 },
      limits: {},
      export: { exporter, description: 'in-memory', exportIntervalMs: 60_000, exportTimeoutMs: 30_000 },
      env: {},
      warn: () => {},
    });
    // One write: the first GET is answered while the second waits behind it, unsent, when the
    // garbage ends the socket (its head is set, so a status read from the response would be a lie).
    await breakSocket(server, `${GET}${GET}${GARBAGE}`);
    await server.stop();
    expect(
      points(exporter, 'http.server.request').map((p) => [
        p.attrs['http.response.status_code'],
        p.attrs['error.type'],
        p.value,
      ]),
    ).toEqual([
      [200, undefined, 1],
      [undefined, 'aborted', 1],
    ]);
    expect(points(exporter, 'http.server.active_requests').map((p) => p.value)).toEqual([0]);
  });

  it('two pipelined GETs then garbage bytes: both recorded once, none left in flight, the stop does not wait', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    // A delay, so that the second GET is still queued behind the first when the garbage arrives.
    const server = await startInstrumentedServer({
      host: '127.0.0.1',
      port: 0,
      delay: { minMs: 100, maxMs: 100 },
      limits: {},
      export: { exporter, description: 'in-memory', exportIntervalMs: 60_000, exportTimeoutMs: 30_000 },
      env: {},
      warn: () => {},
    });
    try {
      await breakSocket(server, `${GET}${GET}${GARBAGE}`);
      const started = performance.now();
      await server.stop({ drainTimeoutMs: 5_000 });
      expect(performance.now() - started).toBeLessThan(1_000); // nothing left to wait for
    } finally {
      await server.stop();
    }
    // Neither response was sent whole: both are recorded, without a status, as aborted.
    const requests = points(exporter, 'http.server.request');
    expect(requests).toEqual([
      {
        attrs: {
          client_id: 'tenant-1',
          'error.type': 'aborted',
          'http.request.method': 'GET',
          'http.route': '/api',
          'url.scheme': 'http',
        },
        value: 2,
      },
    ]);
    expect(points(exporter, 'http.server.request.duration').map((p) => p.value)).toEqual([2]);
    expect(points(exporter, 'http.server.active_requests').map((p) => p.value)).toEqual([0]);
  });
});
