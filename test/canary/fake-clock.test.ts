/**
 * The canary on a fake clock (test/load/fake-clock.ts), as the load runner is tested: its traffic
 * sends at exact due times from the start (no drift, a due time beyond the in-flight cap skipped),
 * and its intervals fall on the start's grid, an interval that overran skipping the due times it
 * missed (the next one runs at once, then the grid goes on). The intervals run against a fake Prometheus API whose answer the test holds back.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanaryEvent } from '../../src/canary/canary.js';
import { canary } from '../../src/canary/command.js';
import { startTraffic } from '../../src/canary/traffic.js';
import type { LoadRequest } from '../../src/load/client.js';
import { freePort, pollUntil } from '../helpers/backends.js';
import { FakeClock } from '../load/fake-clock.js';

describe('canary traffic on a fake clock', () => {
  it('sends at t0 + i/rate exactly, round-robin over the tenants', async () => {
    const clock = new FakeClock();
    const sent: { at: number; req: LoadRequest }[] = [];
    const traffic = startTraffic({
      targetUrl: 'http://127.0.0.1:1/api',
      runId: 'canary-t',
      clientIds: ['a', 'b'],
      statusMix: [{ status: 200, weight: 1 }],
      ratePerSec: 4,
      timeoutMs: 1000,
      clock,
      onSent: () => {},
      client: {
        send: (req, done) => {
          sent.push({ at: clock.now(), req });
          done({ status: 200 });
        },
        close: async () => {},
      },
    });
    await clock.advance(1000);
    expect(sent.map((s) => s.at)).toEqual([0, 250, 500, 750, 1000]);
    expect(sent.map((s) => s.req.clientId)).toEqual(['a', 'b', 'a', 'b', 'a']);
    await clock.advance(10_000);
    expect(sent).toHaveLength(45);
    await traffic.stop();
    await clock.advance(1000);
    expect(sent).toHaveLength(45);
  });

  it('skips a due time while 16 requests are in flight, and sends again once they finish', async () => {
    const clock = new FakeClock();
    const pending: (() => void)[] = [];
    const sentAt: number[] = [];
    const traffic = startTraffic({
      targetUrl: 'http://127.0.0.1:1/api',
      runId: 'canary-t',
      clientIds: ['a'],
      statusMix: [{ status: 200, weight: 1 }],
      ratePerSec: 10,
      timeoutMs: 1000,
      clock,
      onSent: () => {},
      client: {
        send: (_req, done) => {
          sentAt.push(clock.now());
          pending.push(() => done({ status: 200 }));
        },
        close: async () => {},
      },
    });
    await clock.advance(2000); // 21 due times, 16 sent
    expect(sentAt).toHaveLength(16);
    for (const done of pending.splice(0)) done();
    await clock.advance(100);
    expect(sentAt).toHaveLength(17);
    expect(sentAt.at(-1)).toBe(2100);
    await traffic.stop();
  });
});

describe('canary intervals on a fake clock', () => {
  let server: Server;
  let url: string;
  /** Answers held back by the test (the query of an interval that overruns). */
  let hold: Promise<void> | undefined;
  let queries = 0;
  beforeAll(async () => {
    server = createServer(async (req, res) => {
      req.resume();
      queries++;
      await hold;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"status":"success","data":{"resultType":"matrix","result":[]}}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/prometheus`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('checks on the start grid; an interval that overran skips the due times it missed', async () => {
    const clock = new FakeClock();
    const abort = new AbortController();
    const events: CanaryEvent[] = [];
    const intervals = () =>
      events.flatMap((e) => (e.type === 'interval' ? [e.report.atMs - clock.wallStart] : []));
    const closed = await freePort();
    const run = canary(
      {
        url,
        otlpEndpoint: `http://127.0.0.1:${closed}`,
        exportInterval: '60s',
        interval: '10s',
        tenants: '1',
        metricsPort: '0',
        delay: '0',
      },
      { env: {}, signal: abort.signal, clock, onEvent: (e) => events.push(e) },
    );
    const seen = (n: number) =>
      pollUntil(async () => (intervals().length >= n ? true : undefined), {
        timeoutMs: 10_000,
        describe: () => JSON.stringify(events.map((e) => e.type)),
      });
    try {
      await pollUntil(async () => (events.some((e) => e.type === 'started') ? true : undefined), {
        timeoutMs: 10_000,
        describe: () => JSON.stringify(events),
      });
      await clock.advance(9_999);
      expect(queries).toBe(0);
      await clock.advance(1);
      await seen(1);
      expect(intervals()).toEqual([10_000]);
      // The second interval's query hangs while 25 s pass: the due times 30 s and 40 s are missed;
      // the next interval runs at once (late, one for both), then the grid goes on at 50 s.
      let release: () => void = () => {};
      hold = new Promise((r) => (release = r));
      await clock.advance(10_000);
      await pollUntil(async () => (queries >= 2 ? true : undefined), {
        timeoutMs: 10_000,
        describe: () => '',
      });
      await clock.advance(25_000);
      release();
      hold = undefined;
      await seen(3);
      expect(intervals()).toEqual([10_000, 20_000, 45_000]);
      await clock.advance(4_999); // t = 49.999 s
      expect(queries).toBe(3);
      await clock.advance(1);
      await seen(4);
      expect(intervals()).toEqual([10_000, 20_000, 45_000, 50_000]);
    } finally {
      abort.abort();
    }
    await expect(run).resolves.toBe(0);
    expect(events.at(-1)).toMatchObject({ type: 'stopped' });
  }, 30_000);
});
