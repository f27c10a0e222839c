/**
 * A sharded run as users run it: 3 separate `otelpoc load --serve --shard i/3` processes, each with
 * its own in-process server exporting to one real VictoriaMetrics, then one `otelpoc verify` over the
 * directory of their manifests. Green with exact counts (the per-process labels differ between the
 * shards' series); red naming the shard when its manifest is missing or its data never arrived.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import type { VerifyReport } from '../../src/verify/types.js';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, freePort } from '../helpers/backends.js';
import { cleanEnv, runCli } from '../helpers/cli.js';

const enabled = backendsAvailable('sharded runs end-to-end (VictoriaMetrics)');

const SHARDS = 3;
/** The whole run: 180 requests at 90 req/s over 3 tenants; each shard sends 60 of them. */
const PLAN = ['--rps', '90', '--requests', '180', '--tenants', '3', '--status-mix', '200:85,404:10,500:5'];

describe.skipIf(!enabled)('sharded run: 3 load processes → one VictoriaMetrics → one verify', () => {
  const vm = useVictoriaMetrics();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-shards-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The shards of run `runId` as parallel processes; `otlp(i)` is where shard i exports. */
  async function loadShards(runId: string, otlp: (i: number) => string): Promise<string> {
    const out = join(dir, runId);
    await mkdir(out);
    const results = await Promise.all(
      Array.from({ length: SHARDS }, (_, i) =>
        runCli(
          [
            'load',
            '--serve',
            '--shard',
            `${i}/${SHARDS}`,
            '--run-id',
            runId,
            ...PLAN,
            '--delay',
            '1-5ms',
            '--export-interval',
            '500ms',
            '--otlp-endpoint',
            otlp(i),
            '--out',
            join(out, `shard-${i}.json`),
            '--quiet',
          ],
          { env: cleanEnv({ OTEL_EXPORTER_OTLP_TIMEOUT: '2000' }), timeoutMs: 60_000 },
        ),
      ),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    return out;
  }

  const verify = (manifests: string[], extra: string[] = []) =>
    runCli(
      [
        'verify',
        ...manifests.flatMap((m) => ['--manifest', m]),
        '--url',
        vm.promUrl,
        '--no-tenant-header',
        '--json',
        ...extra,
      ],
      { timeoutMs: 60_000 },
    );

  it('is green with exact counts: the sum of the shards is the whole plan', async () => {
    const out = await loadShards('shards-green', () => vm.otlpEndpoint);
    const manifests = await Promise.all(
      Array.from(
        { length: SHARDS },
        async (_, i) => JSON.parse(await readFile(join(out, `shard-${i}.json`), 'utf8')) as RunManifest,
      ),
    );
    expect(manifests.map((m) => m.shard)).toEqual([
      { index: 0, count: 3 },
      { index: 1, count: 3 },
      { index: 2, count: 3 },
    ]);
    expect(manifests.map((m) => m.totals.sent)).toEqual([60, 60, 60]);
    // Each shard loaded its own server: three targets, one plan.
    expect(new Set(manifests.map((m) => m.target)).size).toBe(3);

    const r = await verify([out], ['--timeout', '30s', '--settle', '1s']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.ok).toBe(true);
    // The shards' real starts, how far apart (started by hand: no planned start).
    expect(report.shardStarts).toMatch(
      /^the 3 shards' real starts spread over (\d+ ms|\d+\.\d{3} s) \(first shard \d\/3 at .*, last shard \d\/3\); no planned start \(--start-at\) was given$/,
    );
    // The global mix of 180 requests: 153/18/9 by status, spread over 3 tenants by round robin.
    const counts = report.results.filter((x) => x.check === 'counts');
    expect(counts.map((x) => [x.tenant, x.found])).toEqual([
      ['tenant-1', '200:51 404:6 500:3'],
      ['tenant-2', '200:51 404:6 500:3'],
      ['tenant-3', '200:51 404:6 500:3'],
    ]);
    // The series budget counts distinct series and names the copies: each shard process reports its
    // own copy of the series it recorded (not every shard records every status of every tenant).
    const budget = report.results.filter((x) => x.check === 'series');
    expect(budget.map((x) => [x.tenant, x.expected, x.found])).toEqual(
      ['tenant-1', 'tenant-2', 'tenant-3'].map((t) => [
        t,
        '54 series (each counted once across the shard processes)',
        '54 series, as 108 from 3 shard processes',
      ]),
    );
    // The backend holds one series per shard process for each label set: they differ by per-process labels.
    const series = await vm.query(
      'http_server_request_total{otelpoc_run_id="shards-green",client_id="tenant-1",http_response_status_code="200"}',
    );
    expect(series).toHaveLength(3);
    expect(series.reduce((a, s) => a + s.value, 0)).toBe(51);
  });

  it('is red (exit 2) naming the shard whose manifest is missing', async () => {
    const out = join(dir, 'shards-green');
    const partial = join(dir, 'partial');
    await mkdir(partial);
    for (const i of [0, 2]) await copyFile(join(out, `shard-${i}.json`), join(partial, `shard-${i}.json`));
    const r = await verify([partial]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^otelpoc: --manifest: run "shards-green" has 3 shards but shard 1\/3 is missing/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    // The same shard twice (by two files): named too.
    await copyFile(join(out, 'shard-0.json'), join(partial, 'shard-0-again.json'));
    const twice = await verify([join(partial, 'shard-0.json'), join(partial, 'shard-0-again.json')]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/same manifest/);
  });

  it("is red naming the missing counts and the shard when one shard's data never arrived", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const out = await loadShards('shards-lost', (i) => (i === 1 ? dead : vm.otlpEndpoint));
    const r = await verify([out], ['--timeout', '6s', '--settle', '0']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.ok).toBe(false);
    const counts = report.results.filter((x) => x.check === 'counts');
    // Exactly what shards 0 and 2 sent arrived; shard 1's part is missing, and named as such.
    const sent = await Promise.all(
      [0, 2].map(
        async (i) => JSON.parse(await readFile(join(out, `shard-${i}.json`), 'utf8')) as RunManifest,
      ),
    );
    expect(counts.map((x) => [x.tenant, x.ok, x.found])).toEqual(
      ['tenant-1', 'tenant-2', 'tenant-3'].map((t) => [t, false, countsOf(sent, t)]),
    );
    expect(counts.flatMap((x) => x.problems).join('\n')).toMatch(/request\(s\) recorded, expected/);
    expect(report.undelivered).toEqual([
      expect.stringMatching(
        new RegExp(
          `^shard 1/3 \\(${out}/shard-1\\.json\\): its server's final export to ${dead}/v1/metrics failed`,
        ),
      ),
    ]);
    // The terminal report's verdict names the shard too.
    const text = await runCli(
      [
        'verify',
        '--manifest',
        out,
        '--url',
        vm.promUrl,
        '--no-tenant-header',
        '--timeout',
        '3s',
        '--settle',
        '0',
      ],
      {
        timeoutMs: 60_000,
      },
    );
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(
      /FAIL run shards-lost: .* — shard 1\/3 \(.*shard-1\.json\): its server's final export/,
    );
  });
});

/** "200:34 404:4" (verify's way of showing counts) of what `manifests` sent `tenant`. */
function countsOf(manifests: RunManifest[], tenant: string): string {
  const by = new Map<number, number>();
  for (const m of manifests) {
    for (const c of m.tenants.find((t) => t.clientId === tenant)?.byStatus ?? []) {
      by.set(c.status, (by.get(c.status) ?? 0) + c.answered);
    }
  }
  return [...by]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a - b)
    .map(([st, n]) => `${st}:${n}`)
    .join(' ');
}
