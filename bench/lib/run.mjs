// How the benchmarks run a command: to completion, bounded (SIGKILL after `timeoutMs`), with its
// stdout, stderr and exit code.
import { spawn } from 'node:child_process';

export function runBounded(cmd, argv, { env, timeoutMs = 120_000, onSpawn } = {}) {
  return new Promise((res) => {
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(t);
      res({ code, out, err });
    });
  });
}
