/**
 * Repeated signals against real `bin/otelpoc` processes and a real VictoriaMetrics. Supervisors
 * deliver the same signal more than once (GNU `timeout` signals its child and then its process
 * group; Ctrl-C reaches the whole foreground group): the graceful stop must still drain, flush and
 * write. Only a signal 2 s or more after the first cuts it short, and then stderr says what was lost.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { type CliProcess, serveUrl, spawnCli, spawnServe } from '../helpers/cli.js';
import {
  expectedFromManifest,
  expectFlushedPartialManifest,
  readManifestFile,
  waitForCounts,
} from '../helpers/run-counts.js';

const enabled = backendsAvailable('repeated signals (VictoriaMetrics)');

/** Sends the same signal `times` times, `gapMs` apart (a supervisor's burst, or a user's Ctrl-C taps). */
async function signalRepeatedly(p: CliProcess, signal: NodeJS.Signals, times: number, gapMs: number) {
  for (let i = 0; i < times; i++) {
    if (i > 0) await sleep(gapMs);
    p.kill(signal);
  }
}

/** GET with its own connection; resolves with the status, or undefined when the server closed without answering. */
function get(
  url: string,
  headers: Record<string, string>,
): { sent: Promise<void>; status: Promise<number | undefined> } {
  let onSent!: () => void;
  const sent = new Promise<void>((r) => {
    onSent = r;
  });
  const status = new Promise<number | undefined>((resolve) => {
    const req = request(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(undefined));
    });
    req.on('finish', onSent);
    req.on('error', () => resolve(undefined));
    req.end();
  });
  return { sent, status };
}

describe.skipIf(!enabled)('repeated SIGINT/SIGTERM do not skip the graceful stop', () => {
  const vm = useVictoriaMetrics();
  let dir: string;
  let proc: CliProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-signals-'));
  });
  afterEach(() => {
    proc?.kill('SIGKILL');
    proc = undefined;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const loadServe = (runId: string, out: string) =>
    spawnCli([
      'load',
      '--serve',
      '--rps',
      '100',
      '--duration',
      '60s',
      '--tenants',
      '2',
      // Slow answers: the graceful stop waits about a second for those in flight, so the repeated
      // signals arrive while it runs.
      '--delay',
      '1000-1500ms',
      '--export-interval',
      '1h',
      '--otlp-endpoint',
      vm.otlpEndpoint,
      '--run-id',
      runId,
      '--out',
      out,
    ]);

  it.each([
    ['SIGTERM twice in quick succession (GNU timeout: child, then its group)', 'SIGTERM', 2, 50],
    ['SIGINT three times, spaced (Ctrl-C tapped)', 'SIGINT', 3, 300],
  ] as const)(
    'load --serve, %s: full partial manifest, exit 130, every count flushed',
    async (_, signal, times, gapMs) => {
      const runId = `signals-load-${signal.toLowerCase()}-${times}`;
      const out = join(dir, `${runId}.json`);
      proc = loadServe(runId, out);
      await proc.waitFor(new RegExp(`load: run ${runId}`));
      // Wait until the server has answered something (the first plain progress line comes at 5 s).
      await proc.waitFor(/load: .*sent \d+/, 20_000);
      await signalRepeatedly(proc, signal, times, gapMs);
      const r = await proc.exited;
      expect(r.code, r.stderr).toBe(130);
      expect(r.stderr).toMatch(/otelpoc: interrupted; partial manifest written to /);
      expect(r.stderr).toMatch(new RegExp(`otelpoc: ${signal} again within 2 s: taken as the same request`));
      expect(r.stderr).not.toMatch(/stopping now/);
      const m = await readManifestFile(out);
      expectFlushedPartialManifest(m);
      // Export interval 1 h: only the final flush of the graceful stop can have delivered these.
      const expected = expectedFromManifest(m);
      expect(await waitForCounts(vm, runId, expected)).toEqual(expected);
    },
  );

  it('serve, SIGTERM twice while requests are in flight: drains them and delivers every recorded count', async () => {
    const runId = 'signals-serve-double-term';
    proc = spawnServe(vm.otlpEndpoint, { delay: '1500ms', exportInterval: '1h' });
    const api = `${await serveUrl(proc)}/api`;
    const headers = { 'X-Run-ID': runId, 'Client-ID': 'tenant-s' };
    // Recorded before the signal, not exported yet (1 h interval): only the final flush delivers them.
    const before = await Promise.all(Array.from({ length: 3 }, () => get(api, headers).status));
    expect(before).toEqual([200, 200, 200]);
    const inFlight = Array.from({ length: 3 }, () => get(api, headers));
    await Promise.all(inFlight.map((g) => g.sent));
    await sleep(200); // parsed by the server by then: in flight (the count below holds either way)
    await signalRepeatedly(proc, 'SIGTERM', 2, 50);
    const r = await proc.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/otelpoc: SIGTERM again within 2 s: taken as the same request/);
    expect(r.stderr).toMatch(/stopped \(1 export\(s\), 0 failed\)/);
    const during = await Promise.all(inFlight.map((g) => g.status));
    // Every response the client received was recorded and flushed: in-flight ones included.
    const answered = [...before, ...during].filter((s) => s === 200).length;
    expect(answered).toBeGreaterThanOrEqual(3);
    expect(await waitForCounts(vm, runId, { 'tenant-s|200': answered })).toEqual({
      'tenant-s|200': answered,
    });
  });

  it('run --embedded, SIGTERM twice: writes its manifest, exit 130', async () => {
    const out = join(dir, 'run.json');
    proc = spawnCli([
      'run',
      '--embedded',
      '--delay',
      '1000-1500ms',
      '--rps',
      '50',
      '--duration',
      '60s',
      '--run-id',
      'signals-run',
      '--out',
      out,
    ]);
    await proc.waitFor(/load: .*sent \d+/, 20_000);
    await signalRepeatedly(proc, 'SIGTERM', 2, 50);
    const r = await proc.exited;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/otelpoc: SIGTERM again within 2 s: taken as the same request/);
    expect(r.stderr).toMatch(/otelpoc: interrupted; partial manifest written to /);
    const m = await readManifestFile(out);
    expect(m).toMatchObject({ runId: 'signals-run', interrupted: true });
    expect(m.totals.sent).toBeGreaterThan(0);
    expect(m.server?.finalFlushOk).toBe(true);
  });
});

describe('a deliberate second signal cuts the graceful stop short and says what was lost', () => {
  let hung: Server;
  let proc: CliProcess | undefined;

  beforeAll(async () => {
    // An OTLP endpoint that takes requests and never answers: the final export hangs until its timeout.
    hung = createServer((req) => req.resume());
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', () => r()));
  });
  afterAll(async () => {
    proc?.kill('SIGKILL');
    hung.closeAllConnections();
    await new Promise<void>((r) => hung.close(() => r()));
  });

  it('serve: SIGTERM, then SIGTERM again 2.5 s later during the final export → exit 130 naming the lost export', async () => {
    const endpoint = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    proc = spawnServe(endpoint, { exportInterval: '1h' });
    const api = `${await serveUrl(proc)}/api`;
    expect(await get(api, { 'X-Run-ID': 'signals-cut' }).status).toBe(200);
    proc.kill('SIGTERM');
    await proc.waitFor(/otelpoc serve: stopping/);
    await sleep(2_500);
    proc.kill('SIGTERM');
    const r = await proc.exited;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(
      new RegExp(
        `otelpoc: SIGTERM again 2\\.\\d s after the first: stopping now; lost: in-flight requests not waited for and final metrics export not sent \\(requests recorded since the last export never reach ${endpoint}/v1/metrics\\)\\n$`,
      ),
    );
  });
});
