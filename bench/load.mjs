#!/usr/bin/env node
// Benchmark of `otelpoc load` against peers, run by hand (not part of npm test):
//   npm run build && bash bench/install-peers.sh && node bench/load.mjs [--memory-seconds 300] [--rounds 3]
// Targets: a static nginx (Debian, 1 worker) and `otelpoc serve --delay 0`. The machine is shared and
// noisy, so every tool is measured in the same run, interleaved, and results are given as ratios.
// Prints a Markdown report and writes bench/results/load-<timestamp>.json.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, startNginx } from './lib/nginx.mjs';
import { runBounded } from './lib/run.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PEERS = join(ROOT, '.cache/bench-peers');
const BIN = join(ROOT, 'bin/otelpoc');
const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const ROUNDS = opt('rounds', 2);
const THROUGHPUT_S = opt('throughput-seconds', 8);
const CONNECTIONS = opt('connections', 50);
const ACCURACY_RATE = opt('accuracy-rate', 5000);
const ACCURACY_S = opt('accuracy-seconds', 30);
const MEMORY_S = opt('memory-seconds', 300);
const MEMORY_RATE = opt('memory-rate', 2000);
const SEARCH_RATES = [5000, 7500, 10000, 12500, 15000, 20000, 25000, 30000, 40000];
// --only throughput,accuracy,search,memory (default: all)
const ONLY = (
  args.includes('--only') ? args[args.indexOf('--only') + 1] : 'throughput,accuracy,search,memory'
).split(',');
const SEARCH_S = opt('search-seconds', 10);

const env = { ...process.env, NO_COLOR: '1', LD_LIBRARY_PATH: join(PEERS, 'usr/lib/x86_64-linux-gnu') };
for (const k of Object.keys(env)) if (k.startsWith('OTEL_')) delete env[k];

/** A command run to completion with this bench's env (lib/run.mjs). */
const run = (cmd, argv, opts = {}) => runBounded(cmd, argv, { env, ...opts });

function log(line) {
  process.stderr.write(`[bench] ${line}\n`);
}

async function startServe() {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--delay',
      '0',
      '--export-interval',
      '1h',
      '--otlp-endpoint',
      'http://127.0.0.1:9',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+\/api)/.exec(out);
      if (m) res(m[1]);
    });
    child.on('exit', () => rej(new Error(`serve exited: ${out}`)));
  });
  return { name: 'otelpoc serve --delay 0', url, stop: async () => child.kill('SIGKILL') };
}

// ---- tools (closed model, same connections, same duration) ----
const tools = {
  'otelpoc load --rps max': async (url) => {
    const r = await run(process.execPath, [
      BIN,
      'load',
      '--target',
      url,
      '--rps',
      'max',
      '--connections',
      String(CONNECTIONS),
      '--duration',
      `${THROUGHPUT_S}s`,
      '--tenants',
      '1',
      '--status-mix',
      '200',
      '--json',
      '--out',
      join(tmpdir(), 'otelpoc-bench-manifest.json'),
    ]);
    const m = JSON.parse(r.out);
    return { rps: m.rate.achievedPerSec, errors: m.totals.sent - m.totals.answered };
  },
  autocannon: async (url) => {
    const r = await run(join(ROOT, 'node_modules/.bin/autocannon'), [
      '-c',
      String(CONNECTIONS),
      '-d',
      String(THROUGHPUT_S),
      '--json',
      `${url}?sc=200`,
    ]);
    const j = JSON.parse(r.out);
    return { rps: j.requests.total / THROUGHPUT_S, errors: j.errors + j.non2xx };
  },
  'wrk -t1': async (url) => {
    const r = await run(join(PEERS, 'usr/bin/wrk'), [
      '-t1',
      `-c${CONNECTIONS}`,
      `-d${THROUGHPUT_S}s`,
      `${url}?sc=200`,
    ]);
    return {
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.out)?.[1] ?? Number.NaN),
      errors: /Non-2xx|Socket errors/.test(r.out) ? -1 : 0,
    };
  },
  hey: async (url) => {
    const r = await run(join(PEERS, 'usr/bin/hey'), [
      '-c',
      String(CONNECTIONS),
      '-z',
      `${THROUGHPUT_S}s`,
      `${url}?sc=200`,
    ]);
    return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.out)?.[1] ?? Number.NaN), errors: 0 };
  },
};

async function openRun(url, rate, seconds, sampleRss = false) {
  const rss = [];
  let timer;
  const r = await run(
    process.execPath,
    [
      BIN,
      'load',
      '--target',
      url,
      '--rps',
      String(rate),
      '--duration',
      `${seconds}s`,
      '--tenants',
      '3',
      '--status-mix',
      '200',
      '--json',
      '--out',
      join(tmpdir(), 'otelpoc-bench-open.json'),
    ],
    {
      timeoutMs: (seconds + 60) * 1000,
      onSpawn: (child) => {
        if (!sampleRss) return;
        timer = setInterval(async () => {
          try {
            const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
            const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
            if (kb) rss.push(Math.round(kb / 1024));
          } catch {}
        }, 5000);
      },
    },
  );
  clearInterval(timer);
  const m = JSON.parse(r.out);
  return {
    target: rate,
    achieved: m.rate.achievedPerSec,
    ratio: m.rate.achievedPerSec / rate,
    scheduled: m.totals.scheduled,
    dropped: m.totals.dropped,
    errors: m.totals.sent - m.totals.answered,
    latenessP99Ms: m.latency.sendLateness.p99Ms,
    latenessP999Ms: m.latency.sendLateness.p999Ms,
    correctedP99Ms: m.latency.scheduleCorrected.p99Ms,
    serviceP99Ms: m.latency.service.p99Ms,
    rssMb: rss,
  };
}

async function main() {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('run `npm run build` first');
  if (!existsSync(join(PEERS, 'usr/sbin/nginx'))) {
    const r = spawnSync('bash', [join(ROOT, 'bench/install-peers.sh')], { stdio: 'inherit' });
    if (r.status !== 0) log('peers could not be installed; wrk/hey/nginx results will be missing');
  }
  const versions = {
    node: process.version,
    otelpoc: JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version,
    autocannon: JSON.parse(await readFile(join(ROOT, 'node_modules/autocannon/package.json'), 'utf8'))
      .version,
    undici: JSON.parse(await readFile(join(ROOT, 'node_modules/undici/package.json'), 'utf8')).version,
    wrk: (await run(join(PEERS, 'usr/bin/wrk'), ['-v'])).out.split('\n')[0].trim(),
    nginx: (await run(join(PEERS, 'usr/sbin/nginx'), ['-v'])).err.trim(),
    hey: 'Debian bookworm package hey',
    k6: 'not available (not packaged in Debian bookworm or trixie; no other registry used)',
  };
  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memGiB: Math.round(totalmem() / 2 ** 30),
    date: new Date().toISOString(),
  };
  log(`machine ${JSON.stringify(machine)}`);
  const results = {
    machine,
    versions,
    settings: { ROUNDS, THROUGHPUT_S, CONNECTIONS, ACCURACY_RATE, ACCURACY_S, MEMORY_S, MEMORY_RATE },
    throughput: {},
    accuracy: {},
    search: [],
    memory: null,
  };

  const targets = [await startNginx(), await startServe()];
  try {
    for (const target of ONLY.includes('throughput') ? targets : []) {
      const byTool = {};
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, fn] of Object.entries(tools)) {
          const r = await fn(target.url).catch((e) => ({ rps: Number.NaN, error: String(e) }));
          log(`${target.name} · ${name} · round ${round + 1}: ${r.rps?.toFixed?.(0)} req/s`);
          byTool[name] = [...(byTool[name] ?? []), r.rps];
        }
      }
      const med = Object.fromEntries(Object.entries(byTool).map(([k, v]) => [k, median(v)]));
      results.throughput[target.name] = { runs: byTool, median: med };
    }
    for (const target of ONLY.includes('accuracy') ? targets : []) {
      log(`${target.name} · open model ${ACCURACY_RATE} req/s for ${ACCURACY_S}s`);
      results.accuracy[target.name] = await openRun(target.url, ACCURACY_RATE, ACCURACY_S);
      log(JSON.stringify(results.accuracy[target.name]));
    }
    for (const rate of ONLY.includes('search') ? SEARCH_RATES : []) {
      const r = await openRun(targets[0].url, rate, SEARCH_S);
      log(`search nginx ${rate}: ${JSON.stringify(r)}`);
      results.search.push(r);
      if (r.ratio < 0.99) break;
    }
    if (MEMORY_S > 0 && ONLY.includes('memory')) {
      log(`memory: ${MEMORY_RATE} req/s for ${MEMORY_S}s against nginx`);
      results.memory = await openRun(targets[0].url, MEMORY_RATE, MEMORY_S, true);
      log(JSON.stringify(results.memory));
    }
  } finally {
    for (const t of targets) await t.stop();
  }
  await mkdir(join(ROOT, 'bench/results'), { recursive: true });
  const file = join(ROOT, 'bench/results', `load-${machine.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(markdown(results));
  log(`raw results: ${file}`);
}

function markdown(r) {
  const lines = [];
  lines.push(`### Run of ${r.machine.date}`, '');
  lines.push(
    `Machine: ${r.machine.cpus} × ${r.machine.cpu}, ${r.machine.memGiB} GiB; ${r.versions.node}; autocannon ${r.versions.autocannon}; undici ${r.versions.undici}; ${r.versions.wrk}; ${r.versions.nginx}; hey (Debian); k6: ${r.versions.k6}.`,
    '',
  );
  lines.push(
    `Closed model, ${r.settings.CONNECTIONS} connections, ${r.settings.THROUGHPUT_S}s per run, ${r.settings.ROUNDS} interleaved rounds, median req/s:`,
    '',
  );
  lines.push(
    '| target | otelpoc load --rps max | autocannon | wrk -t1 | hey | otelpoc ÷ autocannon | otelpoc ÷ wrk | otelpoc ÷ hey |',
  );
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const [t, v] of Object.entries(r.throughput)) {
    const m = v.median;
    const o = m['otelpoc load --rps max'];
    lines.push(
      `| ${t} | ${o.toFixed(0)} | ${m.autocannon.toFixed(0)} | ${m['wrk -t1'].toFixed(0)} | ${m.hey.toFixed(0)} | **${(o / m.autocannon).toFixed(2)}×** | ${(o / m['wrk -t1']).toFixed(2)}× | ${(o / m.hey).toFixed(2)}× |`,
    );
  }
  lines.push('', `Open model, ${r.settings.ACCURACY_RATE} req/s for ${r.settings.ACCURACY_S}s:`, '');
  lines.push(
    '| target | achieved/target | dropped | errors | send lateness p99 / p99.9 | schedule-corrected p99 | service p99 |',
  );
  lines.push('|---|---|---|---|---|---|---|');
  for (const [t, a] of Object.entries(r.accuracy)) {
    lines.push(
      `| ${t} | ${(a.ratio * 100).toFixed(2)}% | ${a.dropped} | ${a.errors} | ${a.latenessP99Ms} / ${a.latenessP999Ms} ms | ${a.correctedP99Ms} ms | ${a.serviceP99Ms} ms |`,
    );
  }
  lines.push('', `Highest rate holding ≥ 99 % (nginx target, ${SEARCH_S}s each):`, '');
  lines.push('| target rate | achieved/target | dropped | send lateness p99 |', '|---|---|---|---|');
  for (const s of r.search)
    lines.push(`| ${s.target} | ${(s.ratio * 100).toFixed(2)}% | ${s.dropped} | ${s.latenessP99Ms} ms |`);
  if (r.memory) {
    const rss = r.memory.rssMb;
    lines.push(
      '',
      `Memory: ${r.settings.MEMORY_RATE} req/s for ${r.settings.MEMORY_S}s (nginx target): RSS every 5 s min ${Math.min(...rss)} MB, max ${Math.max(...rss)} MB, first ${rss[0]} MB, last ${rss.at(-1)} MB; achieved ${(r.memory.ratio * 100).toFixed(2)}%, dropped ${r.memory.dropped}.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
