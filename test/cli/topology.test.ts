/**
 * Every run names the topology it proved: `run --json` and the manifest's `server`, in process.
 * (The per-tenant topology end to end: test/server/per-tenant-export.e2e.test.ts.)
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import { type CountingServer, startCountingServer } from '../helpers/counting-server.js';
import { mainInProcess } from '../helpers/main-in-process.js';

describe('topology in reports and manifests', () => {
  let dir: string;
  let otlp: CountingServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-topology-'));
    otlp = await startCountingServer(); // answers 200 to every export
  });
  afterAll(async () => {
    await otlp?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const short = ['--rps', '20', '--requests', '10', '--delay', '0', '--quiet'];

  it('run --embedded --json: "embedded", in the document and the manifest', async () => {
    const out = join(dir, 'embedded.json');
    const r = await mainInProcess(['run', '--embedded', '--json', '--out', out, ...short], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      topology: string;
      manifest: RunManifest;
      verify: { topology?: string };
    };
    expect(doc.topology).toBe('embedded');
    expect(doc.verify.topology).toBe('embedded');
    expect(doc.manifest.server?.topology).toBe('embedded');
  });

  // One stream into an OTLP endpoint says only that: the sender cannot know whether a tenant router
  // is behind it (a plain VictoriaMetrics is not one), so it is not "tenant-router" any more.
  it('load --serve: one stream is "otlp-endpoint", --tenant-header is "per-tenant-export" with its streams', async () => {
    const one = join(dir, 'router.json');
    const common = ['load', '--serve', '--otlp-endpoint', otlp.url, '--tenants', '2', ...short];
    expect((await mainInProcess([...common, '--out', one], { cwd: dir })).code).toBe(0);
    const router = JSON.parse(await readFile(one, 'utf8')) as RunManifest;
    expect(router.server?.topology).toBe('otlp-endpoint');
    expect(router.server?.streams).toBeUndefined();

    const per = join(dir, 'per-tenant.json');
    const r = await mainInProcess([...common, '--tenant-header', 'X-Scope-OrgID', '--out', per], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(await readFile(per, 'utf8')) as RunManifest;
    expect(m.server?.topology).toBe('per-tenant-export');
    expect(m.server?.streams?.map((s) => [s.tenant, s.finalFlushOk])).toEqual([
      ['tenant-1', true],
      ['tenant-2', true],
    ]);
  });

  it('refuses contradicting or invalid per-tenant flags with one line, exit 2', async () => {
    const both = await mainInProcess(['run', '--per-tenant-export', '--no-tenant-header', ...short], {
      cwd: dir,
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^otelpoc: --per-tenant-export and --no-tenant-header: .*\n$/);
    const badTenant = await mainInProcess(
      ['run', '--per-tenant-export', '--default-tenant', '..', ...short],
      {
        cwd: dir,
      },
    );
    expect(badTenant.code).toBe(2);
    expect(badTenant.stderr).toMatch(/--default-tenant: "\.\." is "\.\."/);
    const header = await mainInProcess(['serve', '--tenant-header', 'not a header'], { cwd: dir });
    expect(header.code).toBe(2);
    expect(header.stderr).toMatch(/--tenant-header: header name "not a header"/);
  });
});
