/**
 * promtool (Debian's static binary, fetched by scripts/install-test-backends.sh) for checking and
 * unit-testing the alerting rules in stack/alerts.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toolAvailable } from './backends.js';
import { ROOT } from './cli.js';

const run = promisify(execFile);

/** The promtool binary, or undefined when it is not installed. */
export function promtoolBin(): string | undefined {
  const candidates = [
    process.env.OTELPOC_PROMTOOL_BIN,
    join(process.env.OTELPOC_BACKENDS_DIR ?? join(ROOT, '.cache/test-backends'), 'usr/bin/promtool'),
  ];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/** Same rule as backendsAvailable: skip loudly outside CI, fail in CI. */
export function promtoolAvailable(suite: string): boolean {
  return toolAvailable(
    suite,
    promtoolBin() !== undefined,
    'promtool not found: run `bash scripts/install-test-backends.sh` (npm test does) or set OTELPOC_PROMTOOL_BIN',
  );
}

export interface PromtoolResult {
  code: number;
  /** stdout and stderr together: promtool splits its report between them. */
  output: string;
}

/** Runs `promtool <args>` in `cwd`; never throws on a non-zero exit. */
export async function promtool(args: string[], cwd = ROOT): Promise<PromtoolResult> {
  const bin = promtoolBin();
  if (!bin) throw new Error('promtool is not installed');
  try {
    const { stdout, stderr } = await run(bin, args, { cwd, timeout: 30_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}
