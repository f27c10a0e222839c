/**
 * `otelpoc load` flag errors: one line on stderr naming the flag, exit 2. In process through main();
 * one case spawns the built CLI, to prove the binary maps a UsageError to exit 2 the same way.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { mainInProcess } from '../helpers/main-in-process.js';

describe('otelpoc load: bad flags', () => {
  it.each([
    [
      ['--rps', '-1'],
      '--rps: expected a number from 0.001 to 100000 (requests per second) or "max", got "-1"',
    ],
    [['--rps=-1'], '--rps: expected a number from 0.001 to 100000 (requests per second) or "max", got "-1"'],
    [
      ['--rps', 'fast'],
      '--rps: expected a number from 0.001 to 100000 (requests per second) or "max", got "fast"',
    ],
    [
      ['--status-mix', '200:abc'],
      '--status-mix: expected status:weight pairs like 200:85,404:10,500:5 (status 200-599, weight > 0), got "200:abc"',
    ],
    [['--tenants', '0'], '--tenants: expected an integer from 1 to 10000, got "0"'],
    [['--tenants', '-3'], '--tenants: expected an integer from 1 to 10000, got "-3"'],
    [
      ['--duration', '-5s'],
      '--duration: expected a duration like 500ms, 30s or 2m (greater than 0), got "-5s"',
    ],
    [
      ['--scenario', 'nope'],
      '--scenario: no scenario "nope"; shipped: error-burst, many-tenants, ramp, smoke, spike, steady, or give a path to a .yaml file',
    ],
    [
      ['--target', 'ftp://127.0.0.1'],
      '--target: expected an http:// or https:// URL, like http://127.0.0.1:8088, got "ftp://127.0.0.1"',
    ],
    [['--anonymous', '150%'], '--anonymous: expected a percentage from 0 up to 100, like 10%, got "150%"'],
    [
      ['--serve', '--target', 'http://127.0.0.1:1'],
      '--target: not allowed with --serve, which loads its own in-process server',
    ],
  ])('load %j → exit 2, one line', async (args, message) => {
    const r = await mainInProcess(['load', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`otelpoc: ${message}\n`);
  });

  it('the binary too: exit 2, one line', async () => {
    const r = await runCli(['load', '--rps', 'fast'], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'otelpoc: --rps: expected a number from 0.001 to 100000 (requests per second) or "max", got "fast"\n',
    );
  });

  it('--help lists the flags with examples', async () => {
    const r = await mainInProcess(['load', '--help']);
    expect(r.code).toBe(0);
    for (const f of [
      '--rps',
      '--duration',
      '--requests',
      '--connections',
      '--max-inflight',
      '--tenants',
      '--client-ids',
      '--tenant-weights',
      '--anonymous',
      '--status-mix',
      '--run-id',
      '--timeout',
      '--scenario',
      '--serve',
      '--out',
      '--json',
      '--quiet',
      '--max-error-rate',
      '--max-drop-rate',
    ]) {
      expect(r.stdout).toContain(f);
    }
    expect(r.stdout).toContain('Examples:');
  });
});
