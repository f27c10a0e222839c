/**
 * Cortex v1.20.1 for tests: a real multi-tenant backend with Mimir's semantics (X-Scope-OrgID on
 * writes and queries, OTLP at /api/v1/otlp/v1/metrics, the Prometheus API under /prometheus, native
 * histograms, raw delta). It comes from ../shared/tools/cortex (CI always has it; a newcomer's clone
 * may not): a suite needing it is skipped loudly without it, and fails under CI=true, as the other
 * external tools (toolAvailable). The binary is unpacked once into the git-ignored .cache/cortex by
 * the tool's own unpack.sh (checked by sha256). How to start and stop it: its README.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type PromSample, pollUntil, toolAvailable } from './backends.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** ../shared relative to the repository root (a worktree's root too: its README says so). */
export const TOOL_DIR = process.env.OTELPOC_CORTEX_DIR ?? resolve(ROOT, '../shared/tools/cortex');
const CACHE_DIR = join(ROOT, '.cache/cortex');

export function cortexToolDir(): string | undefined {
  return existsSync(join(TOOL_DIR, 'unpack.sh')) && existsSync(join(TOOL_DIR, 'cortex.yaml.in'))
    ? TOOL_DIR
    : undefined;
}

/** Whether a suite needing Cortex can run (skipped loudly without it; an error under CI=true). */
export function cortexAvailable(suite: string): boolean {
  return toolAvailable(
    suite,
    cortexToolDir() !== undefined,
    `Cortex not found at ${TOOL_DIR} (../shared/tools/cortex beside the repository; CI has it), or set OTELPOC_CORTEX_DIR to a folder with its unpack.sh and cortex.yaml.in`,
  );
}

export interface CortexOptions {
  /** -blocks-storage.tsdb.enable-native-histograms=true: OTLP exponential histograms stored as native. */
  nativeHistograms?: boolean;
  /** -distributor.otlp.allow-delta-temporality=true (experimental): raw deltas stored. */
  allowDelta?: boolean;
}

export interface Cortex {
  /** http://127.0.0.1:PORT */
  url: string;
  /** OTLP base URL: the SDK exporter posts to `${otlpEndpoint}/v1/metrics` (Mimir: /otlp). */
  otlpEndpoint: string;
  /** Prometheus API prefix, as Mimir's: `${promUrl}/api/v1/query`. */
  promUrl: string;
  /** The tenant list Mimir and Cortex serve (verify's tenantsUrl). */
  tenantsUrl: string;
  /** Instant query as `tenant` (X-Scope-OrgID). */
  query(tenant: string, promql: string): Promise<PromSample[]>;
  logs(): string;
  stop(): Promise<void>;
}

/** Unpacks the binary once (unpack.sh prints its path). */
function cortexBin(): string {
  const dir = cortexToolDir();
  if (!dir) throw new Error(`Cortex is not available at ${TOOL_DIR}`);
  return execFileSync('bash', [join(dir, 'unpack.sh'), CACHE_DIR], { encoding: 'utf8' }).trim();
}

export async function startCortex(opts: CortexOptions = {}): Promise<Cortex> {
  const bin = cortexBin();
  const data = await mkdtemp(join(tmpdir(), 'otelpoc-cortex-'));
  // Cortex refuses to start its ruler and alertmanager without these folders (its README).
  await mkdir(join(data, 'rules'), { recursive: true });
  await mkdir(join(data, 'alerts'), { recursive: true });
  const template = await readFile(join(cortexToolDir()!, 'cortex.yaml.in'), 'utf8');
  const config = join(data, 'cortex.yaml');
  await writeFile(config, template.replaceAll('@DATA@', data));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const [http, grpc] = [await freePort(), await freePort()];
    const args = [
      `-config.file=${config}`,
      '-server.http-listen-address=127.0.0.1',
      `-server.http-listen-port=${http}`,
      '-server.grpc-listen-address=127.0.0.1',
      `-server.grpc-listen-port=${grpc}`,
      '-ingester.lifecycler.addr=127.0.0.1',
      '-distributor.ring.instance-addr=127.0.0.1',
      // Alertmanager's gossip listens on 0.0.0.0:9094 by default: off (one Cortex, no HA), so that
      // several Cortex processes can run at once and nothing listens beyond loopback.
      '-alertmanager.cluster.listen-address=',
      '-log.level=warn',
      ...(opts.nativeHistograms ? ['-blocks-storage.tsdb.enable-native-histograms=true'] : []),
      ...(opts.allowDelta ? ['-distributor.otlp.allow-delta-temporality=true'] : []),
    ];
    // Its working directory inside the data folder: it writes active-query-tracker/ there.
    const child = spawn(bin, args, { cwd: data, stdio: ['ignore', 'pipe', 'pipe'] });
    const log: string[] = [];
    const keep = (chunk: Buffer) => {
      log.push(chunk.toString());
      if (log.length > 400) log.splice(0, log.length - 400);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const tail = () => `--- cortex log (tail) ---\n${log.join('').split('\n').slice(-30).join('\n')}`;
    const url = `http://127.0.0.1:${http}`;
    try {
      const state = await pollUntil(
        async () => {
          if (exited(child)) return 'exited';
          const res = await fetch(`${url}/ready`).catch(() => undefined);
          return res?.status === 200 ? 'ready' : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 200, describe: () => `cortex not ready at ${url}/ready\n${tail()}` },
      );
      if (state === 'exited') throw new Error(`cortex exited early\n${tail()}`);
    } catch (err) {
      lastError = err;
      await stopChild(child);
      continue;
    }
    return {
      url,
      otlpEndpoint: `${url}/api/v1/otlp`,
      promUrl: `${url}/prometheus`,
      tenantsUrl: `${url}/distributor/all_user_stats`,
      async query(tenant, promql) {
        const res = await fetch(`${url}/prometheus/api/v1/query?query=${encodeURIComponent(promql)}`, {
          headers: { 'X-Scope-OrgID': tenant },
        });
        const body = (await res.json()) as {
          status: string;
          error?: string;
          data?: { result: { metric: Record<string, string>; value?: [number, string] }[] };
        };
        if (!res.ok || body.status !== 'success')
          throw new Error(`query ${promql} → ${res.status} ${body.error ?? ''}`);
        return body.data!.result.map((r) => ({ metric: r.metric, value: Number(r.value?.[1]) }));
      },
      logs: tail,
      async stop() {
        await stopChild(child);
        await rm(data, { recursive: true, force: true });
      },
    };
  }
  await rm(data, { recursive: true, force: true });
  throw lastError;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after a second: its shutdown can hang (its README). */
async function stopChild(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
  await gone;
  clearTimeout(timer);
}
