/**
 * A worker process of `load --workers` (./workers.ts forks this file): runs its shard of the plan
 * with the ordinary runner, tells the parent when it is warmed up, starts at the instant the parent
 * gives (all workers together), streams progress, and sends its result and latency histograms.
 * A stop message, SIGINT/SIGTERM (a Ctrl-C reaches the whole process group) or the parent going
 * away stop it gracefully: the run ends as an interrupted one and its part still reaches the parent.
 */
import { errorMessage } from '../util/errors.js';
import { type RunRecorders, runLoad } from './runner.js';
import { type FromWorker, ToWorkerSchema } from './worker-protocol.js';

const stop = new AbortController();
let startAt: ((at: number) => void) | undefined;
const started = new Promise<number>((resolve) => {
  startAt = resolve;
});

function send(msg: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(msg, undefined, {}, () => resolve());
  });
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => stop.abort());
process.on('disconnect', () => stop.abort());

process.on('message', (raw) => {
  const msg = ToWorkerSchema.parse(raw);
  if (msg.type === 'stop') stop.abort();
  else if (msg.type === 'start') startAt?.(msg.startAt);
  else void run(msg);
});

async function run(msg: Extract<ReturnType<typeof ToWorkerSchema.parse>, { type: 'run' }>): Promise<void> {
  let recorders: RunRecorders | undefined;
  try {
    const result = await runLoad(msg.config, {
      shard: msg.shard,
      signal: stop.signal,
      progressIntervalMs: msg.progressIntervalMs,
      sendBatchMs: msg.sendBatchMs,
      onProgress: (progress) => void send({ type: 'progress', progress }),
      beforeStart: async () => {
        await send({ type: 'ready' });
        // Stopped before the start: start at once, so the run ends as interrupted with nothing sent.
        return Promise.race([
          started,
          new Promise<number>((resolve) =>
            stop.signal.addEventListener('abort', () => resolve(0), { once: true }),
          ),
        ]);
      },
      onRecorders: (r) => {
        recorders = r;
      },
    });
    await send({
      type: 'done',
      result,
      histograms: {
        service: recorders!.service.encode(),
        scheduleCorrected: recorders!.scheduleCorrected.encode(),
        sendLateness: recorders!.sendLateness.encode(),
      },
    });
  } catch (err) {
    await send({ type: 'failed', message: errorMessage(err) });
    process.exitCode = 1;
  }
  process.disconnect?.();
}
