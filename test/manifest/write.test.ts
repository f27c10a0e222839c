import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import { manifestPath, writeRunManifest } from '../../src/manifest/write.js';
import { UsageError } from '../../src/util/errors.js';

describe('manifestPath (the path load and run name while they write)', () => {
  it("is --out when given, else the run's default, or the shard's", () => {
    expect(manifestPath('r-1', 'out/m.json')).toBe('out/m.json');
    expect(manifestPath('r-1', 'out/m.json', { index: 1, count: 3 })).toBe('out/m.json');
    expect(manifestPath('r-1', undefined)).toBe('.otelpoc/runs/r-1.json');
    expect(manifestPath('r-1', undefined, { index: 1, count: 3 })).toBe(
      '.otelpoc/runs/r-1/shard-1-of-3.json',
    );
  });
});

describe('writeRunManifest when the write fails after the work (the run is not lost)', () => {
  const manifest = async () =>
    JSON.parse(
      await readFile(new URL('../report/fixture-run.v3.json', import.meta.url), 'utf8'),
    ) as RunManifest;

  it('saves the manifest to a fallback file and names it in the error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'otelpoc-out-'));
    try {
      const m = await manifest();
      // The --out directory was checked before the run, then removed during it.
      const err = await writeRunManifest(m, join(dir, 'gone', 'm.json'), dir, dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      const fallback = join(dir, `otelpoc-manifest-${m.runId}-${process.pid}.json`);
      expect((err as Error).message).toContain(`the manifest was saved to ${fallback} instead`);
      expect(JSON.parse(await readFile(fallback, 'utf8'))).toEqual(m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says the manifest is lost when the fallback cannot be written either', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'otelpoc-out-'));
    try {
      const err = await writeRunManifest(
        await manifest(),
        join(dir, 'gone', 'm.json'),
        dir,
        join(dir, 'none'),
      );
      expect.unreachable(String(err));
    } catch (err) {
      expect((err as Error).message).toMatch(/the fallback .* failed too .*: the manifest is lost$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
