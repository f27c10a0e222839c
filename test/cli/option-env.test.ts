/**
 * Options' env vars, in process: the value comes from the Runtime's env (never from process.env
 * behind its back), a flag given beats its variable, a bad value is refused naming the variable, and
 * the OTEL_* variables keep the spec's precedence (OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, used as is,
 * beats OTEL_EXPORTER_OTLP_ENDPOINT; intervals in milliseconds) whatever the options declare.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunManifest } from '../../src/manifest/schema.js';
import { mainInProcess } from '../helpers/main-in-process.js';
import { realLoadManifestText } from '../verify/fixtures.js';

let dir: string;
let file: string;
let peer: Server;
let peerUrl: string;
const seen: { url: string; authorization?: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otelpoc-env-'));
  file = join(dir, 'm.json');
  await writeFile(file, await realLoadManifestText(2));
  // A backend that refuses every query: verify stops at once (exit 2), after the first request.
  peer = createServer((req, res) => {
    seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(401, { 'content-type': 'text/plain' }).end('no');
  });
  await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
  peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => peer.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const env = (vars: Record<string, string> = {}) => ({ NO_COLOR: '1', ...vars });

describe('OTELPOC_VERIFY_* from the runtime env', () => {
  it('the variable is used when no flag is given, and named when its value is bad', async () => {
    seen.length = 0;
    const r = await mainInProcess(['verify', '--manifest', file], {
      env: env({ OTELPOC_VERIFY_URL: `${peerUrl}/from-env`, OTELPOC_VERIFY_BEARER_TOKEN: 'sekrit' }),
    });
    expect(r.code).toBe(2);
    expect(seen[0]).toMatchObject({ authorization: 'Bearer sekrit' });
    expect(seen[0]!.url).toMatch(/^\/from-env\/api\/v1\/query/);

    const bad = await mainInProcess(['verify', '--manifest', file], {
      env: env({ OTELPOC_VERIFY_URL: 'ftp://x' }),
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'otelpoc: OTELPOC_VERIFY_URL: expected an http:// or https:// URL, got "ftp://x"\n',
    );

    const badAuth = await mainInProcess(['verify', '--manifest', file], {
      env: env({ OTELPOC_VERIFY_BASIC_AUTH: 'nocolon' }),
    });
    expect(badAuth.stderr).toBe('otelpoc: OTELPOC_VERIFY_BASIC_AUTH: expected user:password\n');

    const both = await mainInProcess(['verify', '--manifest', file, '--bearer-token', 't'], {
      env: env({ OTELPOC_VERIFY_BASIC_AUTH: 'a:b' }),
    });
    expect(both.stderr).toBe(
      'otelpoc: OTELPOC_VERIFY_BASIC_AUTH and --bearer-token: give one of them, not both\n',
    );
  });

  it('a flag given beats its variable', async () => {
    seen.length = 0;
    const r = await mainInProcess(
      ['verify', '--manifest', file, '--url', `${peerUrl}/from-flag`, '--bearer-token', 'flag'],
      { env: env({ OTELPOC_VERIFY_URL: 'ftp://never-read', OTELPOC_VERIFY_BEARER_TOKEN: 'env' }) },
    );
    expect(r.code).toBe(2);
    expect(seen[0]!.url).toMatch(/^\/from-flag\/api\/v1\/query/);
    expect(seen[0]).toMatchObject({ authorization: 'Bearer flag' });
  });

  it('process.env is not read behind the runtime env', async () => {
    const saved = process.env.OTELPOC_VERIFY_URL;
    process.env.OTELPOC_VERIFY_URL = 'ftp://from-process-env';
    try {
      seen.length = 0;
      const r = await mainInProcess(['verify', '--manifest', file, '--bearer-token', 'x'], {
        env: env({ OTELPOC_VERIFY_URL: `${peerUrl}/runtime` }),
      });
      expect(r.stderr).not.toContain('from-process-env');
      expect(seen[0]!.url).toMatch(/^\/runtime\//);
    } finally {
      if (saved === undefined) delete process.env.OTELPOC_VERIFY_URL;
      else process.env.OTELPOC_VERIFY_URL = saved;
    }
  });
});

/** `load --serve` of one request; the manifest says where the in-process server exported. */
async function serverOf(args: string[], vars: Record<string, string>): Promise<RunManifest['server']> {
  const r = await mainInProcess(
    [
      'load',
      '--serve',
      '--requests',
      '1',
      '--rps',
      '100',
      '--delay',
      '0',
      '--json',
      '--out',
      join(dir, 'run.json'),
      ...args,
    ],
    { env: env(vars), cwd: dir },
  );
  expect(r.stderr).not.toMatch(/^otelpoc:/m);
  return (JSON.parse(r.stdout) as RunManifest).server;
}

describe('OTEL_* variables keep the spec precedence', () => {
  // Nothing listens on port 1: the exports fail at once (a warning), the run still completes.
  const generic = 'http://127.0.0.1:1/generic';
  const metrics = 'http://127.0.0.1:1/metrics-as-is';

  it('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT beats OTEL_EXPORTER_OTLP_ENDPOINT; --otlp-endpoint beats both', async () => {
    expect(
      (
        await serverOf([], {
          OTEL_EXPORTER_OTLP_ENDPOINT: generic,
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: metrics,
        })
      )?.metricsTarget,
    ).toBe(metrics);
    expect((await serverOf([], { OTEL_EXPORTER_OTLP_ENDPOINT: generic }))?.metricsTarget).toBe(
      `${generic}/v1/metrics`,
    );
    expect(
      (
        await serverOf(['--otlp-endpoint', 'http://127.0.0.1:1/flag'], {
          OTEL_EXPORTER_OTLP_ENDPOINT: generic,
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: metrics,
        })
      )?.metricsTarget,
    ).toBe('http://127.0.0.1:1/flag/v1/metrics');
  });

  it('OTEL_METRIC_EXPORT_INTERVAL (milliseconds) beats the default, --export-interval beats it', async () => {
    const vars = { OTEL_EXPORTER_OTLP_ENDPOINT: generic };
    expect((await serverOf([], vars))?.exportIntervalMs).toBe(10_000);
    expect((await serverOf([], { ...vars, OTEL_METRIC_EXPORT_INTERVAL: '1500' }))?.exportIntervalMs).toBe(
      1500,
    );
    expect(
      (await serverOf(['--export-interval', '2s'], { ...vars, OTEL_METRIC_EXPORT_INTERVAL: '1500' }))
        ?.exportIntervalMs,
    ).toBe(2000);
  });

  it("run's own default (1s) gives way to OTEL_METRIC_EXPORT_INTERVAL", async () => {
    const run = async (vars: Record<string, string>) => {
      const r = await mainInProcess(
        [
          'run',
          '--embedded',
          '--requests',
          '3',
          '--rps',
          '100',
          '--delay',
          '0',
          '--json',
          '--out',
          join(dir, 'r.json'),
        ],
        { env: env(vars), cwd: dir },
      );
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { manifest: RunManifest }).manifest.server?.exportIntervalMs;
    };
    expect(await run({})).toBe(1000);
    expect(await run({ OTEL_METRIC_EXPORT_INTERVAL: '1500' })).toBe(1500);
  });
});
