import type { LoadClient, LoadRequest, Outcome } from '../../src/load/client.js';
import type { FakeClock } from './fake-clock.js';

export interface SentRecord extends LoadRequest {
  atMs: number;
}

/**
 * A LoadClient on a fake clock: answers each request after `latencyMs` of fake time with
 * `respond(req)` (default: the status asked for). Records what was sent and when.
 */
export function fakeClient(
  clock: FakeClock,
  opts: {
    latencyMs?: number | ((i: number) => number);
    respond?: (req: LoadRequest, i: number) => Outcome;
  } = {},
): LoadClient & { sent: SentRecord[]; closed: boolean } {
  const sent: SentRecord[] = [];
  const client = {
    sent,
    closed: false,
    send(req: LoadRequest, done: (o: Outcome) => void) {
      const i = sent.length;
      sent.push({ ...req, atMs: clock.now() });
      const latency = typeof opts.latencyMs === 'function' ? opts.latencyMs(i) : (opts.latencyMs ?? 5);
      const outcome = opts.respond ? opts.respond(req, i) : { status: req.status };
      void clock.sleepUntil(clock.now() + latency).then(() => done(outcome));
    },
    async close() {
      client.closed = true;
    },
  };
  return client;
}
