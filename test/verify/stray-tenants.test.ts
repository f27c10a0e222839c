/**
 * Data of the run outside the manifest's tenants: the tenants verify also looks in (default tenant,
 * --also-tenants, the backend's own list) and what it says when the run's series are there.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { defaultTenantsUrl } from '../../src/pipeline/verify-backend.js';
import { BackendError } from '../../src/util/errors.js';
import { runChecks } from '../../src/verify/checks/index.js';
import { PromClient, TransientBackendError } from '../../src/verify/prom-client.js';
import { realLoadManifest, runExp, samplesFor, tenantExp } from './fixtures.js';

describe('tenants the manifest sent nothing to', () => {
  const expectation = runExp([tenantExp('tenant-1', { 200: 3 })]);
  const own = { tenant: 'tenant-1', samples: samplesFor('tenant-1', { 200: 3 }) };

  it('series of the run there fail isolation, naming the tenant and the client_id', () => {
    const results = runChecks({
      expectation,
      observation: {
        isolated: true,
        views: [own, { tenant: 'anonymous', samples: samplesFor(null, { 200: 1 }) }],
      },
    });
    const stray = results.filter((r) => r.tenant === 'anonymous');
    expect(stray).toHaveLength(1);
    expect(stray[0]).toMatchObject({ check: 'isolation', ok: false, found: 'client_id=(none)' });
    expect(stray[0]!.problems).toEqual([
      '18 series of run "run-1" with client_id=(none) went to tenant "anonymous", which the manifest sent nothing to: requests outside the manifest carry this run id',
    ]);
    expect(results.filter((r) => !r.ok)).toHaveLength(1);
  });

  it('an empty tenant, or one the backend does not know, passes (one row saying so)', () => {
    const results = runChecks({
      expectation,
      observation: {
        isolated: true,
        views: [
          own,
          { tenant: 'anonymous', samples: [] },
          { tenant: 'tenant-9', samples: [], error: '400 missing route' },
        ],
      },
    });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.filter((r) => r.tenant !== 'tenant-1').map((r) => [r.tenant, r.found])).toEqual([
      ['anonymous', 'none'],
      ['tenant-9', 'tenant unknown to the backend'],
    ]);
  });

  it('a client_id the manifest never sent, inside a manifest tenant, is named as such', () => {
    const results = runChecks({
      expectation: runExp([tenantExp('tenant-1', { 200: 3 }), tenantExp('tenant-2', { 200: 1 })]),
      observation: {
        isolated: true,
        views: [
          { tenant: 'tenant-1', samples: [...own.samples, ...samplesFor('tenant-9', { 200: 1 })] },
          { tenant: 'tenant-2', samples: samplesFor('tenant-2', { 200: 1 }) },
        ],
      },
    });
    const iso = results.find((r) => r.tenant === 'tenant-1' && r.check === 'isolation')!;
    expect(iso.problems).toEqual([
      '18 series of run "run-1" with client_id="tenant-9", which the manifest never sent, went to tenant "tenant-1": requests outside the manifest carry this run id',
    ]);
  });
});

describe('listing the tenants (Mimir/Cortex /distributor/all_user_stats)', () => {
  let server: Server;
  let base: string;
  const seen: IncomingHttpHeaders[] = [];
  let answer: { status: number; type: string; body: string } = { status: 200, type: 'json', body: '[]' };
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });
  const client = () =>
    new PromClient({
      baseUrl: `${base}/prometheus`,
      tenantHeader: 'X-Scope-OrgID',
      headers: { Authorization: 'Bearer t' },
      timeoutMs: 2000,
    });

  it("reads Mimir's JSON (an array of UserIDStats), asking for JSON with the credentials and no tenant", async () => {
    // The shape of Mimir's distributor answer: json.NewEncoder over []UserIDStats, sorted by numSeries.
    answer = {
      status: 200,
      type: 'application/json',
      body: `${JSON.stringify([
        { userID: 'tenant-9', ingestionRate: 2, numSeries: 40, APIIngestionRate: 2, RuleIngestionRate: 0 },
        { userID: 'anonymous', ingestionRate: 1, numSeries: 18, APIIngestionRate: 1, RuleIngestionRate: 0 },
      ])}\n`,
    };
    seen.length = 0;
    const c = client();
    expect(await c.listTenants(`${base}/distributor/all_user_stats`)).toEqual(['anonymous', 'tenant-9']);
    await c.close();
    expect(seen[0]).toMatchObject({ accept: 'application/json', authorization: 'Bearer t' });
    expect(seen[0]!['x-scope-orgid']).toBeUndefined();
  });

  it.each([
    [404, 'text/plain', '404 page not found', BackendError, /answered 404 .*--also-tenants a,b instead/],
    [200, 'text/html', '<html>Mimir Ingester Stats</html>', BackendError, /not JSON .*--also-tenants/],
    [200, 'application/json', '{"status":"success"}', BackendError, /did not answer a list of \{"userID"/],
    [503, 'text/plain', 'ingesters unavailable', TransientBackendError, /answered 503/],
  ])('%i %s → %s', async (status, type, body, kind, message) => {
    answer = { status, type, body };
    const c = client();
    const err = await c.listTenants(`${base}/distributor/all_user_stats`).catch((e: unknown) => e);
    await c.close();
    expect(err).toBeInstanceOf(kind);
    expect((err as Error).message).toMatch(message);
  });

  it('derives the URL from --url: same host and port, /prometheus replaced', () => {
    expect(defaultTenantsUrl('http://localhost:9009/prometheus')).toBe(
      'http://localhost:9009/distributor/all_user_stats',
    );
    expect(defaultTenantsUrl('https://mimir.example/prometheus/')).toBe(
      'https://mimir.example/distributor/all_user_stats',
    );
    expect(defaultTenantsUrl('http://gw:8080/mimir/prometheus')).toBe(
      'http://gw:8080/mimir/distributor/all_user_stats',
    );
  });
});

describe('the tenant search flags', () => {
  it.each([
    [['--tenants-url', 'http://x:9009/t'], '--tenants-url: only used with --all-tenants'],
    [['--all-tenants', '--no-tenant-header'], '--all-tenants: there are no tenants to look in'],
    [['--also-tenants', 'a,b c'], '--also-tenants: "b c" has characters other than'],
    [['--all-tenants', '--tenants-url', 'ftp://x'], '--tenants-url: expected an http:// or https:// URL'],
  ])('%j → exit 2, one line', async (args, message) => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'otelpoc-stray-'));
    const file = join(dir, 'm.json');
    await writeFile(file, JSON.stringify(await realLoadManifest()));
    let stderr = '';
    const code = await main(
      ['verify', '--manifest', file, '--url', 'http://127.0.0.1:9/prometheus', ...args],
      {
        env: {},
        cwd: dir,
        stdout: { write: () => true },
        stderr: {
          write: (s: string | Uint8Array) => {
            stderr += String(s);
            return true;
          },
        },
        signal: new AbortController().signal,
      },
    );
    await rm(dir, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(stderr.startsWith(`otelpoc: ${message}`), stderr).toBe(true);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
