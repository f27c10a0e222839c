#!/usr/bin/env node
// Issue 21's "child processes or worker threads — measure which": run by hand (not part of npm test),
// loopback only, bounded (about a minute with the defaults):
//   npx tsc -p tsconfig.json && bash bench/install-peers.sh && node bench/workers-threads.mjs
//     [--rounds 2] [--seconds 5] [--rates 10000,20000] [--workers 2]
// N senders of one open-model run against a static nginx (bench/lib/nginx.mjs), sent two ways:
//   process: child_process.fork of dist/load/worker-entry.js, the very worker `load --workers` forks
//            (its IPC protocol: run → ready → start → done);
//   thread:  node:worker_threads running bench/lib/sender-thread.mjs, the same protocol over
//            parentPort and the same engine (dist/load/runner.js's runLoad).
// Both are driven alike (as src/load/workers.ts does: all warm up, then start together 200 ms after
// the last is ready) and merged with dist/load/merge.js. Measured per run: spawn → every sender
// ready (engine loaded, client warmed up: the earliest a first send could go), CPU of the whole
// run (parent + senders: /proc for the child processes, process.cpuUsage for the threads, which
// share the parent's process) per request sent, peak RSS of everything, achieved rate, delivered %
// (answered ÷ scheduled) and p99 send lateness. Apart: the bare start-up (spawn → the engine
// imported) of one process and one thread, median of 5. Kinds alternate run by run. Raw figures go
// to bench/results/.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { median, startNginx } from './lib/nginx.mjs';
import { arg, openPlan } from './lib/open-plan.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'dist/load/worker-entry.js');
const THREAD = join(ROOT, 'bench/lib/sender-thread.mjs');
const PROBE = join(ROOT, 'bench/lib/probe-process.mjs');
const { mergeResults } = await import(join(ROOT, 'dist/load/merge.js'));
const { workerShard } = await import(join(ROOT, 'dist/load/workers.js'));

const ROUNDS = Number(arg('rounds', '2'));
const SECONDS = Math.min(30, Number(arg('seconds', '5')));
const RATES = arg('rates', '10000,20000').split(',').map(Number);
const N = Number(arg('workers', '2'));
const KINDS = ['process', 'thread'];
/** As src/load/workers.ts: the start is this far after the last sender is ready. */
const START_AHEAD_MS = 200;
const CLK_TCK = 100; // USER_HZ: /proc/<pid>/stat's unit on Linux

const plan = (target, rate) => openPlan(`bench-workers-threads-${process.pid}`, target, rate, SECONDS);

/** CPU ms of a live process (user + system), from /proc. */
function procCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK; // utime, stime: fields 14 and 15
}

/** Resident set of a live process, MB. */
function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

const cpuSelfMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** One sender of either kind behind one interface: post, on(message), pid (process only), ended. */
function spawnSender(kind) {
  if (kind === 'process') {
    const child = fork(ENTRY, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return {
      pid: child.pid,
      post: (m) => child.connected && child.send(m),
      onMessage: (fn) => child.on('message', fn),
      ended: new Promise((r) => child.on('exit', r)),
    };
  }
  const w = new Worker(THREAD);
  return {
    pid: undefined,
    post: (m) => w.postMessage(m),
    onMessage: (fn) => w.on('message', fn),
    ended: new Promise((r) => w.on('exit', r)),
  };
}

async function runOnce(kind, target, rate) {
  const config = plan(target, rate);
  const cpu0 = cpuSelfMs();
  const t0 = performance.now();
  const senders = Array.from({ length: N }, () => spawnSender(kind));
  const readyAt = [];
  const childCpuMs = new Array(N).fill(0);
  let peakRssMb = 0;
  const sampleRss = () => {
    const all = rssMb(process.pid) + senders.reduce((a, s) => a + (s.pid ? rssMb(s.pid) : 0), 0);
    peakRssMb = Math.max(peakRssMb, all);
  };
  const sampler = setInterval(() => {
    try {
      sampleRss();
    } catch {} // a child that just exited
  }, 250);
  let startCpuMs;
  const parts = await Promise.all(
    senders.map(
      (s, j) =>
        new Promise((resolveDone, reject) => {
          s.onMessage((msg) => {
            if (msg.type === 'ready') {
              readyAt[j] = performance.now() - t0;
              if (readyAt.filter((x) => x !== undefined).length === N) {
                // Start-up CPU: everything until the last sender is ready.
                startCpuMs =
                  cpuSelfMs() - cpu0 + senders.reduce((a, x) => a + (x.pid ? procCpuMs(x.pid) : 0), 0);
                const startAt = Date.now() + START_AHEAD_MS;
                for (const x of senders) x.post({ type: 'start', startAt });
              }
            } else if (msg.type === 'done') {
              if (s.pid) childCpuMs[j] = procCpuMs(s.pid); // still alive: its CPU up to now
              resolveDone({ result: msg.result, histograms: msg.histograms });
            } else if (msg.type === 'failed') reject(new Error(`${kind} sender ${j}: ${msg.message}`));
          });
          s.post({ type: 'run', config, shard: workerShard(undefined, j, N) });
        }),
    ),
  );
  clearInterval(sampler);
  const cpuMs = cpuSelfMs() - cpu0 + childCpuMs.reduce((a, b) => a + b, 0);
  const wallMs = performance.now() - t0;
  await Promise.all(senders.map((s) => s.ended));
  const result = mergeResults(parts, 'open');
  const sent = result.totals.sent;
  return {
    kind,
    rate,
    readyMs: Math.max(...readyAt),
    startCpuMs,
    cpuMs,
    cpuPerRequestUs: (cpuMs * 1000) / sent,
    sendCpuPerRequestUs: ((cpuMs - startCpuMs) * 1000) / sent,
    peakRssMb,
    wallMs,
    achievedPerSec: result.rate.achievedPerSec,
    delivered: result.totals.answered / result.totals.scheduled,
    dropped: result.totals.dropped,
    latenessP99Ms: result.latency.sendLateness.p99Ms,
  };
}

/** Spawn → the engine imported, of one bare process or thread (no run). */
async function probe(kind) {
  const t0 = performance.now();
  if (kind === 'process') {
    const child = fork(PROBE, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((r) => child.once('message', r));
    const ms = performance.now() - t0;
    const rss = rssMb(child.pid);
    await new Promise((r) => child.on('exit', r));
    return { ms, rssMb: rss };
  }
  const before = rssMb(process.pid);
  const w = new Worker(THREAD, { workerData: { probe: true } });
  await new Promise((r) => w.once('message', r));
  const ms = performance.now() - t0;
  const rss = rssMb(process.pid) - before;
  await w.terminate();
  return { ms, rssMb: rss };
}

const load0 = loadavg();
const probes = { process: [], thread: [] };
for (let i = 0; i < 5; i++)
  for (const k of i % 2 ? [...KINDS].reverse() : KINDS) probes[k].push(await probe(k));

const nginx = await startNginx();
const raw = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const rate of RATES) {
      for (const kind of round % 2 ? KINDS : [...KINDS].reverse()) {
        const r = { round, ...(await runOnce(kind, nginx.url, rate)) };
        raw.push(r);
        process.stderr.write(`[workers-threads] ${JSON.stringify(r)}\n`);
      }
    }
  }
} finally {
  await nginx.stop();
}
const load1 = loadavg();

const out = [
  `${new Date().toISOString()} · ${N} senders · ${SECONDS} s per run · ${ROUNDS} round(s), medians · load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')} · node ${process.version}`,
  '',
  '| start-up alone (median of 5) | spawn → engine imported ms | RSS added MB |',
  '|---|---|---|',
  ...KINDS.map(
    (k) =>
      `| one ${k} | ${median(probes[k].map((p) => p.ms)).toFixed(0)} | ${median(probes[k].map((p) => p.rssMb)).toFixed(1)} |`,
  ),
  '',
  '| rate/s | senders | spawn → all ready ms | start-up CPU ms | CPU/request µs (whole run) | CPU/request µs (sending) | peak RSS MB (all) | achieved/s | delivered % | dropped | p99 send lateness ms |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const rate of RATES) {
  for (const kind of KINDS) {
    const rs = raw.filter((r) => r.rate === rate && r.kind === kind);
    const m = (f) => median(rs.map(f));
    out.push(
      `| ${rate} | ${N} ${kind === 'process' ? 'processes' : 'threads'} | ${m((r) => r.readyMs).toFixed(0)} | ${m((r) => r.startCpuMs).toFixed(0)} | ${m((r) => r.cpuPerRequestUs).toFixed(1)} | ${m((r) => r.sendCpuPerRequestUs).toFixed(1)} | ${m((r) => r.peakRssMb).toFixed(0)} | ${m((r) => r.achievedPerSec).toFixed(0)} | ${m((r) => r.delivered * 100).toFixed(2)} | ${m((r) => r.dropped)} | ${m((r) => r.latenessP99Ms).toFixed(3)} |`,
    );
  }
}
console.log(out.join('\n'));
const file = join(
  ROOT,
  'bench/results',
  `workers-threads-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
);
await writeFile(
  file,
  `${JSON.stringify({ seconds: SECONDS, rounds: ROUNDS, senders: N, load0, load1, probes, raw }, null, 2)}\n`,
);
console.log(`\nRaw figures: ${file.slice(ROOT.length + 1)}`);
