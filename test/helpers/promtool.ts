/**
 * promtool (Debian's static binary, fetched by scripts/install-test-backends.sh) for checking and
 * unit-testing the alerting rules in stack/alerts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { installedTool } from './backends.js';
import { ROOT } from './cli.js';

const run = promisify(execFile);

const installed = installedTool('promtool', 'OTELPOC_PROMTOOL_BIN');

/** The promtool binary, or undefined when it is not installed. */
export const promtoolBin = installed.bin;

/** Same rule as backendsAvailable: skip loudly outside CI, fail in CI. */
export const promtoolAvailable = installed.available;

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
