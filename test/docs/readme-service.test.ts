/**
 * The README's "Prove your own service" walkthrough runs as written: its bash block, as one script,
 * against a real VictoriaMetrics and the real instrumentation-http service. Only what a shared
 * machine needs changes: the ports (free ones, not 8428 and 3001), `npx otelpoc` (this checkout's
 * bin/otelpoc) and the repository-relative fixture path (the script runs in a temporary folder, so
 * its manifest does not land in this checkout).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFileSync, rm } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable, freePort } from '../helpers/backends.js';
import { BIN, cleanEnv, ROOT } from '../helpers/cli.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The first bash block of the section. */
function walkthrough(): string {
  const section = readme.slice(readme.indexOf('## Prove your own service'));
  const block = /```bash\n([\s\S]*?)```/.exec(section.slice(0, section.indexOf('\n## ', 3)));
  if (!block) throw new Error('no bash block under "## Prove your own service"');
  return block[1]!;
}

function runScript(script: string, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolveRun) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, env: cleanEnv() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    // Bounded: the load is 5 s, verify's settle 3 s; the kill of the script's own service ends it.
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, out });
    });
  });
}

describe.runIf(backendsAvailable('README walkthrough: prove your own service'))(
  'README "Prove your own service" runs as written',
  () => {
    const vm = useVictoriaMetrics();
    const dirs: string[] = [];
    afterEach(() => {
      for (const d of dirs.splice(0)) rm(d, { recursive: true, force: true }, () => {});
    });

    async function script(extraBeforeVerify = ''): Promise<string> {
      const port = await freePort();
      const lines = walkthrough()
        .replaceAll('127.0.0.1:8428', vm.url.replace('http://', ''))
        .replaceAll('3001', String(port))
        .replaceAll('npx otelpoc', `node ${BIN}`)
        .replaceAll('test/fixtures/', `${ROOT}/test/fixtures/`)
        .split('\n');
      // The service listens by the time load starts: wait for its port (no HTTP request: it would
      // count one, as the first version of this test found out).
      const at = lines.findIndex((l) => l.includes(' load '));
      const up = `(: > /dev/tcp/127.0.0.1/${port}) 2>/dev/null`;
      lines.splice(at, 0, `for i in $(seq 100); do ${up} && break; sleep 0.1; done`);
      if (extraBeforeVerify) lines.splice(at + 2, 0, extraBeforeVerify.replaceAll('PORT', String(port)));
      // The service is stopped even when a command fails (bash -e): the test's process bound.
      return `trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n${lines.join('\n')}`;
    }

    async function tmp(): Promise<string> {
      const d = await new Promise<string>((ok, no) =>
        mkdtemp(join(tmpdir(), 'otelpoc-readme-'), (e, p) => (e ? no(e) : ok(p))),
      );
      dirs.push(d);
      return d;
    }

    it('green: load snapshots, verify finds exactly what was answered (exit 0)', async () => {
      const r = await runScript(await script(), await tmp());
      expect(r.out).toContain('service profile otel-http-stable · exact');
      expect(r.out).toMatch(/acme\s+200\s+(\d+)\s+\1\b/);
      expect(r.code, r.out).toBe(0);
    });

    it('the same walkthrough goes red when the service gets other traffic (the check can fail)', async () => {
      const extra = 'for i in 1 2 3; do curl -s -o /dev/null "127.0.0.1:PORT/api?sc=200"; done';
      const r = await runScript(await script(extra), await tmp());
      expect(r.out).toContain('3 are not from this run');
      expect(r.code, r.out).not.toBe(0);
    });
  },
);
