// What each OTLP protocol adds to a process start: a fresh `node` imports otelpoc's provider
// (dist/telemetry/provider.js) and creates the exporter of one protocol, ROUNDS times per protocol,
// interleaved. Reported as medians and as ratios to http/protobuf (the default), which is what
// matters on a shared machine. Run: npm run build && node bench/exporter-load.mjs [rounds]
import { execFileSync } from 'node:child_process';

const rounds = Number(process.argv[2] ?? 7);
// 'none': the imports only; 'http/protobuf + grpc-js': as if grpc-js were imported eagerly (what
// provider.ts avoids by loading it for the grpc protocol only).
const protocols = ['none', 'http/protobuf', 'http/json', 'grpc', 'http/protobuf + grpc-js'];
const script = (p) => `
const t0 = performance.now();
if (${JSON.stringify(p)}.endsWith('grpc-js')) await import('@grpc/grpc-js');
const { resolveOtlpConfig } = await import('./dist/telemetry/config.js');
const { createOtlpExporter } = await import('./dist/telemetry/provider.js');
if (${JSON.stringify(p)} !== 'none') {
  const e = createOtlpExporter(resolveOtlpConfig({ protocol: ${JSON.stringify(p.split(' ')[0])}, otlpEndpoint: 'http://127.0.0.1:1' }, {}));
  await e.shutdown();
}
process.stdout.write(String(performance.now() - t0));`;
const times = Object.fromEntries(protocols.map((p) => [p, []]));
for (let r = 0; r < rounds; r++) {
  for (const p of protocols) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script(p)], {
      encoding: 'utf8',
    });
    times[p].push(Number(out));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(times['http/protobuf']);
for (const p of protocols) {
  const m = median(times[p]);
  console.log(
    `${p.padEnd(14)} median ${m.toFixed(0).padStart(4)} ms  ${(m / base).toFixed(2)}× http/protobuf`,
  );
}
