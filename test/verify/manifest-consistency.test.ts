/**
 * A manifest whose numbers contradict each other is refused when it is read (exit 2, one line naming
 * the file and the first broken equation): verify derives every expected count from it. The tamper
 * cases start from a manifest written by a real `otelpoc load`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { assertShardsOfOneRun } from '../../src/manifest/consistency.js';
import { parseManifest } from '../../src/manifest/parse.js';
import type { RunManifest } from '../../src/manifest/schema.js';
import { realLoadManifest, realLoadManifestText, reconciled } from './fixtures.js';

let real: RunManifest;
beforeAll(async () => {
  real = await realLoadManifest();
});

/** A deep copy of the real manifest, edited by `edit`. */
function tampered(edit: (m: RunManifest) => void): RunManifest {
  const m = structuredClone(real);
  edit(m);
  return m;
}

/** tenants[1] is tenant-2; its status 200 cell: 51 sent, 51 answered, 45 dropped. */
const cell200 = (m: RunManifest) => m.tenants[1]!.byStatus.find((c) => c.status === 200)!;

/** `n` more requests sent and unanswered in tenant-2's 200 cell, the totals adjusted (the errors not). */
function claimUnanswered(m: RunManifest, n: number): void {
  const c = cell200(m);
  c.sent += n;
  c.unanswered += n;
  m.totals.sent += n;
  m.totals.scheduled += n;
  m.totals.unanswered += n;
}

describe('the manifest adds up, or it is refused when read', () => {
  it('a manifest written by a real load passes, and so does one edited consistently', () => {
    expect(parseManifest(real, 'm.json').totals.sent).toBe(167);
    expect(() => parseManifest(reconciled(real), 'm.json')).not.toThrow();
  });

  it('schema version 1, as the real load wrote it, reads as the same run in version 2', async () => {
    const v1 = JSON.parse(await realLoadManifestText(1));
    expect(v1.schemaVersion).toBe(1);
    const read = parseManifest(v1, 'v1.json');
    expect(read).toEqual(parseManifest(real, 'v2.json'));
    // The v1 config's free-form extra became typed fields: stages, anonymous share, serve settings.
    expect(read.config).toMatchObject({ runId: 'fixture-load', anonymousPercent: 20, requests: 300 });
    expect(read.config.stages).toEqual([{ durationMs: null, fromPerSec: 200, toPerSec: 200 }]);
    expect(read.server).toMatchObject({ seed: 7, delay: { minMs: 1, maxMs: 60 }, exportIntervalMs: 10_000 });
  });

  it('a tampered version 1 manifest is refused like a version 2 one', async () => {
    const v1 = JSON.parse(await realLoadManifestText(1));
    v1.tenants[1].byStatus[0].sent += 1;
    expect(() => parseManifest(v1, 'v1.json')).toThrow(/^v1\.json: /);
    v1.config.extra.stages = [{ durationMs: -1 }];
    expect(() => parseManifest(v1, 'v1.json')).toThrow(/^v1\.json: config\.stages\[0\]/);
  });

  it.each<[string, (m: RunManifest) => void, string]>([
    [
      'sent and answered ×10, totals adjusted, receivedByStatus untouched (the adversarial case)',
      (m) => {
        const c = cell200(m);
        m.totals.sent += 9 * c.sent;
        m.totals.scheduled += 9 * c.sent;
        m.totals.answered += 9 * c.answered;
        c.sent *= 10;
        c.answered *= 10;
      },
      'tenants[1] (tenant-2) status 200: receivedByStatus["200"] 51 < answered 510',
    ],
    [
      'sent ×10 alone',
      (m) => {
        cell200(m).sent *= 10;
      },
      'tenants[1] (tenant-2) status 200: sent 510 ≠ answered 51 + mismatched 0 + unanswered 0 + refused 0',
    ],
    [
      'answered and receivedByStatus ×10 together (sent untouched)',
      (m) => {
        cell200(m).answered *= 10;
        m.tenants[1]!.receivedByStatus['200'] = 510;
      },
      'tenants[1] (tenant-2) status 200: sent 51 ≠ answered 510 + mismatched 0 + unanswered 0 + refused 0',
    ],
    [
      'a response counted in receivedByStatus that no cell sent',
      (m) => {
        m.tenants[0]!.receivedByStatus['503'] = 2;
      },
      'tenants[0] (tenant-1): Σ receivedByStatus 80 ≠ answered 78 + mismatched 0',
    ],
    [
      '50 unanswered claimed, totals adjusted, but no error recorded for them',
      (m) => {
        claimUnanswered(m, 50);
      },
      'errors.timeout 0 + errors.reset 0 + errors.other 0 ≠ totals.unanswered 50',
    ],
    [
      '50 unanswered claimed with 50 timeouts, but the sends are not in the lateness histogram',
      (m) => {
        claimUnanswered(m, 50);
        m.errors.timeout += 50;
      },
      'latency.sendLateness.count 167 ≠ totals sent 217',
    ],
    [
      'a total that is not the sum of the cells',
      (m) => {
        m.totals.answered += 1;
      },
      'totals.answered 168 ≠ Σ tenants[].byStatus[].answered 167',
    ],
    [
      'scheduled ≠ sent + dropped',
      (m) => {
        m.totals.scheduled += 1;
      },
      'totals.scheduled 301 ≠ sent 167 + dropped 133',
    ],
    [
      'refused requests without refused errors',
      (m) => {
        const c = m.tenants[2]!.byStatus[0]!;
        c.sent += 5;
        c.refused += 5;
        m.totals.sent += 5;
        m.totals.scheduled += 5;
        m.totals.refused += 5;
      },
      'errors.refused 0 ≠ totals.refused 5',
    ],
    [
      'a status mismatch not in the errors',
      (m) => {
        m.errors.statusMismatch = 3;
      },
      'errors.statusMismatch 3 ≠ totals.mismatched 0',
    ],
    [
      'a latency histogram counting other requests',
      (m) => {
        m.latency.service.count = 1670;
      },
      'latency.service.count 1670 ≠ totals answered + mismatched 167',
    ],
    [
      'service time without any response',
      (m) => {
        const c = m.tenants[2]!.byStatus[0]!;
        Object.assign(c, { sent: 0, answered: 0, dropped: c.dropped + c.sent });
        m.tenants[2]!.receivedByStatus['200'] = 0;
        Object.assign(m, reconciled(m));
      },
      'tenants[2] (no Client-ID) status 200: latencySumMs',
    ],
    [
      'a status listed twice',
      (m) => {
        m.tenants[0]!.byStatus.push({ ...m.tenants[0]!.byStatus[0]! });
      },
      'tenants[0] (tenant-1) status 200: listed twice in byStatus',
    ],
  ])('%s → exit 2 naming the equation', (_name, edit, equation) => {
    const m = tampered(edit);
    let message = '';
    try {
      parseManifest(m, 'm.json');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`m.json: inconsistent manifest: ${equation}`);
    expect(message.split('\n')).toHaveLength(1);
  });
});

describe('several manifests are the shards of one run', () => {
  const shard = (index: number, count: number, edit: (m: RunManifest) => void = () => {}) =>
    tampered((m) => {
      m.shard = { index, count };
      edit(m);
    });
  const check = (...ms: RunManifest[]) =>
    assertShardsOfOneRun(ms.map((manifest, i) => ({ manifest, source: `s${i}.json` })));

  it('accepts each shard once, with the same run and plan; per-shard targets (load --serve) differ', () => {
    expect(() => check(shard(0, 2), shard(1, 2))).not.toThrow();
    expect(() => check(real)).not.toThrow();
    const own = (port: number) => (m: RunManifest) => {
      m.config.target = `http://127.0.0.1:${port}/api`;
      m.target = m.config.target;
    };
    expect(() => check(shard(1, 3, own(1001)), shard(0, 3, own(1002)), shard(2, 3, own(1003)))).not.toThrow();
  });

  it('partial: some shards on purpose (run --shard checks its own)', () => {
    expect(() =>
      assertShardsOfOneRun([{ manifest: shard(1, 3), source: 's.json' }], { partial: true }),
    ).not.toThrow();
  });

  it.each<[string, () => RunManifest[], RegExp]>([
    [
      'a different plan',
      () => [shard(0, 2), shard(1, 2, (m) => (m.config.maxInflight = 400))],
      /^--manifest: s1\.json and s0\.json have different config \(the load plan\)/,
    ],
    [
      'the same manifest twice (one file by two paths)',
      () => [real, structuredClone(real)],
      /^--manifest: s1\.json and s0\.json are the same manifest/,
    ],
    [
      'the same shard twice',
      () => [shard(1, 2), shard(1, 2, (m) => (m.endedAt = m.startedAt))],
      /^--manifest: s1\.json and s0\.json are both shard 1\/2 of run "[^"]+"; give each shard once$/,
    ],
    [
      'a shard missing',
      () => [shard(0, 3), shard(2, 3)],
      /^--manifest: run "[^"]+" has 3 shards but shard 1\/3 is missing \(found 2: s0\.json, s1\.json\); give every shard's manifest$/,
    ],
    ['a lone shard', () => [shard(0, 2)], /shard 1\/2 is missing/],
    ['two shards missing', () => [shard(1, 4), shard(3, 4)], /shard 0\/4, 2\/4 are missing/],
    [
      'two unsharded manifests of one run',
      () => [real, tampered((m) => (m.endedAt = m.startedAt))],
      /2 manifests of run "[^"]+" but none is a shard/,
    ],
    ['shard info on one only', () => [shard(0, 2), tampered(() => {})], /carries no shard information/],
    [
      'a different shard count',
      () => [shard(0, 2), shard(1, 3)],
      /is shard 1\/3, but s0\.json is one of 2 shards/,
    ],
  ])('refuses %s', (_name, make, message) => {
    expect(() => check(...make())).toThrow(message);
  });
});

describe('otelpoc verify with an inconsistent manifest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-consistency-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 with one line naming the file and the equation, before asking any backend', async () => {
    const file = join(dir, 'tampered.json');
    await writeFile(
      file,
      JSON.stringify(
        tampered((m) => {
          cell200(m).sent *= 10;
        }),
      ),
    );
    const out = { stdout: '', stderr: '' };
    const sink = (key: 'stdout' | 'stderr') => ({
      write: (s: string | Uint8Array) => {
        out[key] += String(s);
        return true;
      },
    });
    const code = await main(['verify', '--manifest', file, '--url', 'http://127.0.0.1:9/prometheus'], {
      env: {},
      cwd: dir,
      stdout: sink('stdout'),
      stderr: sink('stderr'),
      signal: new AbortController().signal,
    });
    expect(code).toBe(2);
    expect(out.stderr).toBe(
      `otelpoc: ${file}: inconsistent manifest: tenants[1] (tenant-2) status 200: sent 510 ≠ answered 51 + mismatched 0 + unanswered 0 + refused 0\n`,
    );
    expect(out.stdout).toBe('');
  });

  it('exits 2 naming the field for a duration no load records (an export interval of 1e300 ms), before polling', async () => {
    const file = join(dir, 'huge-interval.json');
    await writeFile(
      file,
      JSON.stringify(
        tampered((m) => {
          m.server = { ...m.server!, finalFlushOk: true, exportIntervalMs: 1e300 };
        }),
      ),
    );
    const out = { stdout: '', stderr: '' };
    const sink = (key: 'stdout' | 'stderr') => ({
      write: (s: string | Uint8Array) => {
        out[key] += String(s);
        return true;
      },
    });
    const started = performance.now();
    const code = await main(
      ['verify', '--manifest', file, '--url', 'http://127.0.0.1:9/prometheus', '--timeout', '3s'],
      {
        env: {},
        cwd: dir,
        stdout: sink('stdout'),
        stderr: sink('stderr'),
        signal: new AbortController().signal,
      },
    );
    expect(code).toBe(2);
    expect(out.stderr).toBe(
      `otelpoc: ${file}: server.exportIntervalMs: 1e+300 ms is out of range: expected at most 2073600000 ms (576h), the most load records\n`,
    );
    // Refused on reading: not after polling the (unreachable) backend for the 3 s timeout.
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('reads a genuine 576h export interval (the settle window is then capped, see settle-bound.test.ts)', () => {
    const m = tampered((x) => {
      x.server = { ...x.server!, exportIntervalMs: 576 * 3_600_000 };
    });
    expect(parseManifest(JSON.parse(JSON.stringify(m)), 'm.json').server?.exportIntervalMs).toBe(
      576 * 3_600_000,
    );
    const late = tampered((x) => {
      x.config = { ...x.config, timeoutMs: 1e20 };
    });
    expect(() => parseManifest(JSON.parse(JSON.stringify(late)), 'm.json')).toThrow(
      /^m\.json: config\.timeoutMs: 100000000000000000000 ms is out of range/,
    );
  });
});
