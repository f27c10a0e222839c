/**
 * The canary's and doctor's option tables: the canary has none of verify's polling flags (given one,
 * it says whose it is; any other unknown flag is commander's to word), and each command's input
 * reports every problem together, one line each.
 */
import { describe, expect, it } from 'vitest';
import { CANARY_OPTIONS, resolveCanary } from '../../src/canary/command.js';
import { resolveDoctor } from '../../src/doctor/command.js';
import { longFlag } from '../../src/options/table.js';
import { mainInProcess } from '../helpers/main-in-process.js';

const VERIFY_ONLY = [
  '--verify-timeout',
  '--settle',
  '--junit',
  '--explain',
  '--all-tenants',
  '--tenants-url',
  '--also-tenants',
];

describe('canary options', () => {
  it("has none of verify's polling flags, in its table or its help", async () => {
    const flags = Object.values(CANARY_OPTIONS).map(longFlag);
    for (const f of VERIFY_ONLY) expect(flags).not.toContain(f);
    const r = await mainInProcess(['canary', '--help']);
    for (const f of VERIFY_ONLY) expect(r.stdout).not.toContain(f);
  });

  it.each([
    [['--settle=5s'], "otelpoc: --settle: not an option of canary (it is verify's); drop it\n"],
    [['--explain'], "otelpoc: --explain: not an option of canary (it is verify's); drop it\n"],
    [['--rpss', '3'], /^otelpoc: unknown option '--rpss' \(did you mean --rps\?\)/],
  ])('%j → exit 2, one line', async (args, message) => {
    const r = await mainInProcess(['canary', ...args, '--once']);
    expect(r.code).toBe(2);
    if (typeof message === 'string') expect(r.stderr).toBe(message);
    else expect(r.stderr).toMatch(message);
  });

  it('reports every problem of its input together', () => {
    expect(() =>
      resolveCanary({ interval: '500ms', rps: 'max', metricsPort: '70000', defaultTenant: 'x' }, {}),
    ).toThrow(
      [
        '--rps: a canary sends a steady low rate; give a number, like 3',
        '--interval: at least 1s, got 500ms',
        '--metrics-port: expected an integer from 0 to 65535, got "70000"',
        '--default-tenant: only used with --per-tenant-export (the tenant of requests without Client-ID); add it, or drop --default-tenant',
      ].join('\n'),
    );
  });

  it('resolves the serve block, the backend and the max-lag default once', () => {
    const { config, output } = resolveCanary(
      { clientIds: 'a,b', perTenantExport: true, exportInterval: '5s', once: true },
      { OTELPOC_VERIFY_URL: 'http://m:9009/prometheus' },
    );
    expect(config.clientIds).toEqual(['a', 'b']);
    expect(config.maxLagMs).toBe(40_000);
    expect(config.serve).toMatchObject({ metrics: 'otlp', tenantExport: { header: 'X-Scope-OrgID' } });
    expect(config.backend).toMatchObject({
      url: 'http://m:9009/prometheus',
      given: true,
      urlFlag: 'OTELPOC_VERIFY_URL',
    });
    expect(config.metrics).toBeNull();
    expect(output).toEqual({
      name: 'default',
      intervalMs: 30_000,
      logFormat: 'text',
      json: false,
      once: true,
    });
  });
});

describe('doctor options', () => {
  it('reports every problem of its input together', () => {
    expect(() =>
      resolveDoctor({ topology: 'alloy', tenants: ' , ', skip: ['grafana', 'nope'], timeout: 'x' }, {}),
    ).toThrow(/^--topology: .*\n--tenants: .*\n--skip: .*\n--timeout: /);
  });

  it('dedupes repeated --skip and keeps the tenant header', () => {
    const { config, json } = resolveDoctor({ skip: ['grafana,alloy', 'grafana'], json: true }, {});
    expect(config.skip).toEqual(['grafana', 'alloy']);
    expect(config.tenantHeader).toBe('X-Scope-OrgID');
    expect(json).toBe(true);
  });
});
