// The sender of `load --workers` (dist/load/worker-entry.js) as a node:worker_threads thread, for
// bench/workers-threads.mjs only: the same protocol (run → ready → start → done) over parentPort
// instead of the child-process IPC channel, and the same engine (dist/load/runner.js's runLoad).
// With `probe` in workerData it only imports the engine and says so (start-up cost alone).
import { parentPort, workerData } from 'node:worker_threads';

const { runLoad } = await import('../../dist/load/runner.js');
if (workerData?.probe) {
  parentPort.postMessage({ type: 'loaded' });
} else {
  let startAt;
  const started = new Promise((resolve) => {
    startAt = resolve;
  });
  parentPort.on('message', async (msg) => {
    if (msg.type === 'start') return startAt(msg.startAt);
    if (msg.type !== 'run') return;
    let recorders;
    try {
      const result = await runLoad(msg.config, {
        shard: msg.shard,
        beforeStart: async () => {
          parentPort.postMessage({ type: 'ready' });
          return started;
        },
        onRecorders: (r) => {
          recorders = r;
        },
      });
      parentPort.postMessage({
        type: 'done',
        result,
        histograms: {
          service: recorders.service.encode(),
          scheduleCorrected: recorders.scheduleCorrected.encode(),
          sendLateness: recorders.sendLateness.encode(),
        },
      });
    } catch (err) {
      parentPort.postMessage({ type: 'failed', message: String(err?.stack ?? err) });
    }
    parentPort.close();
  });
}
