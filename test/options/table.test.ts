/**
 * The option table's one resolution: the flag given, else its env var, else its default — each
 * text parsed by its setting, every problem collected (one line each), an env var's problem named
 * by the variable, an OTEL_* variable left to telemetry/config.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  list,
  longFlag,
  option,
  resolveOptions,
  shownDefault,
  toggle,
  withDefaults,
} from '../../src/options/table.js';
import { UsageError } from '../../src/util/errors.js';
import { ValueProblem } from '../../src/util/value-problem.js';

const int = (text: string, name: string) => {
  if (!/^\d+$/.test(text)) throw new UsageError(`${name}: expected a whole number, got "${text}"`);
  return Number(text);
};

const TABLE = {
  rate: option({ flags: '--rate <n>', help: 'rate', parse: int, default: 5, env: 'X_RATE' }),
  name: option({ flags: '--name <s>', help: 'name', env: 'X_NAME' }),
  weight: option({
    flags: '--weight <w>',
    help: 'weight',
    parse: (t: string) => {
      if (t !== 'light' && t !== 'heavy') throw new ValueProblem('light or heavy');
      return t;
    },
  }),
  endpoint: option({
    flags: '--endpoint <url>',
    help: 'e',
    default: 'http://d',
    env: 'OTEL_X',
    envReadBy: 'otel',
  }),
  header: option<string | false>({
    flags: '--header <h>',
    help: 'h',
    default: 'X-Default',
    negate: { flags: '--no-header', help: 'none', value: false },
  }),
  tag: list({ flags: '--tag <t>', help: 't', each: (t: string) => t.split(',') }),
  once: toggle('--once', 'once'),
};

describe('resolveOptions', () => {
  it('takes the flag, else the env var, else the default, and says where a value came from', () => {
    expect(resolveOptions(TABLE, { rate: '7' }, { X_RATE: '9' }).values.rate).toBe(7);
    const fromEnv = resolveOptions(TABLE, {}, { X_RATE: '9' });
    expect(fromEnv.values.rate).toBe(9);
    expect(fromEnv.from.rate).toBe('X_RATE');
    expect(fromEnv.given.rate).toBe(9);
    const byDefault = resolveOptions(TABLE, {}, { X_RATE: '' });
    expect(byDefault.values.rate).toBe(5);
    expect(byDefault.from.rate).toBeUndefined();
    expect(byDefault.given.rate).toBeUndefined();
    expect(resolveOptions(TABLE, {}, {}).values.name).toBeUndefined();
  });

  it('leaves an OTEL_* variable to telemetry/config.ts: only the flag or the default', () => {
    expect(resolveOptions(TABLE, {}, { OTEL_X: 'http://env' }).values.endpoint).toBe('http://d');
    expect(resolveOptions(TABLE, { endpoint: 'http://flag' }, { OTEL_X: 'http://env' }).values.endpoint).toBe(
      'http://flag',
    );
  });

  it('collects every problem, one line each, named by the flag or the variable that gave it', () => {
    const r = resolveOptions(TABLE, { rate: 'fast', weight: 'medium' }, { X_RATE: 'slow' });
    expect(r.problems).toEqual([
      '--rate: expected a whole number, got "fast"',
      '--weight: expected light or heavy, got "medium"',
    ]);
    const env = resolveOptions(TABLE, {}, { X_RATE: 'slow' });
    expect(env.problems).toEqual(['X_RATE: expected a whole number, got "slow"']);
    expect(env.values.rate).toBe(5);
  });

  it('negations, lists and toggles', () => {
    expect(resolveOptions(TABLE, { header: false }, {}).values.header).toBe(false);
    expect(resolveOptions(TABLE, {}, {}).values.header).toBe('X-Default');
    expect(resolveOptions(TABLE, { tag: ['a,b', 'c'] }, {}).values.tag).toEqual(['a', 'b', 'c']);
    expect(resolveOptions(TABLE, {}, {}).values.tag).toEqual([]);
    expect(resolveOptions(TABLE, { once: true }, {}).values.once).toBe(true);
    expect(resolveOptions(TABLE, {}, {}).values.once).toBe(false);
  });

  it('withDefaults gives a command its own defaults, shown in its help', () => {
    const run = withDefaults(TABLE, { rate: { default: 20 } });
    expect(resolveOptions(run, {}, {}).values.rate).toBe(20);
    expect(shownDefault(run.rate)).toBe('20');
    expect(resolveOptions(TABLE, {}, {}).values.rate).toBe(5);
    expect(longFlag({ flags: '-d, --duration <d>' })).toBe('--duration');
  });
});
