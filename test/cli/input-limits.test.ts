/**
 * Bad inputs of every command are refused up front: exit 2 and exactly one line on stderr, starting
 * "otelpoc:" and naming the flag or variable. In process through main(argv, runtime); one test
 * spawns the built CLI to show serve refuses a bad OTLP header at start.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { mainInProcess } from '../helpers/main-in-process.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'otelpoc-limits-'));
  // An alias bomb: 9^7 nodes from seven lines.
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
  for (const [i, k] of [...'bcdefg'].entries())
    bomb.push(`${k}: &${k} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`);
  await writeFile(join(cwd, 'bomb.yaml'), `${bomb.join('\n')}\n`);
  await writeFile(join(cwd, 'hex.yaml'), 'tenants: 0x10\n');
});
afterAll(async () => {
  await rm(cwd, { recursive: true, force: true });
});

function runInProcess(argv: string[], env: Record<string, string> = {}) {
  return mainInProcess(argv, { cwd, env: { NO_COLOR: '1', ...env } });
}

// Nothing may be sent: a refused port as target, a handful of requests at most.
const LOAD = ['load', '--target', 'http://127.0.0.1:1', '--requests', '3', '--quiet'];
const BAD_MANIFEST = ['--manifest', 'none.json'];

/** [argv, env, what the one line must contain (the flag or variable first)]. */
const CASES: [string[], Record<string, string>, string][] = [
  // 3: OTLP header variables
  [
    ['serve', '--port', '0'],
    { OTEL_EXPORTER_OTLP_HEADERS: 'bad name=v' },
    'OTEL_EXPORTER_OTLP_HEADERS: header name "bad name" is not a valid header name',
  ],
  [
    ['serve', '--port', '0'],
    { OTEL_EXPORTER_OTLP_HEADERS: 'x=a\r\nb' },
    'OTEL_EXPORTER_OTLP_HEADERS: the value of header "x" has character U+000D',
  ],
  [
    ['serve', '--port', '0'],
    { OTEL_EXPORTER_OTLP_HEADERS: 'x=a%0D%0Ab' },
    'OTEL_EXPORTER_OTLP_HEADERS: the value of header "x" has character U+000D',
  ],
  [
    ['serve', '--port', '0'],
    { OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'ok=1,x(y)=2' },
    'OTEL_EXPORTER_OTLP_METRICS_HEADERS: header name "x(y)"',
  ],
  [
    ['load', '--serve', '--requests', '1'],
    { OTEL_EXPORTER_OTLP_HEADERS: 'x=\u0001' },
    'OTEL_EXPORTER_OTLP_HEADERS: the value of header "x"',
  ],
  [['doctor'], { OTEL_EXPORTER_OTLP_HEADERS: 'a b=1' }, 'OTEL_EXPORTER_OTLP_HEADERS: header name "a b"'],
  // 7: header flags
  [
    ['verify', '--tenant-header', 'bad header', ...BAD_MANIFEST],
    {},
    '--tenant-header: header name "bad header" is not a valid header name',
  ],
  [
    ['verify', '--header', 'X: a\u0001b', ...BAD_MANIFEST],
    {},
    '--header: the value of header "X" has character U+0001 at position 2',
  ],
  [['verify', '--header', 'X Y: v', ...BAD_MANIFEST], {}, '--header: header name "X Y"'],
  [['verify', '--header', 'novalue', ...BAD_MANIFEST], {}, '--header: expected "Name: value", got "novalue"'],
  [
    ['verify', '--bearer-token', 't\nX-Evil: 1', ...BAD_MANIFEST],
    {},
    '--bearer-token: the value of header "Authorization" has character U+000A',
  ],
  [['run', '--tenant-header', 'a:b'], {}, '--tenant-header: header name "a:b"'],
  [['doctor', '--tenant-header', 'a b'], {}, '--tenant-header: header name "a b"'],
  // 8: durations and rates past what timers can honour
  [
    ['serve', '--export-interval', '999h'],
    {},
    '--export-interval: expected a duration of at most 576h (24 days), got "999h"',
  ],
  [['serve', '--delay', '3000000s'], {}, '--delay: expected a delay of at most 1h, got "3000000s"'],
  [
    ['serve', '--port', '0'],
    { OTEL_METRIC_EXPORT_INTERVAL: '99999999999' },
    'OTEL_METRIC_EXPORT_INTERVAL: expected a whole number of milliseconds from 1 to 2073600000 (576h)',
  ],
  [
    ['serve', '--port', '0'],
    { OTEL_METRIC_EXPORT_TIMEOUT: '99999999999' },
    'OTEL_METRIC_EXPORT_TIMEOUT: expected a whole number of milliseconds from 1 to 2073600000',
  ],
  [
    [...LOAD, '--rps', '0.0000001'],
    {},
    '--rps: expected a number from 0.001 to 100000 (requests per second) or "max", got "0.0000001"',
  ],
  [[...LOAD, '--rps', '1000000'], {}, '--rps: expected a number from 0.001 to 100000'],
  [
    [...LOAD, '--rps', '0.001', '--requests', '3000'],
    {},
    '--requests 3000 at --rps 0.001: the last request would be due after',
  ],
  [
    [...LOAD, '--duration', '999h'],
    {},
    '--duration: expected a duration of at most 576h (24 days), got "999h"',
  ],
  [[...LOAD, '--duration', '0.4ms'], {}, '--duration: expected a duration of at least 1ms, got "0.4ms"'],
  [[...LOAD, '--timeout', '999h'], {}, '--timeout: expected a duration of at most 576h (24 days)'],
  [
    ['verify', '--timeout', '999h', ...BAD_MANIFEST],
    {},
    '--timeout: expected a duration of at most 576h (24 days)',
  ],
  [
    ['verify', '--query-timeout', '0.4ms', ...BAD_MANIFEST],
    {},
    '--query-timeout: expected a duration of at least 1ms',
  ],
  [['run', '--verify-timeout', '999h'], {}, '--verify-timeout: expected a duration of at most 576h'],
  [['doctor', '--probe-timeout', '999h'], {}, '--probe-timeout: expected a duration of at most 576h'],
  // 9: weights too fine for the exact round robin
  [
    [...LOAD, '--status-mix', '200:0.0000001,404:1'],
    {},
    '--status-mix: expected status:weight pairs with each weight from 0.000001 to 1000000, with at most 6 decimal places, got "200:0.0000001,404:1"',
  ],
  [
    [...LOAD, '--tenants', '2', '--tenant-weights', '0.0000001,1'],
    {},
    '--tenant-weights: expected weights separated by commas, like 5,1,1, each from 0.000001 to 1000000, with at most 6 decimal places, got "0.0000001,1"',
  ],
  [
    [...LOAD, '--anonymous', '0.0000001%'],
    {},
    '--anonymous: expected a percentage from 0 up to 100 with at most 6 decimal places',
  ],
  // 10: flags that contradict each other
  [
    [...LOAD, '--connections', '5'],
    {},
    '--connections and the default --rps 50: connections are for the closed model (--rps max)',
  ],
  [
    [...LOAD, '--rps', '20', '--connections', '5'],
    {},
    '--connections and --rps 20: connections are for the closed model',
  ],
  // run's rate not typed: its short run's default, said as such (not "--rps 20" as if given).
  [
    ['run', '--connections', '5'],
    {},
    '--connections and the default --rps 20: connections are for the closed model (--rps max)',
  ],
  [
    ['run', '--rps', '20', '--connections', '5'],
    {},
    '--connections and --rps 20: connections are for the closed model',
  ],
  [
    [...LOAD, '--rps', 'max', '--max-inflight', '5'],
    {},
    '--max-inflight and --rps max: the in-flight cap is for the open model',
  ],
  [
    ['verify', '--no-tenant-header', '--tenant-header', 'X', ...BAD_MANIFEST],
    {},
    '--tenant-header and --no-tenant-header: give one of them',
  ],
  [
    ['verify', '--tenant-header', 'X', '--no-tenant-header', ...BAD_MANIFEST],
    {},
    '--tenant-header and --no-tenant-header: give one of them',
  ],
  [
    ['run', '--tenant-header', 'X', '--no-tenant-header'],
    {},
    '--tenant-header and --no-tenant-header: give one of them',
  ],
  [['run', '--embedded', '--url', 'http://127.0.0.1:1'], {}, '--embedded and --url: give one of them'],
  [
    ['serve', '--default-tenant', 'acme'],
    {},
    '--default-tenant: only used with --tenant-header (the tenant of requests without Client-ID in the per-tenant export); add --tenant-header, or drop --default-tenant',
  ],
  [
    ['load', '--serve', '--default-tenant', 'acme', '--requests', '1'],
    {},
    '--default-tenant: only used with --tenant-header (the tenant of requests without Client-ID in the per-tenant export); add --tenant-header, or drop --default-tenant',
  ],
  // 11 (issue 20): empty values that meant "everything" or nothing, hosts that failed only at listen
  [
    ['canary', '--metrics-host', '999.0.0.1'],
    {},
    '--metrics-host: expected an IP address or a host name, like 127.0.0.1, 0.0.0.0 (every interface) or localhost, got "999.0.0.1"',
  ],
  [['canary', '--metrics-host', ''], {}, '--metrics-host: expected an IP address or a host name'],
  [['canary', '--metrics-host', 'a b'], {}, '--metrics-host: expected an IP address or a host name'],
  [['canary', '--name', ''], {}, '--name: expected 1 to 57 letters, digits, "-" or "_"'],
  [['verify', '--manifest', ''], {}, '--manifest: expected a manifest file or a directory of them, got ""'],
  [['verify', '--also-tenants', '', ...BAD_MANIFEST], {}, '--also-tenants: "" is empty'],
  [['verify', '--also-tenants', 'a,,b', ...BAD_MANIFEST], {}, '--also-tenants: "" is empty'],
  [
    ['load', '--serve', '--otlp-endpoint', '', '--requests', '1'],
    {},
    '--otlp-endpoint: expected an http:// or https:// URL, like http://localhost:4318, got ""',
  ],
  [['run', '--otlp-endpoint', ' '], {}, '--otlp-endpoint: expected an http:// or https:// URL'],
  [
    [...LOAD, '--scenario', './bomb.yaml'],
    {},
    './bomb.yaml: not valid YAML: its aliases (*name) expand to too many nodes',
  ],
  [
    ['run', '--scenario', './hex.yaml'],
    {},
    './hex.yaml: tenants: expected a decimal number (as the flags take), got 0x10',
  ],
];

describe('bad inputs → exit 2, one line naming the input', () => {
  it.each(CASES)('%j %j', async (argv, env, message) => {
    const r = await runInProcess(argv, env);
    expect(r.stderr).toMatch(/^otelpoc: [^\n]*\n$/);
    expect(r.stderr).toContain(`otelpoc: ${message}`);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

describe('serve, a real process', () => {
  it('exits 2 at start on a bad OTEL_EXPORTER_OTLP_HEADERS, before listening', async () => {
    const r = await runCli(['serve', '--port', '0'], {
      env: cleanEnv({ OTEL_EXPORTER_OTLP_HEADERS: 'bad name=v' }),
      timeoutMs: 20_000,
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `otelpoc: OTEL_EXPORTER_OTLP_HEADERS: header name "bad name" is not a valid header name: letters, digits and !#$%&'*+-.^_\`|~ only (no spaces or colons)\n`,
    );
  });
});
