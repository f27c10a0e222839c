/**
 * serve's per-request fast paths (issue 21) answer exactly what the general code they replace does:
 * queryValues what URLSearchParams.getAll gives, rawHeaderValues what Node's headersDistinct gives
 * (read through a real node:http server, duplicate and mixed-case headers included).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { headerValues, queryValues, rawHeaderValues } from '../../src/server/request-parsing.js';

describe('queryValues', () => {
  it.each([
    '',
    '?',
    'sc=404',
    '?sc=404',
    'sc=200&sc=404',
    'x=1&sc=503',
    'sc',
    'sc=',
    '&&sc=201&',
    'sc=a=b',
    'scx=1&xsc=2',
    'sc=%34%30%34',
    'sc=+404',
    's%63=500',
    'sc=1;sc=2',
    'SC=404',
  ])('"%s" gives what URLSearchParams gives', (search) => {
    expect(queryValues(search, 'sc')).toEqual(new URLSearchParams(search).getAll('sc'));
  });
});

describe('rawHeaderValues', () => {
  it.each([
    [[]],
    [[['Client-ID', 'tenant-1']]],
    [
      [
        ['client-id', 'a'],
        ['X-Run-ID', 'r1'],
      ],
    ],
    [
      [
        ['CLIENT-ID', 'a'],
        ['Client-Id', 'b'],
      ],
    ],
    [
      [
        ['X-Run-ID', 'r1'],
        ['x-run-id', 'r2'],
        ['x-run-id', 'r3'],
        ['Client-IDs', 'no'],
      ],
    ],
    [
      [
        ['Client-ID', ''],
        ['X-Other', 'client-id'],
      ],
    ],
  ])('%j: what headersDistinct gives', async (headers) => {
    const seen: unknown[] = [];
    const server = createServer((req, res) => {
      const fast = rawHeaderValues(req.rawHeaders, ['client-id', 'x-run-id'] as const);
      const slow = [
        headerValues(req.headersDistinct['client-id']),
        headerValues(req.headersDistinct['x-run-id']),
      ];
      seen.push(fast, slow);
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      // Written by hand: a client library would merge or re-case repeated headers.
      const head = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
      const socket = connect(port, '127.0.0.1');
      socket.write(`GET /api HTTP/1.1\r\nHost: x\r\n${head}Connection: close\r\n\r\n`);
      socket.resume();
      await once(socket, 'close');
      expect(seen).toHaveLength(2);
      expect(seen[0]).toEqual(seen[1]);
    } finally {
      server.close();
    }
  });
});
