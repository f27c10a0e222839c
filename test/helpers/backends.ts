/**
 * Real metrics backends for tests: VictoriaMetrics single-node (an OTLP + Prometheus API backend),
 * and a multi-tenant harness that plays the stack's roles with real packaged programs:
 *   vmagent  = Alloy + cortex-tenant (receives OTLP, routes each client_id to its tenant with X-Scope-OrgID)
 *   vmauth   = Mimir's tenant isolation (routes queries by X-Scope-OrgID; no header → rejected)
 *   one victoria-metrics per tenant = the per-tenant store.
 * Binaries come from `scripts/install-test-backends.sh` (run by `npm test`) or OTELPOC_VICTORIA_METRICS_BIN.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Folder holding victoria-metrics, vmagent and vmauth, or undefined when they are not installed. */
export function backendBinDir(): string | undefined {
  const fromEnv = process.env.OTELPOC_VICTORIA_METRICS_BIN;
  const candidates = [
    fromEnv && (existsSync(join(fromEnv, 'victoria-metrics')) ? fromEnv : dirname(fromEnv)),
    join(process.env.OTELPOC_BACKENDS_DIR ?? join(ROOT, '.cache/test-backends'), 'usr/bin'),
  ];
  for (const dir of candidates) {
    if (dir && ['victoria-metrics', 'vmagent', 'vmauth'].every((b) => existsSync(join(dir, b)))) return dir;
  }
  return undefined;
}

/**
 * Whether the backend tests can run. Missing binaries: outside CI the suite is skipped with a loud
 * message saying how to install them; in CI (CI=true) it is an error, so a green CI always means the
 * end-to-end tests ran.
 */
export function backendsAvailable(suite: string): boolean {
  return toolAvailable(
    suite,
    backendBinDir() !== undefined,
    'VictoriaMetrics binaries not found: run `bash scripts/install-test-backends.sh` (npm test does) or set OTELPOC_VICTORIA_METRICS_BIN',
  );
}

/**
 * A tool that scripts/install-test-backends.sh installs (Debian's static binary in usr/bin/<name> of
 * the test backends), or the one `envVar` names: its path, and whether a suite needing it can run.
 */
export function installedTool(
  name: string,
  envVar: string,
): { bin(): string | undefined; available(suite: string): boolean } {
  const bin = () =>
    [
      process.env[envVar],
      join(process.env.OTELPOC_BACKENDS_DIR ?? join(ROOT, '.cache/test-backends'), 'usr/bin', name),
    ].find((c): c is string => !!c && existsSync(c));
  return {
    bin,
    available: (suite) =>
      toolAvailable(
        suite,
        bin() !== undefined,
        `${name} not found: run \`bash scripts/install-test-backends.sh\` (npm test does) or set ${envVar}`,
      ),
  };
}

/** The rule for every external tool a suite needs: skip loudly outside CI, fail in CI. */
export function toolAvailable(suite: string, found: boolean, how: string): boolean {
  if (found) return true;
  if (process.env.CI) throw new Error(`${suite}: ${how}`);
  console.warn(`\n  !!! SKIPPING ${suite}: ${how}\n`);
  return false;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

/** Polls `fn` until it returns a value other than undefined, or throws with `describe()` after the deadline. */
export async function pollUntil<T>(
  fn: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; describe: () => string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${opts.timeoutMs} ms: ${opts.describe()}${lastError ? `\nlast error: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}

export class ManagedProcess {
  readonly log: string[] = [];
  readonly child: ChildProcess;

  constructor(
    readonly name: string,
    bin: string,
    args: string[],
    env?: Record<string, string>,
  ) {
    this.child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    const keep = (chunk: Buffer) => {
      this.log.push(chunk.toString());
      if (this.log.length > 400) this.log.splice(0, this.log.length - 400);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  tail(lines = 30): string {
    return `--- ${this.name} log (tail) ---\n${this.log.join('').split('\n').slice(-lines).join('\n')}`;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

async function waitHealthy(proc: ManagedProcess, url: string, timeoutMs = 30_000): Promise<void> {
  await pollUntil(
    async () => {
      if (proc.exited) throw new Error(`${proc.name} exited early\n${proc.tail()}`);
      const res = await fetch(url).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    { timeoutMs, intervalMs: 100, describe: () => `${proc.name} not healthy at ${url}\n${proc.tail()}` },
  );
}

/** Starts a process on a free port, retrying with another port if that one was taken meanwhile. */
export async function startOnFreePort(
  name: string,
  bin: string,
  args: (port: number) => string[],
  healthPath: string,
  fixedPort?: number,
): Promise<{ proc: ManagedProcess; port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < (fixedPort ? 1 : 3); attempt++) {
    const port = fixedPort ?? (await freePort());
    const proc = new ManagedProcess(name, bin, args(port));
    try {
      await waitHealthy(proc, `http://127.0.0.1:${port}${healthPath}`);
      return { proc, port };
    } catch (err) {
      lastError = err;
      await proc.stop();
    }
  }
  throw lastError;
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface VictoriaMetrics {
  /** http://127.0.0.1:PORT */
  url: string;
  /** OTLP base URL: the SDK exporter posts to `${otlpEndpoint}/v1/metrics`. */
  otlpEndpoint: string;
  /** Mimir-style Prometheus API prefix: `${promUrl}/api/v1/query`. */
  promUrl: string;
  /** Makes freshly written series searchable at once (a test-only VictoriaMetrics endpoint). */
  forceFlush(): Promise<void>;
  /** Instant query; force-flushes first. */
  query(promql: string, headers?: Record<string, string>): Promise<PromSample[]>;
  logs(): string;
  stop(): Promise<void>;
}

async function instantQuery(
  baseUrl: string,
  promql: string,
  headers: Record<string, string> = {},
): Promise<PromSample[]> {
  const res = await fetch(`${baseUrl}/api/v1/query?query=${encodeURIComponent(promql)}`, { headers });
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (!res.ok || body.status !== 'success')
    throw new Error(`query ${promql} → ${res.status} ${body.error ?? ''}`);
  return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Starts VictoriaMetrics on a free port, or on `opts.port` (for a backend that "comes back" where it was expected). */
export async function startVictoriaMetrics(opts: { port?: number } = {}): Promise<VictoriaMetrics> {
  const bin = backendBinDir();
  if (!bin) throw new Error('VictoriaMetrics binaries are not installed');
  const dir = await mkdtemp(join(tmpdir(), 'otelpoc-vm-'));
  const { proc, port } = await startOnFreePort(
    'victoria-metrics',
    join(bin, 'victoria-metrics'),
    (p) => [
      `-storageDataPath=${dir}`,
      `-httpListenAddr=127.0.0.1:${p}`,
      '-opentelemetry.usePrometheusNaming',
      '-search.latencyOffset=0',
      '-loggerLevel=WARN',
    ],
    '/health',
    opts.port,
  );
  const url = `http://127.0.0.1:${port}`;
  const forceFlush = async () => {
    await fetch(`${url}/internal/force_flush`).catch(() => undefined);
  };
  return {
    url,
    otlpEndpoint: `${url}/opentelemetry`,
    promUrl: `${url}/prometheus`,
    forceFlush,
    async query(promql, headers) {
      await forceFlush();
      return instantQuery(url, promql, headers);
    },
    logs: () => proc.tail(),
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface MultiTenantHarness {
  /** OTLP base URL of vmagent (the Alloy + cortex-tenant role). */
  otlpEndpoint: string;
  /** Prometheus API prefix behind vmauth (the Mimir role): queries need X-Scope-OrgID. */
  promUrl: string;
  /** The per-tenant stores, by tenant id. */
  stores: Record<string, VictoriaMetrics>;
  /** Force-flushes every store (data becomes searchable at once). */
  forceFlush(): Promise<void>;
  /** Instant query as `tenant` through vmauth. */
  query(tenant: string, promql: string): Promise<PromSample[]>;
  /** Stops vmagent (the pipeline's collector + router): exports to otlpEndpoint are refused. */
  stopPipeline(): Promise<void>;
  /** Starts vmagent again on the same port, with the same routes. */
  startPipeline(): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Tenants: one store each. Series without client_id go to `defaultTenant` (cortex-tenant's
 * `tenant.default`), when given. Series whose client_id is not a known tenant are dropped (as
 * Mimir would reject a tenant it does not know about only if limits say so; here: no store).
 */
export async function startMultiTenantHarness(
  tenants: string[],
  opts: {
    defaultTenant?: string;
    flushIntervalMs?: number;
    /** A faulty router: also copies the series of client_id `from` into tenant `into` (a leak). */
    copy?: { from: string; into: string };
  } = {},
): Promise<MultiTenantHarness> {
  const bin = backendBinDir();
  if (!bin) throw new Error('VictoriaMetrics binaries are not installed');
  const all = opts.defaultTenant ? [...tenants, opts.defaultTenant] : [...tenants];
  const dir = await mkdtemp(join(tmpdir(), 'otelpoc-mt-'));
  const stores: Record<string, VictoriaMetrics> = {};
  const procs: ManagedProcess[] = [];
  const stopAll = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all(Object.values(stores).map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const t of all) stores[t] = await startVictoriaMetrics();

    // vmauth: X-Scope-OrgID → that tenant's store (Mimir's role); no or unknown header → 400 missing route.
    const authConfig = [
      'unauthorized_user:',
      '  url_map:',
      ...all.flatMap((t) => [
        '  - src_paths: ["/.*"]',
        `    src_headers: ["X-Scope-OrgID: ${t}"]`,
        `    url_prefix: "${stores[t]!.url}/"`,
      ]),
    ].join('\n');
    await writeFile(join(dir, 'vmauth.yml'), `${authConfig}\n`);
    const auth = await startOnFreePort(
      'vmauth',
      join(bin, 'vmauth'),
      (p) => [
        `-auth.config=${join(dir, 'vmauth.yml')}`,
        `-httpListenAddr=127.0.0.1:${p}`,
        '-loggerLevel=WARN',
      ],
      '/health',
    );
    procs.push(auth.proc);

    // vmagent: one remote-write target per tenant, keeping only that tenant's client_id, with its header.
    const rwArgs: string[] = [];
    for (const t of all) {
      const relabel = join(dir, `keep-${t}.yml`);
      const quote = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      let regex = t === opts.defaultTenant ? '' : quote(t);
      if (opts.copy?.into === t) regex = `${regex}|${quote(opts.copy.from)}`;
      await writeFile(relabel, `- action: keep\n  source_labels: [client_id]\n  regex: '${regex}'\n`);
      rwArgs.push(
        `-remoteWrite.url=http://127.0.0.1:${auth.port}/api/v1/write`,
        `-remoteWrite.urlRelabelConfig=${relabel}`,
        `-remoteWrite.headers=X-Scope-OrgID:${t}`,
      );
    }
    const agentArgs = (p: number) => [
      `-httpListenAddr=127.0.0.1:${p}`,
      '-opentelemetry.usePrometheusNaming',
      `-remoteWrite.tmpDataPath=${join(dir, `vmagent-${p}`)}`,
      `-remoteWrite.flushInterval=${opts.flushIntervalMs ?? 1000}ms`,
      '-loggerLevel=WARN',
      ...rwArgs,
    ];
    const agent = await startOnFreePort('vmagent', join(bin, 'vmagent'), agentArgs, '/health');
    procs.push(agent.proc);
    let agentProc = agent.proc;

    const promUrl = `http://127.0.0.1:${auth.port}/prometheus`;
    const forceFlush = async () => {
      await Promise.all(Object.values(stores).map((s) => s.forceFlush()));
    };
    return {
      otlpEndpoint: `http://127.0.0.1:${agent.port}/opentelemetry`,
      promUrl,
      stores,
      forceFlush,
      async query(tenant, promql) {
        await forceFlush();
        return instantQuery(promUrl, promql, { 'X-Scope-OrgID': tenant });
      },
      async stopPipeline() {
        await agentProc.stop();
      },
      async startPipeline() {
        const again = await startOnFreePort(
          'vmagent',
          join(bin, 'vmagent'),
          agentArgs,
          '/health',
          agent.port,
        );
        agentProc = again.proc;
        procs.push(again.proc);
      },
      logs: () => [...procs.map((p) => p.tail()), ...Object.values(stores).map((s) => s.logs())].join('\n'),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

export interface PerTenantBackends {
  /** One store per tenant. */
  stores: Record<string, VictoriaMetrics>;
  /**
   * Starts a vmauth that routes every request (OTLP writes at /opentelemetry/v1/metrics, queries at
   * /prometheus) by X-Scope-OrgID to that tenant's store, as Mimir's OTLP endpoint and query API
   * separate tenants by that header. Writes of the tenants in `refuseWrites` go to a server that
   * answers 400 instead (a broken route; their queries still reach their store).
   */
  startGateway(opts?: { refuseWrites?: string[] }): Promise<TenantGateway>;
  /** Instant query in one tenant's store (force-flushed first). */
  query(tenant: string, promql: string): Promise<PromSample[]>;
  logs(): string;
  stop(): Promise<void>;
}

export interface TenantGateway {
  /** OTLP base URL: the SDK exporter posts to `${otlpEndpoint}/v1/metrics`. */
  otlpEndpoint: string;
  /** Prometheus API prefix; queries need X-Scope-OrgID. */
  promUrl: string;
  /** Write requests the refusing server answered 400, by tenant header. */
  refused: Record<string, number>;
}

/** The per-tenant export topology's backend: one VictoriaMetrics per tenant behind vmauth. */
export async function startPerTenantBackends(tenants: string[]): Promise<PerTenantBackends> {
  const bin = backendBinDir();
  if (!bin) throw new Error('VictoriaMetrics binaries are not installed');
  const dir = await mkdtemp(join(tmpdir(), 'otelpoc-pt-'));
  const stores: Record<string, VictoriaMetrics> = {};
  const procs: ManagedProcess[] = [];
  const closers: (() => Promise<void>)[] = [];
  const stop = async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all(closers.map((c) => c()));
    await Promise.all(Object.values(stores).map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const t of tenants) stores[t] = await startVictoriaMetrics();
  } catch (err) {
    await stop();
    throw err;
  }
  let gateways = 0;
  return {
    stores,
    async startGateway(opts = {}) {
      const refused: Record<string, number> = {};
      const refuser = createHttpServer((req, res) => {
        const tenant = String(req.headers['x-scope-orgid'] ?? '');
        refused[tenant] = (refused[tenant] ?? 0) + 1;
        req.resume();
        res.writeHead(400, { 'Content-Type': 'text/plain' });
        res.end(`tenant ${tenant}: writes refused\n`);
      });
      await new Promise<void>((r) => refuser.listen(0, '127.0.0.1', r));
      closers.push(
        () =>
          new Promise<void>((r) => {
            refuser.closeAllConnections();
            refuser.close(() => r());
          }),
      );
      const refuserUrl = `http://127.0.0.1:${(refuser.address() as { port: number }).port}/`;
      const lines = ['unauthorized_user:', '  url_map:'];
      for (const t of tenants) {
        // The first matching entry wins: a refused tenant's writes before its store's route.
        if (opts.refuseWrites?.includes(t)) {
          lines.push(
            '  - src_paths: ["/opentelemetry/.*"]',
            `    src_headers: ["X-Scope-OrgID: ${t}"]`,
            `    url_prefix: "${refuserUrl}"`,
          );
        }
        lines.push(
          '  - src_paths: ["/.*"]',
          `    src_headers: ["X-Scope-OrgID: ${t}"]`,
          `    url_prefix: "${stores[t]!.url}/"`,
        );
      }
      const file = join(dir, `vmauth-${gateways++}.yml`);
      await writeFile(file, `${lines.join('\n')}\n`);
      const auth = await startOnFreePort(
        'vmauth',
        join(bin, 'vmauth'),
        (p) => [`-auth.config=${file}`, `-httpListenAddr=127.0.0.1:${p}`, '-loggerLevel=WARN'],
        '/health',
      );
      procs.push(auth.proc);
      const base = `http://127.0.0.1:${auth.port}`;
      return { otlpEndpoint: `${base}/opentelemetry`, promUrl: `${base}/prometheus`, refused };
    },
    async query(tenant, promql) {
      const store = stores[tenant]!;
      await store.forceFlush();
      return instantQuery(store.url, promql);
    },
    logs: () => [...procs.map((p) => p.tail()), ...Object.values(stores).map((s) => s.logs())].join('\n'),
    stop,
  };
}
