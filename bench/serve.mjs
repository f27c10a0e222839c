#!/usr/bin/env node
// Benchmark (run by hand): throughput of `otelpoc serve --delay 0` with metrics on (the SDK's own
// instruments, the active requests observed at collection), as a ratio to a bare node:http server answering the same request,
// measured in the same run with the same load generators and the same connections. Two generators:
// autocannon (npm, in this process) and wrk (C, far less CPU per request, so on 2 cores it measures
// the server rather than itself) when `bash bench/install-peers.sh` has fetched it. Rounds alternate
// between the two servers so that drift in machine load hits both alike.
//
// On a shared machine req/s moves with whatever else runs; the CPU time each server spends per
// request (user + system, from /proc/<pid>/stat, Linux only) moves far less, so it is reported too.
//
// --baseline <dir>: also runs the serve of another built checkout (e.g. `git worktree add /tmp/base main`,
// node_modules linked, `npx tsc`) in the same rounds, so before and after are measured side by side.
//
//   npm run build && node bench/serve.mjs [--duration 10] [--rounds 3] [--connections 50] [--baseline <dir>]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    baseline: { type: 'string' },
  },
});
const baseline = values.baseline === undefined ? undefined : resolve(values.baseline);
if (baseline !== undefined && !existsSync(join(baseline, 'dist'))) {
  console.error(`--baseline: ${baseline} has no dist/; build it first (npx tsc -p tsconfig.json there)`);
  process.exit(2);
}
const duration = Number(values.duration);
const rounds = Number(values.rounds);
const connections = Number(values.connections);

const BARE_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  const body = JSON.stringify({ status: 200, client_id: req.headers['client-id'] ?? null, run_id: null, delay_ms: 0 });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port + '/api'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

function start(name, args) {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  child.stderr.on('data', (d) => {
    out += d;
  });
  return new Promise((resolveStart, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+\/api)/.exec(out);
      if (m) resolveStart({ name, url: m[1], child });
    });
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}): ${out}`)));
  });
}

function startVictoriaMetrics() {
  const bin = join(root, '.cache/test-backends/usr/bin/victoria-metrics');
  if (!existsSync(bin)) return undefined;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    bin,
    [
      `-storageDataPath=${mkdtempSync(join(tmpdir(), 'bench-vm-'))}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      '-opentelemetry.usePrometheusNaming',
      '-loggerLevel=ERROR',
    ],
    { stdio: 'ignore' },
  );
  return { child, otlp: `http://127.0.0.1:${port}/opentelemetry` };
}

const PEERS = join(root, '.cache/bench-peers');
const WRK = join(PEERS, 'usr/bin/wrk');
const wrkEnv = { ...process.env, LD_LIBRARY_PATH: join(PEERS, 'usr/lib/x86_64-linux-gnu') };

const TICK_MS = 10; // USER_HZ = 100 on Linux

/** CPU time used so far by a process, in ms (undefined off Linux). */
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
  } catch {
    return undefined;
  }
}

/** One generator run: req/s and the server's CPU µs per request. */
async function measure(generator, server) {
  const before = cpuMs(server.child.pid);
  const { rps, requests } = await load(generator, server.url);
  const after = cpuMs(server.child.pid);
  const cpuUs =
    before === undefined || after === undefined ? Number.NaN : ((after - before) * 1000) / requests;
  return { rps, cpuUs };
}

/** req/s and requests done in one generator run; throws on any non-2xx or socket error. */
function load(generator, url) {
  if (generator === 'wrk') {
    const out = execFileSync(
      WRK,
      [
        '-t1',
        `-c${connections}`,
        `-d${duration}s`,
        '-H',
        'Client-ID: tenant-1',
        '-H',
        'X-Run-ID: bench',
        url,
      ],
      { env: wrkEnv, encoding: 'utf8' },
    );
    if (/Non-2xx|Socket errors/.test(out)) throw new Error(`wrk saw errors:\n${out}`);
    return Promise.resolve({
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]),
      requests: Number(/(\d+) requests in/.exec(out)[1]),
    });
  }
  return new Promise((resolveLoad, reject) => {
    autocannon(
      { url, connections, duration, headers: { 'Client-ID': 'tenant-1', 'X-Run-ID': 'bench' } },
      (err, r) => {
        if (err) return reject(err);
        if (r.non2xx || r.errors) return reject(new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`));
        resolveLoad({ rps: r.requests.average, requests: r.requests.total });
      },
    );
  });
}

/**
 * In process, without HTTP: CPU µs per request spent in RequestMetrics (begin, end, record: ours and
 * the SDK's), one tenant and one run id as the HTTP rounds send, in `checkout`'s build.
 */
async function instrumentCost(checkout, n = 300_000) {
  const { RequestMetrics, DEFAULT_LIMITS } = await import(join(checkout, 'dist/server/request-metrics.js'));
  const { createMetricsPipeline } = await import(join(checkout, 'dist/telemetry/provider.js'));
  const { InMemoryMetricExporter, AggregationTemporality } = await import('@opentelemetry/sdk-metrics');
  const pipeline = createMetricsPipeline({
    exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
    exportIntervalMs: 3_600_000,
    exportTimeoutMs: 30_000,
    env: {},
  });
  const metrics = new RequestMetrics(pipeline.meter, DEFAULT_LIMITS, () => {});
  const a = {
    method: 'GET',
    scheme: 'http',
    route: '/api',
    statusCode: 200,
    clientId: 'tenant-1',
    runId: 'bench',
  };
  const one = () => {
    const end = metrics.begin('GET', 'http', 'tenant-1');
    end();
    metrics.record(0.0001, a);
  };
  for (let i = 0; i < n / 3; i++) one(); // warm-up (JIT)
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) one();
  const t = process.cpuUsage(t0);
  await pipeline.shutdown();
  return (t.user + t.system) / n;
}

if (baseline !== undefined) {
  const cost = { before: [], after: [] };
  for (let i = 0; i < rounds; i++) {
    cost.before.push(await instrumentCost(baseline));
    cost.after.push(await instrumentCost(root));
  }
  const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  console.log(
    `instruments in process (RequestMetrics begin + end + record, median of ${rounds}): baseline ${med(cost.before).toFixed(2)} µs CPU/request, this ${med(cost.after).toFixed(2)} µs CPU/request`,
  );
}

const vm = startVictoriaMetrics();
const otlp = vm?.otlp ?? 'http://127.0.0.1:9/v1/metrics';
await new Promise((r) => setTimeout(r, 1000));
const bare = await start('node:http (bare)', ['-e', BARE_SERVER]);
const serveArgs = (checkout) => [
  join(checkout, 'bin/otelpoc'),
  'serve',
  '--port',
  '0',
  '--delay',
  '0',
  '--export-interval',
  '1s',
  '--otlp-endpoint',
  otlp,
];
const otelpoc = await start('otelpoc serve --delay 0', serveArgs(root));
const before = baseline === undefined ? undefined : await start('serve (baseline)', serveArgs(baseline));
const servers = before === undefined ? [bare, otelpoc] : [bare, before, otelpoc];

const generators = existsSync(WRK) ? ['autocannon', 'wrk'] : ['autocannon'];
const results = {};
for (let i = 0; i < rounds; i++) {
  for (const g of generators) {
    // The two serves swap places every round: whichever runs right after bare is not always the same.
    const order = i % 2 === 0 ? servers : [servers[0], ...servers.slice(1).reverse()];
    for (const s of order) {
      const m = await measure(g, s);
      const key = `${g}|${s.name}`;
      results[key] = [...(results[key] ?? []), m];
      process.stderr.write(
        `round ${i + 1}/${rounds} ${g} → ${s.name}: ${Math.round(m.rps)} req/s, ${m.cpuUs.toFixed(1)} µs CPU/request\n`,
      );
    }
  }
}
for (const s of servers) s.child.kill('SIGTERM');
vm?.child.kill('SIGTERM');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const node = process.version;
console.log(
  `\nserve throughput (${node}, ${connections} connections, ${duration}s × ${rounds} rounds, median; metrics exported every 1s to ${vm ? 'VictoriaMetrics' : 'a closed port'}):`,
);
console.log(
  '| generator | node:http (bare) req/s | otelpoc serve --delay 0 req/s | ratio | bare CPU µs/req | serve CPU µs/req | CPU ratio (bare ÷ serve) |\n|---|---|---|---|---|---|---|',
);
for (const g of generators) {
  const of = (server, field) => median(results[`${g}|${server.name}`].map((m) => m[field]));
  const [b, o] = [of(bare, 'rps'), of(otelpoc, 'rps')];
  const [bc, oc] = [of(bare, 'cpuUs'), of(otelpoc, 'cpuUs')];
  console.log(
    `| ${g} | ${Math.round(b)} | ${Math.round(o)} | ${(o / b).toFixed(2)} | ${bc.toFixed(1)} | ${oc.toFixed(1)} | ${(bc / oc).toFixed(2)} |`,
  );
}
if (before !== undefined) {
  console.log(`\nbaseline (${baseline}) in the same rounds:`);
  console.log(
    '| generator | baseline serve req/s | ratio to bare | baseline CPU µs/req | CPU ratio (bare ÷ baseline) | this serve vs baseline, CPU µs/req |\n|---|---|---|---|---|---|',
  );
  for (const g of generators) {
    const of = (server, field) => median(results[`${g}|${server.name}`].map((m) => m[field]));
    const [b, o] = [of(bare, 'rps'), of(before, 'rps')];
    const [bc, oc, nc] = [of(bare, 'cpuUs'), of(before, 'cpuUs'), of(otelpoc, 'cpuUs')];
    console.log(
      `| ${g} | ${Math.round(o)} | ${(o / b).toFixed(2)} | ${oc.toFixed(1)} | ${(bc / oc).toFixed(2)} | ${(nc - oc).toFixed(1)} |`,
    );
  }
}
if (generators.length === 1) console.log('(wrk not found: `bash bench/install-peers.sh` fetches it)');
