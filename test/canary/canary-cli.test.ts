/**
 * `otelpoc canary` at the CLI: bad inputs are one UsageError line (exit 2) before any work; a backend
 * that refuses, throttles, fails or hangs turns every tenant red with the reason and counts the
 * query error by reason on /metrics, and the canary keeps running through all of it.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, pollUntil } from '../helpers/backends.js';
import { mainInProcess } from '../helpers/main-in-process.js';

describe('canary usage errors', () => {
  it.each([
    [['--interval', '500ms'], /^otelpoc: --interval: at least 1s/],
    [
      ['--export-interval', '10s', '--max-lag', '5s'],
      /^otelpoc: --max-lag: 5s is not longer than the export interval/,
    ],
    [['--rps', 'max'], /^otelpoc: --rps: a canary sends a steady low rate/],
    [['--rps', '0'], /^otelpoc: --rps: expected/],
    [['--name', 'a b'], /^otelpoc: --name: expected 1 to 57 letters/],
    [['--tenants', '2', '--client-ids', 'a,b,c'], /^otelpoc: --tenants: 2 does not match the 3 --client-ids/],
    [['--status-mix', '200:x'], /^otelpoc: --status-mix: expected/],
    [['--log-format', 'xml'], /argument 'xml' is invalid/],
    [['--junit', 'x.xml'], /^otelpoc: --junit: not an option of canary/],
    [['--url', 'ftp://x'], /^otelpoc: --url/],
    [['--metrics-port', '70000'], /^otelpoc: --metrics-port: expected an integer from 0 to 65535/],
    [['--default-tenant', 'x'], /^otelpoc: --default-tenant: only used with --per-tenant-export/],
    [['--per-tenant-export', '--no-tenant-header'], /^otelpoc: --per-tenant-export and --no-tenant-header/],
    [['--per-tenant-export', '--default-tenant', 'a/b'], /^otelpoc: --default-tenant: "a\/b"/],
  ])('%j → exit 2', async (args, message) => {
    const r = await mainInProcess(['canary', ...args, '--once']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('canary against a failing backend', () => {
  let server: Server;
  let url: string;
  /** What the fake Prometheus API does next. */
  let mode: 401 | 403 | 429 | 503 | 'hang' | 'garbage' = 401;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      if (mode === 'hang') return; // never answers: the query timeout fires
      if (mode === 'garbage')
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
      res.writeHead(mode, { 'content-type': 'application/json' }).end('{"status":"error","error":"no"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/prometheus`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('counts each failure by reason, turns tenants red with the reason, and keeps running', async () => {
    const abort = new AbortController();
    let stderr = '';
    const closedPort = await freePort(); // nothing listens there: exports fail, as with a collector down
    const run = mainInProcess(
      [
        'canary',
        '--url',
        url,
        '--otlp-endpoint',
        `http://127.0.0.1:${closedPort}`,
        '--export-interval',
        '1s',
        '--interval',
        '1s',
        '--query-timeout',
        '300ms',
        '--tenants',
        '2',
        '--metrics-port',
        '0',
      ],
      { signal: abort.signal, onStderr: (s) => (stderr = s) },
    );
    try {
      const metricsUrl = await pollUntil(async () => /metrics at (http:\S+)\/metrics/.exec(stderr)?.[1], {
        timeoutMs: 10_000,
        describe: () => stderr,
      });
      const reasons = {
        401: 'unauthorized',
        403: 'forbidden',
        429: 'rate_limited',
        503: 'server_error',
        hang: 'timeout',
        garbage: 'bad_response',
      } as const;
      for (const [m, reason] of Object.entries(reasons)) {
        mode = (Number(m) || m) as typeof mode;
        await pollUntil(
          async () => {
            const text = await (await fetch(`${metricsUrl}/metrics`)).text();
            const n = Number(
              new RegExp(
                `^otelpoc_canary_query_errors_total\\{tenant="tenant-2",reason="${reason}"\\} (\\d+)`,
                'm',
              ).exec(text)?.[1],
            );
            return n > 0 ? true : undefined;
          },
          { timeoutMs: 10_000, describe: () => `no ${reason} counted\n${stderr}` },
        );
      }
      expect(stderr).toMatch(
        /tenant "tenant-1" is red: correctness: the backend did not answer for tenant "tenant-1": .* answered 401/,
      );
      expect(stderr).toMatch(/tenant "tenant-2" is red/);
      const text = await (await fetch(`${metricsUrl}/metrics`)).text();
      expect(text).toMatch(/^otelpoc_canary_check_ok\{tenant="tenant-1",check="freshness"\} 0$/m);
      expect(text).toMatch(/^otelpoc_canary_build_info\{version="[^"]+",node_version="v[^"]+"\} 1$/m);
      expect(Number(/^otelpoc_canary_export_failures_total (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
      expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    } finally {
      abort.abort();
    }
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/canary stopped \(\d+ export\(s\), \d+ failed\)/);
  }, 60_000);
});
