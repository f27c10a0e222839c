/** Service profiles: the built-ins, YAML files, and a bad profile's one line naming the field. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/pipeline/index.js';
import { UsageError } from '../../src/util/errors.js';
import { increaseSince } from '../../src/verify/service/counts.js';
import {
  BUILT_IN_PROFILES,
  loadServiceProfile,
  parseServiceProfile,
} from '../../src/verify/service/profile.js';
import { expectedCells } from '../../src/verify/service/verify-service.js';
import { startCountingServer } from '../helpers/counting-server.js';
import { testPlan } from '../load/plan-fixture.js';
import { realLoadManifest } from './fixtures.js';
import { backendAt } from './own-service-helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otelpoc-profile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function profileFile(name: string, yaml: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, yaml);
  return file;
}

describe('service profiles', () => {
  it.each(BUILT_IN_PROFILES)('built-in %s parses', async (name) => {
    const p = await loadServiceProfile(name);
    expect(p.name).toBe(name);
    expect(p.tenantHeader).toBe('Client-ID');
  });

  it('a YAML file: defaults filled, matchers and a fixed tenant kept', async () => {
    const file = await profileFile(
      'checkout.yaml',
      'labels: { status: http_response_status_code }\ntenant: { fixed: team-a }\nmatchers: { job: checkout }\ntenantHeader: X-Tenant\n',
    );
    expect(await loadServiceProfile(file)).toMatchObject({
      metric: 'http_server_request_duration_seconds',
      histogram: 'classic',
      tenant: { fixed: 'team-a' },
      matchers: { job: 'checkout' },
      tenantHeader: 'X-Tenant',
    });
  });

  const bad: [string, string, RegExp][] = [
    [
      'an unknown field',
      'labels: { status: code }\ntenant: { label: client_id }\nstatusLabel: code\n',
      /: \(root\): unknown field "statusLabel"$/,
    ],
    [
      'a label name that cannot exist',
      'labels: { status: http.status_code }\ntenant: { label: client_id }\n',
      /: labels\.status: not a Prometheus label name/,
    ],
    [
      'an empty metric name',
      'metric: ""\nlabels: { status: code }\ntenant: { label: client_id }\n',
      /: metric: must not be empty$/,
    ],
    [
      'a reserved label name',
      'labels: { status: code }\ntenant: { label: __name__ }\n',
      /: tenant\.label: names starting with __ are reserved/,
    ],
    [
      'a _count metric',
      'metric: x_count\nlabels: { status: code }\ntenant: { label: c }\n',
      /: metric: give the histogram base name/,
    ],
    ['not YAML', 'labels: [\n', /: not YAML/],
  ];
  it.each(bad)('%s: one-line UsageError naming the field', async (_what, yaml, message) => {
    const file = await profileFile('bad.yaml', yaml);
    const err = await loadServiceProfile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    const text = (err as Error).message;
    expect(text.startsWith(`--service-profile ${file}: `)).toBe(true);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('runPipeline refuses a bad profile (load or verify) before any traffic', async () => {
    const server = await startCountingServer();
    const file = await profileFile(
      'bad-before.yaml',
      'labels: { status: code }\ntenant: { label: client_id }\nextra: 1\n',
    );
    const backend = backendAt('http://127.0.0.1:9/prometheus');
    try {
      const run = (where: 'load' | 'verify') =>
        runPipeline(
          {
            load: {
              config: testPlan({ target: `${server.url}/api`, requests: 20 }),
              cwd: dir,
              write: false,
              ...(where === 'load' ? { service: { profile: file, backend } } : {}),
            },
            verify: {
              backend,
              timeoutMs: 1000,
              defaultTenant: 'default',
              alsoTenants: [],
              explain: false,
              ...(where === 'verify' ? { serviceProfile: file } : {}),
            },
          },
          { env: {}, warn: () => {} },
        );
      for (const where of ['load', 'verify'] as const) {
        const err = await run(where).catch((e: unknown) => e);
        expect(err, where).toBeInstanceOf(UsageError);
        expect((err as Error).message).toBe(`--service-profile ${file}: (root): unknown field "extra"`);
        expect(server.connections, `${where}: no request before the refusal`).toBe(0);
      }
    } finally {
      await server.close();
    }
  });

  it('an unknown name that is no file names the built-ins', async () => {
    await expect(loadServiceProfile('otel-htp')).rejects.toThrow(
      /^--service-profile otel-htp: no such file; give a file or one of otelpoc, otel-http-stable/,
    );
  });
});

describe('increaseSince: increase without extrapolation', () => {
  const pts = (...v: number[]) => v.map((value, i) => ({ atMs: 1000 * (i + 1), value }));
  it('sums the steps after the baseline', () => {
    expect(increaseSince({ atMs: 0, value: 10 }, pts(10, 12, 15))).toBe(5);
  });
  it('a drop is a reset: the new value was counted since the restart', () => {
    expect(increaseSince({ atMs: 0, value: 10 }, pts(14, 3, 5))).toBe(4 + 3 + 2);
  });
  it('a new series counts from 0; samples at or before the baseline are skipped', () => {
    expect(increaseSince(undefined, pts(4, 6))).toBe(6);
    expect(increaseSince({ atMs: 2000, value: 6 }, pts(4, 6, 9))).toBe(3);
  });
  it('skips non-finite samples (staleness)', () => {
    expect(increaseSince({ atMs: 0, value: 1 }, pts(2, Number.NaN, 4))).toBe(3);
  });
});

describe('expectedCells: what the manifest says the service answered', () => {
  it('per tenant × received status; unanswered requests may have been counted; a fixed tenant sums all', async () => {
    const m = await realLoadManifest();
    const t1 = m.tenants[0]!;
    // 3 of tenant-1's 200s timed out: the service may or may not have counted them.
    t1.byStatus[0] = { ...t1.byStatus[0]!, unanswered: 3 };
    const byLabel = expectedCells(await loadServiceProfile('otelpoc'), m);
    expect(byLabel.find((c) => c.tenant === 'tenant-1' && c.status === '200')).toMatchObject({
      expected: t1.receivedByStatus['200'],
      maybe: 3,
    });
    const fixed = parseServiceProfile({ labels: { status: 'code' }, tenant: { fixed: 'team-a' } }, 'fixed');
    const cells = expectedCells(fixed, m);
    expect(new Set(cells.map((c) => c.tenant))).toEqual(new Set(['team-a']));
    const total = m.tenants.reduce(
      (n, t) => n + Object.values(t.receivedByStatus).reduce((a, b) => a + b, 0),
      0,
    );
    expect(cells.reduce((n, c) => n + c.expected, 0)).toBe(total);
  });
});
