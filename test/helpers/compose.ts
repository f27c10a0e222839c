/**
 * docker-compose v2 (Debian's static binary, fetched by scripts/install-test-backends.sh) for
 * `docker-compose config`: validates and resolves docker-compose.yml without a Docker engine.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installedTool } from './backends.js';
import { ROOT } from './cli.js';

const run = promisify(execFile);

export const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

const installed = installedTool('docker-compose', 'OTELPOC_DOCKER_COMPOSE_BIN');

/** The docker-compose binary, or undefined when it is not installed. */
export const composeBin = installed.bin;

/** Same rule as backendsAvailable: skip loudly outside CI, fail in CI. */
export const composeAvailable = installed.available;

export interface ComposeResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `docker-compose -f docker-compose.yml [--profile p]... <args>`; never throws on a non-zero exit. */
export async function compose(
  args: string[],
  opts: { profiles?: string[]; file?: string } = {},
): Promise<ComposeResult> {
  const bin = composeBin();
  if (!bin) throw new Error('docker-compose is not installed');
  const profileArgs = (opts.profiles ?? []).flatMap((p) => ['--profile', p]);
  try {
    const { stdout, stderr } = await run(bin, ['-f', opts.file ?? COMPOSE_FILE, ...profileArgs, ...args], {
      cwd: ROOT,
      // No engine is needed for `config`; keep the user's DOCKER_* settings out of it.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export interface ResolvedService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: { target: number; published: string; protocol?: string }[];
  volumes?: { type: string; source?: string; target: string; read_only?: boolean }[];
  healthcheck?: { test: string[]; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string; required?: boolean }>;
  profiles?: string[];
  restart?: string;
  user?: string;
}

export interface ResolvedCompose {
  name: string;
  services: Record<string, ResolvedService>;
  volumes?: Record<string, unknown>;
}

/** `docker-compose config --format json`, parsed; throws with compose's own message when invalid. */
export async function resolvedCompose(profiles: string[] = []): Promise<ResolvedCompose> {
  const res = await compose(['config', '--format', 'json'], { profiles });
  if (res.code !== 0) throw new Error(`docker-compose config failed (${res.code}):\n${res.stderr}`);
  return JSON.parse(res.stdout) as ResolvedCompose;
}
