#!/usr/bin/env node
// CPU cost of the open model's send timing (issue 21), run by hand (not part of npm test):
//   npm run build && bash bench/install-peers.sh && node bench/open-cpu.mjs [--rounds 3] [--seconds 5] [--long 15]
//     [--rates 50,2000,20000,25000] [--base /path/to/other/checkout]
// A rate may name a shard, 16000@0/8: `--shard 0/8` of a 16000 req/s run (it sends 2000 req/s), for
// the CPU per request sent of one shard against the unsharded run of the same per-process rate.
// Runs `otelpoc load --rps R --duration Ns` against a static nginx (1 worker, loopback) under
// /usr/bin/time and reports the load process's CPU (user + sys) per request sent, the manifest's
// p99 send lateness and delivered % (answered ÷ scheduled); raw figures go to bench/results/.
// With --base, the same runs of another checkout's build are interleaved with this one's (the
// machine is shared and noisy: compare medians, in one session).
// A 10 req/s run of each build gives its fixed cost (start-up, exit), subtracted for the net figure.
// That fixed cost leaves out what a busy run pays once (the JIT compiling the hot path, the first
// connections), so the net figure of a short run still holds some of it. With --long L (seconds),
// each rate also runs for L seconds: the marginal cost, (CPU of the long run − CPU of the short) ÷
// (requests of the long − of the short), is what each further request costs once the run is warm,
// the figure that decides how much of a pod's CPU limit a long load takes.
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, startNginx } from './lib/nginx.mjs';
import { runBounded } from './lib/run.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PEERS = join(ROOT, '.cache/bench-peers');
const args = process.argv.slice(2);
const arg = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const ROUNDS = Number(arg('rounds', '3'));
const SECONDS = Number(arg('seconds', '5'));
const RATES = arg('rates', '50,2000,20000,25000').split(',');
const LONG = arg('long') === undefined ? undefined : Number(arg('long'));
const builds = [{ name: 'this', bin: join(ROOT, 'bin/otelpoc') }];
if (arg('base')) builds.unshift({ name: 'base', bin: join(resolve(arg('base')), 'bin/otelpoc') });
const env = { ...process.env, NO_COLOR: '1', LD_LIBRARY_PATH: join(PEERS, 'usr/lib/x86_64-linux-gnu') };
for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];

async function loadRun(bin, url, rateSpec, seconds = SECONDS) {
  const out = join(tmpdir(), `otelpoc-cpu-${process.pid}.json`);
  const [rate, shard] = String(rateSpec).split('@');
  const r = await runBounded(
    '/usr/bin/time',
    ['-f', 'CPU %U %S', process.execPath, bin, 'load', '--target', url, '--rps', rate]
      .concat(['--duration', `${seconds}s`, '--tenants', '3', '--status-mix', '200', '--json'])
      .concat(['--out', out], shard ? ['--shard', shard, '--run-id', `cpu-${process.pid}`] : []),
    { env, timeoutMs: (seconds + 60) * 1000 },
  );
  const cpu = /CPU ([\d.]+) ([\d.]+)/.exec(r.err);
  if (!cpu) throw new Error(`no CPU figure (exit ${r.code}): ${r.err.slice(-500)}`);
  const m = JSON.parse(r.out);
  await rm(out, { force: true });
  return {
    rate: String(rateSpec),
    seconds,
    cpuS: Number(cpu[1]) + Number(cpu[2]),
    sent: m.totals.sent,
    delivered: m.totals.answered / m.totals.scheduled,
    latenessP99Ms: m.latency.sendLateness.p99Ms,
    latenessP999Ms: m.latency.sendLateness.p999Ms,
  };
}

const nginx = await startNginx();
const raw = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const rate of ['10', ...RATES]) {
      for (const b of round % 2 ? builds : [...builds].reverse()) {
        for (const seconds of LONG !== undefined && rate !== '10' ? [SECONDS, LONG] : [SECONDS]) {
          const r = { build: b.name, round, ...(await loadRun(b.bin, nginx.url, rate, seconds)) };
          raw.push(r);
          process.stderr.write(`[cpu] ${JSON.stringify(r)}\n`);
        }
      }
    }
  }
} finally {
  await nginx.stop();
}
const lines = [
  `| build | rate/s | CPU s (median) | µs CPU/request | net of the 10/s run |${LONG ? ` marginal µs/request (${SECONDS} s → ${LONG} s) |` : ''} p99 send lateness ms | delivered % |`,
  `|---|---|---|---|---|${LONG ? '---|' : ''}---|---|`,
];
for (const rate of RATES) {
  for (const b of builds) {
    const rs = raw.filter((r) => r.build === b.name && r.rate === rate && r.seconds === SECONDS);
    const base = median(raw.filter((r) => r.build === b.name && r.rate === '10').map((r) => r.cpuS));
    // Per round: the long run against the short one of the same round (same machine moment).
    const marginal = median(
      rs.flatMap((short) => {
        const long = raw.find(
          (r) => r.build === b.name && r.rate === rate && r.round === short.round && r.seconds === LONG,
        );
        return long ? [((long.cpuS - short.cpuS) / (long.sent - short.sent)) * 1e6] : [];
      }),
    );
    const cpu = median(rs.map((r) => r.cpuS));
    const perReq = median(rs.map((r) => (r.cpuS / r.sent) * 1e6));
    const net = median(rs.map((r) => ((r.cpuS - base) / r.sent) * 1e6));
    const p99 = median(rs.map((r) => r.latenessP99Ms));
    const del = median(rs.map((r) => r.delivered * 100));
    lines.push(
      `| ${b.name} | ${rate} | ${cpu.toFixed(2)} | ${perReq.toFixed(0)} | ${net.toFixed(0)} |${LONG ? ` ${marginal.toFixed(0)} |` : ''} ${p99.toFixed(3)} | ${del.toFixed(2)} |`,
    );
  }
}
console.log(lines.join('\n'));
const file = join(ROOT, 'bench/results', `open-cpu-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
await writeFile(
  file,
  `${JSON.stringify({ seconds: SECONDS, long: LONG, rounds: ROUNDS, builds, raw }, null, 2)}\n`,
);
console.log(`\nRaw figures: ${file.slice(ROOT.length + 1)}`);
