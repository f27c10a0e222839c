/** Runs the CLI in this process through main(argv, runtime), capturing stdout and stderr. */
import { expect } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Runtime } from '../../src/cli/runtime.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function mainInProcess(
  args: string[],
  opts: {
    cwd?: string;
    env?: Record<string, string>;
    signal?: AbortSignal;
    /** Sees stderr as it grows (e.g. to act when progress reaches a state). */
    onStderr?: (soFar: string) => void;
    /** Sees stdout as it grows (a long-running command's JSON lines). */
    onStdout?: (soFar: string) => void;
  } = {},
): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const runtime: Runtime = {
    env: opts.env ?? { NO_COLOR: '1' },
    cwd: opts.cwd ?? process.cwd(),
    stdout: {
      write: (s: string | Uint8Array) => {
        stdout += String(s);
        opts.onStdout?.(stdout);
        return true;
      },
    },
    stderr: {
      write: (s: string | Uint8Array) => {
        stderr += String(s);
        opts.onStderr?.(stderr);
        return true;
      },
    },
    signal: opts.signal ?? new AbortController().signal,
  };
  const code = await main(args, runtime);
  return { code, stdout, stderr };
}

/**
 * A tiny real load (`requests` at 100/s) against `target`'s /api, in process, its manifest written
 * to `out` in `cwd`: a real manifest to read or give to verify. Fails the test unless it exits 0.
 */
export async function writeLoadManifest(cwd: string, target: string, requests: number, out = 'm.json') {
  const r = await mainInProcess(
    [
      'load',
      '--target',
      `${target}/api`,
      '--requests',
      String(requests),
      '--rps',
      '100',
      '--quiet',
      '--out',
      out,
    ],
    { cwd },
  );
  expect(r.code, r.stderr).toBe(0);
}
