/** `run --json` interrupted during the load still prints its one JSON document: what was done. In process. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainInProcess } from '../helpers/main-in-process.js';

describe('run --json, interrupted during the load', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-run-json-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints the JSON document with the partial manifest, exit 130', async () => {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 1500);
    const r = await mainInProcess(
      ['run', '--embedded', '--delay', '0', '--rps', '20', '--duration', '20s', '--json', '--out', 'r.json'],
      { cwd: dir, signal: ac.signal },
    );
    clearTimeout(timer);
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: false, manifestPaths: ['r.json'] });
    expect(doc.manifest.interrupted).toBe(true);
    expect(doc.manifest.totals.sent).toBeGreaterThan(0);
    expect(doc.verify).toBeUndefined();
  });
});
