/** Spawns the built CLI (bin/otelpoc → dist/) as a user would, and always cleans up. */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = resolve(ROOT, 'bin/otelpoc');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` in stdout (or stderr), or rejects with all output after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<CliResult>;
  kill(signal?: NodeJS.Signals): void;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Environment for children: no colour, no inherited OTEL_* settings that would redirect exports. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('OTEL_')) env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export function spawnCli(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<CliResult>((resolveExit) => {
    child.on('close', (code, signal) => {
      live.delete(child);
      for (const l of listeners) l();
      resolveExit({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    kill: (signal = 'SIGTERM') => {
      child.kill(signal);
    },
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolveMatch, reject) => {
        const check = () => {
          const m = stdout.match(pattern) ?? stderr.match(pattern);
          if (m) {
            cleanup();
            resolveMatch(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`process exited before ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Runs the CLI to completion (bounded by `timeoutMs`, then SIGKILL). */
export async function runCli(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const proc = spawnCli(args, opts);
  const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}

/** `otelpoc serve` on a free port exporting to `otlpEndpoint` (defaults: no delay, 1 s export interval). */
export function spawnServe(
  otlpEndpoint: string,
  opts: { delay?: string; exportInterval?: string; extra?: string[] } = {},
): CliProcess {
  return spawnCli([
    'serve',
    '--port',
    '0',
    '--delay',
    opts.delay ?? '0',
    '--export-interval',
    opts.exportInterval ?? '1s',
    '--otlp-endpoint',
    otlpEndpoint,
    ...(opts.extra ?? []),
  ]);
}

/** Waits for serve's start line and returns its base URL (http://127.0.0.1:PORT, without /api). */
export async function serveUrl(serve: CliProcess): Promise<string> {
  const [, base] = (await serve.waitFor(/listening on (http:\/\/\S+)\/api/)) as RegExpMatchArray;
  return base!;
}

/**
 * The argv of a short `load --serve` into one backend, as the verify end-to-end tests run it: no
 * delay, a 1 s export interval, the manifest at `out`, quiet. `extra` adds flags (a status mix).
 */
export function loadServeArgv(opts: {
  requests: number;
  tenants: number;
  otlpEndpoint: string;
  runId: string;
  out: string;
  extra?: string[];
}): string[] {
  const mix = ['--requests', String(opts.requests), '--rps', '200', '--tenants', String(opts.tenants)];
  const server = ['--delay', '0', '--export-interval', '1s', '--otlp-endpoint', opts.otlpEndpoint];
  return [
    'load',
    '--serve',
    ...mix,
    ...(opts.extra ?? []),
    ...server,
    '--run-id',
    opts.runId,
    '--out',
    opts.out,
    '--quiet',
  ];
}
