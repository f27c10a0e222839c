/**
 * Every command in README.md can be run as written and leaves `git status` clean: each file or
 * folder a README command writes into the repository (--report, --junit, --out, `> file`,
 * VictoriaMetrics' data folder) is git-ignored, and so skipped by biome (vcs.useIgnoreFile), so
 * `npm run lint` stays green after following the README. The VictoriaMetrics line names the binary
 * where `npm test` puts it, not a PATH it may not be on.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The commands of README.md: the lines of its ```bash blocks, and its inline `npx otelpoc …` spans. */
function commands(text: string): string[] {
  const out: string[] = [];
  for (const block of text.matchAll(/```bash\n([\s\S]*?)```/g)) {
    out.push(...block[1]!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()));
  }
  // Inline spans may wrap over a line break in the Markdown source.
  for (const span of text.matchAll(/`((?:npx )?otelpoc [^`]+)`/g)) out.push(span[1]!.replace(/\s+/g, ' '));
  return out.filter(Boolean);
}

/** What a command writes in the working directory (the repository root), by its flags. */
function outputsOf(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/(?:--report|--junit|--out|\s-o)[ =](\S+)/g)) out.push(m[1]!);
  for (const m of command.matchAll(/\s>\s*(\S+)/g)) out.push(m[1]!);
  if (/(^|\/)victoria-metrics\s/.test(command)) {
    // Without -storageDataPath, VictoriaMetrics writes ./victoria-metrics-data.
    out.push(command.match(/-storageDataPath=(\S+)/)?.[1] ?? 'victoria-metrics-data');
  }
  // Placeholders (`--junit FILE`, `--report <file.html>`) and paths outside the repository.
  return out.filter((p) => !/^[<A-Z]/.test(p) && !p.startsWith('/') && !p.startsWith('$'));
}

const ignored = (path: string) => {
  try {
    execFileSync('git', ['check-ignore', '-q', '--no-index', path], { cwd: ROOT });
    return true;
  } catch {
    return false;
  }
};

describe('README commands leave the repository clean', () => {
  const all = commands(readme);
  const outputs = [...new Set(all.flatMap(outputsOf))];

  it('finds the commands that write files (the parser itself)', () => {
    expect(outputs).toEqual(
      expect.arrayContaining(['run.html', 'verify.html', 'run.json', 'verify.xml', 'otelpoc-junit.xml']),
    );
    expect(outputsOf('victoria-metrics -httpListenAddr=127.0.0.1:8428 &')).toEqual(['victoria-metrics-data']);
    expect(outputsOf('npx otelpoc verify --junit FILE --report <file.html>')).toEqual([]);
  });

  it('every file a README command writes is git-ignored', () => {
    expect(outputs.filter((p) => !ignored(p))).toEqual([]);
  });

  it('the VictoriaMetrics command runs the binary npm test installs, its data under .cache/', () => {
    const vm = all.filter((c) => /(^|\/)victoria-metrics\s/.test(c));
    expect(vm).toHaveLength(1);
    expect(vm[0]).toMatch(/^\.cache\/test-backends\/usr\/bin\/victoria-metrics /);
    expect(vm[0]).toContain('-storageDataPath=.cache/victoria-metrics-data');
  });

  it('a file README commands do not write is not ignored (the check can fail)', () => {
    expect(ignored('src/report/html.ts')).toBe(false);
    expect(ignored('report.html')).toBe(false);
  });
});
