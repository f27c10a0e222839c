#!/usr/bin/env node
// Benchmark (run by hand): does `otelpoc canary` stay flat over time? Runs the built CLI at its
// defaults (3 tenants, 3 req/s, a check every 30 s) with a 1 s export interval, against a local
// single-node VictoriaMetrics (OTLP in, Prometheus API out; --no-tenant-header, so isolation is not
// tested there) for N minutes, and samples the canary's RSS and CPU time (user + system, from
// /proc/<pid>/stat: Linux only) once a minute. Prints a table and the last/first ratios of RSS and of
// CPU per minute; a canary that grows (a log never pruned, series piling up) shows a ratio well
// above 1.
//
//   npm run build && bash scripts/install-test-backends.sh && node bench/canary-soak.mjs --minutes 30
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' } } });
const minutes = Number(values.minutes);
if (!(minutes >= 1)) throw new Error('--minutes: a whole number of minutes, at least 1');

const vmBin = join(
  process.env.OTELPOC_BACKENDS_DIR ?? join(root, '.cache/test-backends'),
  'usr/bin/victoria-metrics',
);
const freePort = () =>
  new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // USER_HZ: 100 on Linux

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK; // utime + stime (fields 14, 15)
}
function rssMiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) / 1024;
}

const dir = mkdtempSync(join(tmpdir(), 'otelpoc-soak-'));
const vmPort = await freePort();
const vm = spawn(vmBin, [
  `-storageDataPath=${dir}`,
  `-httpListenAddr=127.0.0.1:${vmPort}`,
  '-opentelemetry.usePrometheusNaming',
  '-loggerLevel=WARN',
]);
const vmUrl = `http://127.0.0.1:${vmPort}`;
for (let i = 0; ; i++) {
  if ((await fetch(`${vmUrl}/health`).catch(() => undefined))?.ok) break;
  if (i > 100) throw new Error('VictoriaMetrics did not start');
  await sleep(100);
}
const canary = spawn(
  process.execPath,
  [
    join(root, 'bin/otelpoc'),
    'canary',
    '--name',
    'soak',
    '--url',
    vmUrl,
    '--no-tenant-header',
    '--otlp-endpoint',
    `${vmUrl}/opentelemetry`,
    '--export-interval',
    '1s',
    '--metrics-port',
    '0',
    '--json',
  ],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
);
let intervals = 0;
let green = 0;
canary.stdout.on('data', (d) => {
  for (const line of String(d)
    .split('\n')
    .filter((l) => l.startsWith('{'))) {
    intervals++;
    if (JSON.parse(line).ok) green++;
  }
});
let log = '';
canary.stderr.on('data', (d) => {
  log = (log + d).slice(-4000);
});

const rows = [];
let lastCpu = cpuSeconds(canary.pid);
await sleep(5000); // start-up (module loading) is not the steady state
lastCpu = cpuSeconds(canary.pid);
for (let m = 1; m <= minutes; m++) {
  await sleep(60_000);
  const cpu = cpuSeconds(canary.pid);
  rows.push({ minute: m, rssMiB: rssMiB(canary.pid), cpuSecondsPerMinute: cpu - lastCpu, intervals, green });
  lastCpu = cpu;
  const r = rows.at(-1);
  console.log(
    `${String(m).padStart(6)}  RSS ${r.rssMiB.toFixed(1).padStart(6)} MiB  CPU ${r.cpuSecondsPerMinute.toFixed(2).padStart(5)} s/min  intervals ${intervals} (green ${green})`,
  );
}
canary.kill('SIGTERM');
await new Promise((r) => canary.once('exit', r));
vm.kill('SIGTERM');
await new Promise((r) => vm.once('exit', r));
rmSync(dir, { recursive: true, force: true });

const first = rows[0];
const last = rows.at(-1);
console.log(
  '\n| minute | RSS (MiB) | CPU (s/min) | intervals (green) |\n| -----: | --------: | ----------: | ----------------: |',
);
for (const r of rows) {
  console.log(
    `| ${r.minute} | ${r.rssMiB.toFixed(1)} | ${r.cpuSecondsPerMinute.toFixed(2)} | ${r.intervals} (${r.green}) |`,
  );
}
console.log(
  `\nlast/first: RSS ${(last.rssMiB / first.rssMiB).toFixed(2)}×, CPU per minute ${(last.cpuSecondsPerMinute / first.cpuSecondsPerMinute).toFixed(2)}× (node ${process.version})`,
);
if (green < intervals) console.log(`${intervals - green} interval(s) not green; canary log tail:\n${log}`);
