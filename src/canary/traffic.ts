/**
 * The canary's traffic: a steady, low, deterministic request stream to its in-process server, for as
 * long as the canary runs. The load engine's runner plans a bounded run (a duration, a count) and
 * reports once at its end; the canary needs an endless one whose requests it counts as they go. So
 * it reuses the engine's parts, not its runner: the exact tenant × status mix (TrafficMix, a smooth
 * weighted round robin) and its HTTP client (keep-alive pool, X-Run-ID and Client-ID headers).
 *
 * Bounded: one request every 1/rate seconds, at most MAX_INFLIGHT in flight (a request due beyond
 * that is skipped, not queued), each with a timeout.
 */
import { createHttpClient, type LoadClient, type Outcome } from '../load/client.js';
import { TrafficMix } from '../load/mix.js';
import type { StatusWeight } from '../load/values.js';
import { type Clock, untilDue } from '../util/clock.js';

export interface TrafficOptions {
  targetUrl: string;
  runId: string;
  clientIds: readonly string[];
  statusMix: readonly StatusWeight[];
  ratePerSec: number;
  timeoutMs: number;
  clock: Pick<Clock, 'now' | 'sleepUntil' | 'yield'>;
  /** Called when a request was sent, with its Client-ID. */
  onSent(clientId: string): void;
  /** Called when it ended: its Client-ID, the status asked for, and what came back. */
  onDone?(clientId: string, asked: number, outcome: Outcome): void;
  /** The header that names the tenant (a service's profile); default Client-ID. */
  tenantHeader?: string | undefined;
  /** The HTTP client (tests: a fake one); default the load engine's. */
  client?: Pick<LoadClient, 'send' | 'close'>;
}

const MAX_INFLIGHT = 16;

export interface Traffic {
  /** Stops sending; waits for the requests in flight (bounded by their timeout). */
  stop(): Promise<void>;
}

export function startTraffic(opts: TrafficOptions): Traffic {
  const client =
    opts.client ??
    createHttpClient({
      targetUrl: opts.targetUrl,
      runId: opts.runId,
      connections: 4,
      timeoutMs: opts.timeoutMs,
      tenantHeader: opts.tenantHeader,
    });
  const mix = new TrafficMix(
    opts.clientIds.map((clientId) => ({ clientId, weight: 1 })),
    [opts.statusMix],
  );
  const { clock } = opts;
  const periodMs = 1000 / opts.ratePerSec;
  const stopped = new AbortController();
  let inflight = 0;
  const sending = (async () => {
    const t0 = clock.now();
    // Due times from the start, not from the last send: timer drift does not accumulate. Behind
    // schedule it still lets I/O run between sends (as the load's open model does, now and then).
    for (let i = 0; ; i++) {
      const due = t0 + i * periodMs;
      if (clock.now() < due) await untilDue(clock, due, stopped.signal);
      else await clock.yield();
      if (stopped.signal.aborted) return;
      if (inflight >= MAX_INFLIGHT) continue;
      const pick = mix.next();
      const clientId = opts.clientIds[pick.tenant]!;
      inflight++;
      opts.onSent(clientId);
      client.send({ clientId, status: pick.status }, (outcome) => {
        inflight--;
        opts.onDone?.(clientId, pick.status, outcome);
      });
    }
  })();
  return {
    async stop() {
      stopped.abort();
      await sending;
      await client.close(opts.timeoutMs);
    },
  };
}
