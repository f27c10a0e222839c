/** Reading manifests: a byte order mark, one-line JSON errors, the version's type, one file given twice. */
import { symlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, readManifests } from '../../src/manifest/io.js';
import { parseManifest } from '../../src/manifest/parse.js';
import { type CountingServer, startCountingServer } from '../helpers/counting-server.js';
import { writeLoadManifest } from '../helpers/main-in-process.js';

let dir: string;
let server: CountingServer;
let text: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otelpoc-manifest-'));
  server = await startCountingServer();
  // A real manifest, from a real (tiny) load.
  await writeLoadManifest(dir, server.url, 3);
  text = await readFile(join(dir, 'm.json'), 'utf8');
  symlinkSync(join(dir, 'm.json'), join(dir, 'link.json'));
  await writeFile(join(dir, 'other.json'), text);
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function problem(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
}

describe('readManifest', () => {
  it('accepts a UTF-8 byte order mark', async () => {
    await writeFile(join(dir, 'bom.json'), `\uFEFF${text}`);
    expect(await readManifest('bom.json', dir)).toEqual(await readManifest('m.json', dir));
  });

  it('says what is wrong with bad JSON on one line', async () => {
    await writeFile(join(dir, 'bad.json'), '{\n  "schemaVersion": 1,\n  oops\n}\n');
    const message = await problem(() => readManifest('bad.json', dir));
    expect(message).toMatch(/^bad\.json: not valid JSON \(/);
    expect(message).not.toContain('\n');
  });

  it('a schemaVersion that is a string: says the number 4 is expected', () => {
    const data = { ...JSON.parse(text), schemaVersion: '2' };
    expect(() => parseManifest(data, 'm.json')).toThrow(
      /^m\.json: schemaVersion: expected the number 4 \(or 1 to 3\), got the string "2"$/,
    );
    expect(() => parseManifest({ ...data, schemaVersion: 5 }, 'm.json')).toThrow(
      'm.json: manifest schemaVersion 5 is not supported; this otelpoc reads versions 1 to 4',
    );
  });
});

describe('readManifests', () => {
  it.each([
    [
      ['m.json', './m.json'],
      '--manifest: "m.json" and "./m.json" are the same file; give each shard of the run once',
    ],
    [
      ['link.json', 'm.json'],
      '--manifest: "link.json" and "m.json" are the same file; give each shard of the run once',
    ],
  ])('refuses %j', async (paths, message) => {
    expect(await problem(() => readManifests(paths, dir))).toBe(message);
  });

  it('reads two different files, even with the same content', async () => {
    expect(await readManifests(['m.json', 'other.json'], dir)).toHaveLength(2);
  });
});
