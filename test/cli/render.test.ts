/** The one table renderer and the one progress renderer of the CLI. */
import { stripVTControlCharacters } from 'node:util';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/cli/context.js';
import { createProgress } from '../../src/cli/render/progress.js';
import { renderTable } from '../../src/cli/render/table.js';

describe('renderTable', () => {
  it('aligns by what is visible: colour codes take no width', () => {
    const c = new Chalk({ level: 1 });
    const lines = renderTable(
      [
        ['tenant', 'sent'],
        [c.red('t-1'), '5'],
        ['tenant-22', c.green('100')],
      ],
      { header: c.dim },
    );
    const plain = lines.map((l) => stripVTControlCharacters(l));
    expect(plain).toEqual(['tenant     sent', 't-1           5', 'tenant-22   100']);
    expect(lines[0]).toBe(c.dim('tenant     sent'));
  });
});

function ctxWith(stderr: { isTTY?: boolean; columns?: number }) {
  let err = '';
  const ctx = createContext(
    {
      env: { NO_COLOR: '1' },
      cwd: '.',
      stdout: { write: () => true },
      stderr: {
        ...stderr,
        write: (s: string | Uint8Array) => {
          err += String(s);
          return true;
        },
      },
      signal: new AbortController().signal,
    },
    { debug: false, noColor: true },
  );
  return { ctx, err: () => err };
}

describe('createProgress without a terminal', () => {
  it('writes a line when the key changes, else at most every plainEveryMs', () => {
    const { ctx, err } = ctxWith({ isTTY: false });
    const p = createProgress(ctx, { enabled: true, plainEveryMs: 5_000 });
    p.update('a0', { key: 'a', atMs: 0 });
    p.update('a1', { key: 'a', atMs: 1_000 });
    p.update('b1', { key: 'b', atMs: 1_500 });
    p.update('b2', { key: 'b', atMs: 6_600 });
    expect(err()).toBe('a0\nb1\nb2\n');
  });

  it('with startAtMs, the first line waits its turn (a load prints at 5 s, 10 s, …)', () => {
    const { ctx, err } = ctxWith({ isTTY: true, columns: 0 }); // a pseudo-terminal of 0 columns: plain
    const p = createProgress(ctx, { enabled: true, startAtMs: 0 });
    for (let t = 0; t <= 10_000; t += 500) p.update(`t=${t}`, { key: 'load', atMs: t });
    expect(err()).toBe('t=5000\nt=10000\n');
  });

  it('writes nothing when disabled (--json, --quiet)', () => {
    const { ctx, err } = ctxWith({ isTTY: false });
    const p = createProgress(ctx, { enabled: false });
    p.update('x');
    p.stop();
    expect(err()).toBe('');
  });
});
