/**
 * The verify CLI's edges: bad input → one line and exit 2; a backend answering 401 (a node:http
 * protocol peer that answers like Mimir without X-Scope-OrgID) → exit 2 at once with the hint;
 * credentials from env vars; --explain.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../src/verify/types.js';
import { cleanEnv, runCli } from '../helpers/cli.js';

const manifest = {
  schemaVersion: 1,
  tool: { name: 'otelpoc', version: 't' },
  runId: 'cli-run',
  target: 'http://127.0.0.1:1/api',
  startedAt: '2026-11-25T10:00:00.000Z',
  endedAt: '2026-11-25T10:00:01.000Z',
  interrupted: false,
  config: {
    model: 'open',
    ratePerSec: 1,
    durationMs: 1000,
    requests: null,
    connections: null,
    maxInflight: 1,
    timeoutMs: 1000,
    scenario: null,
    seed: null,
    tenants: [{ clientId: 'tenant-1', weight: 1 }],
    statusMix: [{ status: 200, weight: 1 }],
  },
  tenants: [
    {
      clientId: 'tenant-1',
      byStatus: [
        {
          status: 200,
          dropped: 0,
          sent: 1,
          answered: 1,
          mismatched: 0,
          unanswered: 0,
          refused: 0,
          latencySumMs: 5,
          latencyMaxMs: 5,
        },
      ],
      receivedByStatus: { '200': 1 },
    },
  ],
  totals: { scheduled: 1, dropped: 0, sent: 1, answered: 1, mismatched: 0, unanswered: 0, refused: 0 },
  errors: { refused: 0, reset: 0, timeout: 0, statusMismatch: 0, other: 0 },
  rate: { targetPerSec: 1, achievedPerSec: 1 },
  latency: {
    service: { count: 1, minMs: 5, meanMs: 5, p50Ms: 5, p90Ms: 5, p99Ms: 5, p999Ms: 5, maxMs: 5 },
    scheduleCorrected: { count: 1, minMs: 5, meanMs: 5, p50Ms: 5, p90Ms: 5, p99Ms: 5, p999Ms: 5, maxMs: 5 },
  },
};

describe('otelpoc verify (CLI)', () => {
  let dir: string;
  let file: string;
  let server: Server;
  let peerUrl: string;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-verify-cli-'));
    file = join(dir, 'm.json');
    await writeFile(file, JSON.stringify(manifest));
    // Answers like Mimir does to a query without X-Scope-OrgID.
    server = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('no org id\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    peerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prometheus`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it('a backend answering 401 fails at once with exit 2 and the hint', async () => {
    const r = await runCli([
      'verify',
      '--manifest',
      file,
      '--url',
      peerUrl,
      '--no-tenant-header',
      '--timeout',
      '60s',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `otelpoc: ${peerUrl}/api/v1/query answered 401 no org id: is --no-tenant-header set? Mimir needs the X-Scope-OrgID header to know the tenant\n`,
    );
    expect(r.stdout).toBe('');
  });

  it('takes the bearer token from OTELPOC_VERIFY_BEARER_TOKEN and says which credentials failed', async () => {
    seen.length = 0;
    const r = await runCli(['verify', '--manifest', file, '--url', peerUrl, '--header', 'X-Extra: 1'], {
      env: cleanEnv({ OTELPOC_VERIFY_BEARER_TOKEN: 'sekrit' }),
    });
    expect(r.code).toBe(2);
    expect(seen[0]).toMatchObject({
      authorization: 'Bearer sekrit',
      'x-scope-orgid': 'tenant-1',
      'x-extra': '1',
    });
    expect(r.stderr).toMatch(
      /X-Scope-OrgID header did not arrive: is --tenant-header the name your gateway expects\?/,
    );
  });

  it.each([
    [
      ['--timeout', 'soon'],
      /^otelpoc: --timeout: expected a duration like 500ms, 30s or 2m \(greater than 0\), got "soon"\n$/,
    ],
    [['--header', 'no-colon'], /^otelpoc: --header: expected "Name: value", got "no-colon"\n$/],
    [
      ['--basic-auth', 'a:b', '--bearer-token', 't'],
      /^otelpoc: --basic-auth and --bearer-token: give one of them, not both/,
    ],
    [['--basic-auth', 'nocolon'], /^otelpoc: --basic-auth: expected user:password\n$/],
    [['--url', 'ftp://x'], /^otelpoc: --url: expected an http:\/\/ or https:\/\/ URL, got "ftp:\/\/x"\n$/],
  ])('bad input %j → one line, exit 2', async (args, message) => {
    const r = await runCli(['verify', '--manifest', file, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('SIGINT while polling an unreachable backend → exit 130, the report says nothing was decided', async () => {
    const { freePort } = await import('../helpers/backends.js');
    const { spawnCli } = await import('../helpers/cli.js');
    const url = `http://127.0.0.1:${await freePort()}/prometheus`;
    const junit = join(dir, 'unreachable.xml');
    const p = spawnCli(['verify', '--manifest', file, '--url', url, '--timeout', '60s', '--junit', junit]);
    await p.waitFor(/connection refused/, 15_000);
    p.kill('SIGINT');
    const r = await p.exited;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(
      /otelpoc: verify interrupted before all checks passed: 0 passed, 7 not decided; the report says which \(also in .*unreachable\.xml\)\n$/,
    );
    expect(r.stdout).toMatch(
      /tenant-1\s+series present\s+\?\s+not checked: interrupted before the backend answered/,
    );
    expect(r.stdout).toMatch(/INTERRUPTED run cli-run: 0 of 7 checks passed, 7 not decided/);
    const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      await readFile(junit, 'utf8'),
    ).testsuites.testsuite;
    expect(suite).toMatchObject({ tests: '7', failures: '0', errors: '7' });
  });

  it('SIGINT while polling a backend that never gets the data → --json report with interrupted: true, and --junit', async () => {
    // A Prometheus API that answers every query with no series: verify keeps polling.
    let queries = 0;
    const empty = createServer((req, res) => {
      queries++;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
    });
    await new Promise<void>((r) => empty.listen(0, '127.0.0.1', () => r()));
    try {
      const { spawnCli } = await import('../helpers/cli.js');
      const { pollUntil } = await import('../helpers/backends.js');
      const url = `http://127.0.0.1:${(empty.address() as AddressInfo).port}/prometheus`;
      const junit = join(dir, 'interrupted.xml');
      const p = spawnCli([
        'verify',
        '--manifest',
        file,
        '--url',
        url,
        '--timeout',
        '60s',
        '--json',
        '--junit',
        junit,
      ]);
      // Each poll asks the manifest's tenant and the default tenant (always looked in): 2 queries.
      await pollUntil(async () => (queries >= 4 ? true : undefined), {
        timeoutMs: 15_000,
        describe: () => `verify never polled twice\n${p.stderr}`,
      });
      p.kill('SIGINT');
      const r = await p.exited;
      expect(r.code, r.stderr).toBe(130);
      const report = JSON.parse(r.stdout) as VerifyReport;
      expect(report).toMatchObject({ runId: 'cli-run', ok: false, timedOut: false, interrupted: true });
      expect(report.polls).toBeGreaterThanOrEqual(2);
      // 7 checks of tenant-1, and the isolation row of the default tenant (always looked in).
      expect(report.results).toHaveLength(8);
      // The checks the empty backend leaves failing are undecided, not failed.
      const presence = report.results.find((c) => c.check === 'presence')!;
      expect(presence).toMatchObject({ ok: false, undecided: true, found: 'none' });
      expect(report.results.filter((c) => !c.ok).every((c) => c.undecided)).toBe(true);
      const xml = await readFile(junit, 'utf8');
      const suite = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml).testsuites
        .testsuite;
      expect(Number(suite.tests)).toBe(8);
      expect(Number(suite.failures)).toBe(0);
      expect(Number(suite.errors)).toBe(report.results.filter((c) => c.undecided).length);
      expect(suite.properties.property).toContainEqual({ name: 'interrupted', value: 'true' });
    } finally {
      await new Promise<void>((r) => empty.close(() => r()));
    }
  });

  it('a missing manifest → exit 2 naming the file', async () => {
    const r = await runCli(['verify', '--manifest', join(dir, 'nope.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--manifest: .*nope\.json does not exist/);
  });

  it('--help lists the checks, flags and examples', async () => {
    const r = await runCli(['verify', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Seven checks per tenant/);
    expect(r.stdout).toMatch(/--no-tenant-header/);
    expect(r.stdout).toMatch(/Examples:/);
  });
});
