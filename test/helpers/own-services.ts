/**
 * Services otelpoc did not instrument, for the "prove your own service" tests: real processes built
 * from the real npm packages (test/fixtures/services/), a vmagent that receives or scrapes their
 * metrics (and may drop one tenant's on the way), and a tenant router for the one-process-per-tenant
 * OpenTelemetry services (the load sends every tenant to one target).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendBinDir, ManagedProcess, pollUntil, startOnFreePort } from './backends.js';
import { cleanEnv, ROOT } from './cli.js';

const FIXTURES = join(ROOT, 'test/fixtures/services');

export interface OwnService {
  port: number;
  url: string;
  proc: ManagedProcess;
  /** SIGTERM: the OTel service flushes its last export first. */
  stop(): Promise<void>;
}

async function startFixture(file: string, env: Record<string, string>): Promise<OwnService> {
  const proc = new ManagedProcess(file, process.execPath, [join(FIXTURES, file)], cleanEnv(env));
  const port = await pollUntil(
    async () => {
      if (proc.exited) throw new Error(`${file} exited\n${proc.tail()}`);
      const m = /listening (\d+)/.exec(proc.log.join(''));
      return m ? Number(m[1]) : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 50, describe: () => `${file} did not start\n${proc.tail()}` },
  );
  return { port, url: `http://127.0.0.1:${port}`, proc, stop: () => proc.stop() };
}

/** node:http + OpenTelemetry SDK + instrumentation-http, one tenant (service.namespace), OTLP to `otlpEndpoint`. */
export function startOtelHttpService(opts: {
  tenant: string;
  serviceName: string;
  otlpEndpoint: string;
  exportIntervalMs?: number;
}): Promise<OwnService> {
  return startFixture('otel-http-service.cjs', {
    TENANT: opts.tenant,
    SERVICE_NAME: opts.serviceName,
    OTLP_ENDPOINT: opts.otlpEndpoint,
    EXPORT_INTERVAL_MS: String(opts.exportIntervalMs ?? 500),
  });
}

/** express + express-prom-bundle (prom-client), tenant in client_id from the `tenantHeader` (default Client-ID). */
export function startPromExpressService(opts: { tenantHeader?: string } = {}): Promise<OwnService> {
  return startFixture(
    'prom-express-service.cjs',
    opts.tenantHeader ? { TENANT_HEADER: opts.tenantHeader } : {},
  );
}

export interface Vmagent {
  /** OTLP base URL: exporters post to `${otlpEndpoint}/v1/metrics`. */
  otlpEndpoint: string;
  stop(): Promise<void>;
}

/**
 * vmagent remote-writing to `writeUrl`: receives OTLP, and scrapes `scrape` targets every second
 * under job `job`. `dropLabel`: series with that label = value are dropped before the write (one
 * tenant lost on the way).
 */
export async function startVmagent(opts: {
  writeUrl: string;
  scrape?: { job: string; targets: string[] };
  dropLabel?: { name: string; value: string };
}): Promise<Vmagent> {
  const bin = backendBinDir();
  if (!bin) throw new Error('vmagent is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'otelpoc-own-'));
  const args = [
    '-opentelemetry.usePrometheusNaming',
    `-remoteWrite.url=${opts.writeUrl}`,
    `-remoteWrite.tmpDataPath=${join(dir, 'queue')}`,
    '-remoteWrite.flushInterval=200ms',
    '-loggerLevel=WARN',
  ];
  if (opts.scrape) {
    const targets = opts.scrape.targets.map((t) => `'${t}'`).join(', ');
    await writeFile(
      join(dir, 'scrape.yml'),
      `scrape_configs:\n- job_name: ${opts.scrape.job}\n  scrape_interval: 1s\n  static_configs: [{targets: [${targets}]}]\n`,
    );
    args.push(`-promscrape.config=${join(dir, 'scrape.yml')}`);
  }
  if (opts.dropLabel) {
    await writeFile(
      join(dir, 'drop.yml'),
      `- action: drop\n  source_labels: [${opts.dropLabel.name}]\n  regex: '${opts.dropLabel.value}'\n`,
    );
    args.push(`-remoteWrite.relabelConfig=${join(dir, 'drop.yml')}`);
  }
  const { proc, port } = await startOnFreePort(
    'vmagent',
    join(bin, 'vmagent'),
    (p) => [`-httpListenAddr=127.0.0.1:${p}`, ...args],
    '/health',
  );
  return {
    otlpEndpoint: `http://127.0.0.1:${port}/opentelemetry`,
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TenantRouter {
  url: string;
  /** Where each tenant's requests go (a port); changeable while it runs (a restarted service). */
  routes: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * Forwards each request to the port of its Client-ID's service. A refused connection (a service
 * restarting) is retried for up to 10 s: the request has not reached any service yet, so the
 * retry counts it once.
 */
export async function startTenantRouter(routes: Map<string, number>): Promise<TenantRouter> {
  const server = createServer((req, res) => {
    const tenant = String(req.headers['client-id'] ?? '');
    const deadline = Date.now() + 10_000;
    const attempt = () => {
      const port = routes.get(tenant);
      if (port === undefined) {
        res.writeHead(421).end(`no service for tenant ${tenant}\n`);
        return;
      }
      const up = httpRequest(
        // No keep-alive (agent: false): a restarting service never cuts a reused connection.
        { host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers, agent: false },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      up.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED' && Date.now() < deadline) setTimeout(attempt, 50);
        else if (!res.headersSent) res.writeHead(502).end(`${err.message}\n`);
      });
      up.end();
    };
    req.resume();
    attempt();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    routes,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
