#!/usr/bin/env node
// `load --workers N` against one worker (issue 21), run by hand (not part of npm test):
//   npm run build && bash bench/install-peers.sh && node bench/workers.mjs [--rounds 3] [--seconds 5]
//     [--rates 20000,30000,40000] [--workers 1,2]
// Each run is the core's runWorkers (dist/load/workers.js: forked worker processes, merged result)
// against a static nginx (1 worker process, loopback) at an open-model rate: the achieved rate,
// delivered % (answered ÷ scheduled) and p99 send lateness of the merged result; the worker counts
// alternate run by run. Raw figures go to bench/results/.
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, startNginx } from './lib/nginx.mjs';
import { arg, openPlan } from './lib/open-plan.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { runWorkers } = await import(join(ROOT, 'dist/load/workers.js'));
const ROUNDS = Number(arg('rounds', '3'));
const SECONDS = Number(arg('seconds', '5'));
const RATES = arg('rates', '20000,30000,40000').split(',').map(Number);
const WORKERS = arg('workers', '1,2').split(',').map(Number);

const plan = (target, rate) => openPlan(`bench-workers-${process.pid}`, target, rate, SECONDS);

const nginx = await startNginx();
const raw = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const rate of RATES) {
      for (const workers of round % 2 ? WORKERS : [...WORKERS].reverse()) {
        const { result, failures } = await runWorkers(plan(nginx.url, rate), { workers });
        const r = {
          round,
          rate,
          workers,
          failures,
          achievedPerSec: result.rate.achievedPerSec,
          delivered: result.totals.answered / result.totals.scheduled,
          dropped: result.totals.dropped,
          latenessP99Ms: result.latency.sendLateness.p99Ms,
          latenessP999Ms: result.latency.sendLateness.p999Ms,
          serviceP99Ms: result.latency.service.p99Ms,
        };
        raw.push(r);
        process.stderr.write(`[workers] ${JSON.stringify(r)}\n`);
      }
    }
  }
} finally {
  await nginx.stop();
}
const lines = [
  '| rate/s | workers | achieved/s (median) | delivered % | p99 send lateness ms | p99.9 ms | service p99 ms |',
  '|---|---|---|---|---|---|---|',
];
for (const rate of RATES) {
  for (const workers of WORKERS) {
    const rs = raw.filter((r) => r.rate === rate && r.workers === workers);
    const m = (f) => median(rs.map(f));
    lines.push(
      `| ${rate} | ${workers} | ${m((r) => r.achievedPerSec).toFixed(0)} | ${m((r) => r.delivered * 100).toFixed(2)} | ${m((r) => r.latenessP99Ms).toFixed(3)} | ${m((r) => r.latenessP999Ms).toFixed(3)} | ${m((r) => r.serviceP99Ms).toFixed(3)} |`,
    );
  }
}
console.log(lines.join('\n'));
const file = join(ROOT, 'bench/results', `workers-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(file, `${JSON.stringify({ seconds: SECONDS, rounds: ROUNDS, raw }, null, 2)}\n`);
console.log(`\nRaw figures: ${file.slice(ROOT.length + 1)}`);
