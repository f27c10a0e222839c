/** One LoadConfig from flags or a scenario file; flags given override the scenario, defaults do not. */
import { describe, expect, it } from 'vitest';
import { commandFrom } from '../../src/cli/program.js';
import { LoadConfigSchema, type LoadInput, resolveLoadConfig } from '../../src/load/config.js';
import { parseScenarioText } from '../../src/load/scenario.js';
import { LOAD_OPTIONS } from '../../src/options/settings.js';
import { resolveOptions } from '../../src/options/table.js';
import { loadInputOf } from '../../src/pipeline/load.js';
import { mainInProcess } from '../helpers/main-in-process.js';

const id = () => 'rid';

function flagsInput(argv: string[]): LoadInput {
  let input: LoadInput = {};
  const cmd = commandFrom(
    {
      name: 'load',
      summary: '',
      description: [],
      table: LOAD_OPTIONS,
      examples: [],
      action: async (given) => {
        input = loadInputOf(resolveOptions(LOAD_OPTIONS, given, {}).given);
        return 0;
      },
    },
    () => {},
  );
  cmd.exitOverride().parse(argv, { from: 'user' });
  return input;
}

describe('resolveLoadConfig', () => {
  it('a scenario file and the same flags resolve to the same LoadConfig', () => {
    const fromFlags = resolveLoadConfig(
      flagsInput([
        '--rps=20',
        '--duration=2s',
        '--client-ids=acme,globex',
        '--tenant-weights=3,1',
        '--anonymous=10%',
        '--status-mix=200:9,500:1',
        '--timeout=300ms',
        '--max-inflight=7',
        '--max-drop-rate=1%',
      ]),
      undefined,
      id,
    );
    const spec = parseScenarioText(
      [
        'rate: 20',
        'duration: 2s',
        'tenants: [acme, globex]',
        'tenantWeights: [3, 1]',
        'anonymous: 10%',
        'statusMix: {200: 9, 500: 1}',
        'timeout: 300ms',
        'maxInflight: 7',
        'thresholds: {maxDropRate: 1%}',
      ].join('\n'),
      'same.yaml',
    );
    const fromFile = resolveLoadConfig({}, { name: 'same.yaml', spec }, id);
    expect(fromFile).toEqual({ ...fromFlags, scenario: 'same.yaml' });
    expect(LoadConfigSchema.parse(fromFlags)).toEqual(fromFlags);
  });

  it('only the flags given override the scenario; a default never does, even an equal value given', async () => {
    const spec = parseScenarioText('rate: 7\nduration: 3s\ntenants: 2\n', 'x.yaml');
    const scenario = { name: 'x.yaml', spec };
    const kept = resolveLoadConfig(flagsInput([]), scenario, id);
    expect(kept.stages).toEqual([{ durationMs: 3000, fromPerSec: 7, toPerSec: 7 }]);
    expect(kept.tenants).toHaveLength(2);
    // 50 is also --rps's default: given, it still wins.
    const over = resolveLoadConfig(flagsInput(['--rps', '50', '--tenants', '3']), scenario, id);
    expect(over.stages).toEqual([{ durationMs: 3000, fromPerSec: 50, toPerSec: 50 }]);
    expect(over.tenants).toHaveLength(3);
  });

  it('a run bounded by --requests alone: the unbounded stage survives JSON (the manifest)', () => {
    const config = resolveLoadConfig({ requests: 10, rate: 5 }, undefined, id);
    expect(LoadConfigSchema.parse(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });
});

describe('otelpoc load --help', () => {
  it('shows the defaults from the option table, wrapped by commander', async () => {
    const r = await mainInProcess(['load', '--help']);
    expect(r.code).toBe(0);
    const flat = r.stdout.replace(/\s+/g, ' ');
    expect(flat).not.toContain('[default:');
    expect(flat).toContain('(default: 50)');
    expect(flat).toContain('(default: 10s unless --requests)');
    expect(flat).toContain('(default: 200:85,404:10,500:5)');
    const lines = r.stdout.split('\n').map((l) => l.trim());
    expect(lines).not.toContain('a request due');
    expect(lines.some((l) => /^a request due\b/.test(l) && l.length < 20)).toBe(false);
  });
});
