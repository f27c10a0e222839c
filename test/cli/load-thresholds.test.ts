/**
 * Thresholds make load exit 1 (after writing the manifest); so does a run with nothing answered (a
 * refused target: counted in the manifest, and the verdict says nothing listens there).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/manifest/parse.js';
import { freePort } from '../helpers/backends.js';
import { runCli } from '../helpers/cli.js';

describe('otelpoc load thresholds', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-load-thr-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a refused target: every request counted as refused, exit 1 with or without --max-error-rate', async () => {
    const port = await freePort(); // nothing listens there
    const out = join(dir, 'refused.json');
    const args = [
      'load',
      '--target',
      `http://127.0.0.1:${port}`,
      '--requests',
      '12',
      '--rps',
      '100',
      '--out',
      out,
    ];
    const r = await runCli([...args, '--max-error-rate', '1%', '--quiet'], { timeoutMs: 30_000 });
    const nothing = `nothing listens at http://127.0.0.1:${port}/api: all 12 requests were refused; start \`otelpoc serve\` or add \`--serve\``;
    expect(r.stderr).toBe(`otelpoc: ${nothing}\nerror rate 100.00% is above --max-error-rate 1.00%\n`);
    expect(r.code).toBe(1);
    const m = parseManifest(JSON.parse(await readFile(out, 'utf8')), out);
    expect(m.totals).toMatchObject({ sent: 12, refused: 12, answered: 0 });
    expect(m.errors.refused).toBe(12);
    expect(m.target).toBe(`http://127.0.0.1:${port}/api`);

    // Issue 20 changed this from exit 0: a run with nothing answered proved nothing.
    const none = await runCli([...args, '--quiet'], { timeoutMs: 30_000 });
    expect(none.stderr).toBe(`otelpoc: ${nothing}\n`);
    expect(none.code).toBe(1);
    expect(parseManifest(JSON.parse(await readFile(out, 'utf8')), out).totals.refused).toBe(12);
  });

  it('without --quiet: the summary on stdout names the error categories', async () => {
    const port = await freePort();
    const r = await runCli(
      [
        'load',
        '--target',
        `http://127.0.0.1:${port}`,
        '--requests',
        '3',
        '--rps',
        '100',
        '--out',
        join(dir, 's.json'),
      ],
      { timeoutMs: 30_000 },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^otelpoc: nothing listens at http:\/\/127\.0\.0\.1:\d+\/api: all 3 requests were refused/m,
    );
    // Nothing measured: dashes, not a latency table of zeros.
    expect(r.stdout).toMatch(/service \(send → response\) +– +– +– +– +– +0\n/);
    expect(r.stdout).toMatch(/errors +refused 3 · reset 0 · timeout 0 · status mismatch 0 · other 0/);
    expect(r.stdout).toMatch(/service \(send → response\)/);
    expect(r.stderr).toMatch(
      /^load: run \S+ → http:\/\/127\.0\.0\.1:\d+\/api: open model, 100 req\/s, 3 requests/,
    );
    expect(r.stderr).toContain(`manifest: ${join(dir, 's.json')}`);
  });
});
