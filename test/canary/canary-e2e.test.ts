/**
 * The canary against the multi-tenant harness (vmagent → vmauth → one VictoriaMetrics per tenant),
 * in process through main(): green in its first intervals; the pipeline (vmagent) stopped for longer
 * than --max-lag turns every tenant red (lag / completeness) on /metrics and in the log; started
 * again, every tenant turns green without restarting the canary; the series of its run stay the
 * same in number however many intervals pass. A second harness whose router copies tenant-1's
 * series into tenant-2 turns isolation red for tenant-2 only. Short intervals keep it quick.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendsAvailable,
  type MultiTenantHarness,
  pollUntil,
  startMultiTenantHarness,
} from '../helpers/backends.js';
import { spawnCli } from '../helpers/cli.js';
import { mainInProcess } from '../helpers/main-in-process.js';

const enabled = backendsAvailable('canary against the multi-tenant harness');
const TENANTS = ['tenant-1', 'tenant-2', 'tenant-3'];

type Status = 'green' | 'red' | 'pending';
interface IntervalLine {
  status: Status;
  ok: boolean;
  tenants: {
    tenant: string;
    status: Status;
    ok: boolean;
    exportsExpected: number;
    exportsVisible: number;
    checks: Record<string, { status: 'pass' | 'fail' | 'pending'; ok: boolean; reason?: string }>;
  }[];
}

/** Proven green: every tenant's samples seen, right, and its exports counted (not merely nothing due yet). */
function proven(l: IntervalLine): boolean {
  return l.status === 'green' && l.tenants.every((t) => t.status === 'green' && t.exportsExpected > 0);
}

function canaryArgs(h: MultiTenantHarness, extra: string[]): string[] {
  return [
    'canary',
    '--url',
    h.promUrl,
    '--otlp-endpoint',
    h.otlpEndpoint,
    '--export-interval',
    '1s',
    '--interval',
    '2s',
    '--delay',
    '0',
    '--rps',
    '6',
    '--tenants',
    '3',
    // Every tenant × status series exists after the first 12 requests (2 s), so the series count
    // after the first green interval is the full set.
    '--status-mix',
    '200:2,404:1,500:1',
    ...extra,
  ];
}

function lines(stdout: string): IntervalLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as IntervalLine);
}

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

function gauge(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe.skipIf(!enabled)('canary against the multi-tenant harness', () => {
  let h: MultiTenantHarness;
  beforeAll(async () => {
    h = await startMultiTenantHarness(TENANTS);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('is green, turns red when the pipeline stops, green again when it is back; series stay bounded', async () => {
    const abort = new AbortController();
    let stdout = '';
    let stderr = '';
    const run = mainInProcess(
      canaryArgs(h, ['--name', 'e2e', '--max-lag', '15s', '--metrics-port', '0', '--json']),
      {
        signal: abort.signal,
        onStderr: (s) => {
          stderr = s;
        },
        onStdout: (s) => {
          stdout = s;
        },
      },
    );
    const fail = () => `stdout:\n${stdout.slice(-3000)}\nstderr:\n${stderr.slice(-3000)}\n${h.logs()}`;
    try {
      const metricsUrl = await pollUntil(async () => /metrics at (http:\S+)\/metrics/.exec(stderr)?.[1], {
        timeoutMs: 15_000,
        describe: fail,
      });
      // Green within the first intervals, on evidence: the first intervals are pending (nothing due
      // yet), never green; green once every tenant's exports older than --max-lag are all there.
      await pollUntil(async () => (lines(stdout).some(proven) ? true : undefined), {
        timeoutMs: 30_000,
        describe: fail,
      });
      const before = lines(stdout).slice(0, lines(stdout).findIndex(proven));
      expect(before.length, fail()).toBeGreaterThan(0);
      expect(before.every((l) => l.status === 'pending' && !l.ok)).toBe(true);
      for (const t of TENANTS) {
        expect(stderr).toMatch(
          new RegExp(`tenant "${t}" is green: its data arrived \\(proven .* after the start\\)`),
        );
        expect(stderr.match(new RegExp(`tenant "${t}" is green`, 'g'))).toHaveLength(1);
      }
      const seriesCount = async () =>
        Promise.all(
          TENANTS.map(async (t) => (await h.query(t, 'count({otelpoc_run_id="canary-e2e"})'))[0]?.value),
        );
      // The full set once each tenant × status was sent and exported (a few seconds): per tenant,
      // 3 statuses × (request_total + 15 buckets + sum + count) = 54.
      const greenFirst = lines(stdout).length;
      await pollUntil(async () => (lines(stdout).length >= greenFirst + 2 ? true : undefined), {
        timeoutMs: 20_000,
        describe: fail,
      });
      const firstCount = await seriesCount();
      expect(firstCount).toEqual([54, 54, 54]);
      let m = await metricsText(metricsUrl);
      for (const t of TENANTS)
        expect(gauge(m, 'otelpoc_canary_check_ok', `tenant="${t}",check="freshness"`), fail()).toBe(1);

      // The pipeline stops for longer than --max-lag: every tenant red, for lag/completeness.
      const seen = lines(stdout).length;
      await h.stopPipeline();
      const red = await pollUntil(
        async () =>
          lines(stdout)
            .slice(seen)
            .find((l) =>
              l.tenants.every(
                (t) => t.checks.freshness!.status === 'fail' && t.checks.completeness!.status === 'fail',
              ),
            ),
        { timeoutMs: 30_000, describe: fail },
      );
      expect(red.tenants.map((t) => t.checks.freshness!.reason)).toEqual(
        TENANTS.map(() => expect.stringMatching(/delivery lag .* over --max-lag 15 s/)),
      );
      expect(red.tenants[0]!.checks.completeness!.reason).toMatch(/exports in the window are missing/);
      m = await metricsText(metricsUrl);
      for (const t of TENANTS) {
        expect(gauge(m, 'otelpoc_canary_check_ok', `tenant="${t}",check="freshness"`)).toBe(0);
        expect(gauge(m, 'otelpoc_canary_delivery_lag_seconds', `tenant="${t}"`)).toBeGreaterThan(15);
        expect(stderr).toMatch(
          new RegExp(`tenant "${t}" is red: .*(freshness: delivery lag|completeness: )`),
        );
      }
      expect(gauge(m, 'otelpoc_canary_export_failures_total', '')).toBeUndefined(); // unlabelled: no {}
      expect(Number(/^otelpoc_canary_export_failures_total (\d+)/m.exec(m)?.[1])).toBeGreaterThan(0);

      // Back: green again, the same canary.
      await h.startPipeline();
      const afterRed = lines(stdout).length;
      await pollUntil(async () => (lines(stdout).slice(afterRed).some(proven) ? true : undefined), {
        timeoutMs: 40_000,
        describe: fail,
      });
      for (const t of TENANTS) expect(stderr).toMatch(new RegExp(`tenant "${t}" is green again`));
      m = await metricsText(metricsUrl);
      for (const t of TENANTS)
        expect(gauge(m, 'otelpoc_canary_check_ok', `tenant="${t}",check="completeness"`)).toBe(1);

      // Many intervals later, the run has the series it had after the first.
      const greenAt = lines(stdout).length;
      await pollUntil(async () => (lines(stdout).length >= greenAt + 5 ? true : undefined), {
        timeoutMs: 30_000,
        describe: fail,
      });
      expect(await seriesCount()).toEqual(firstCount);
    } finally {
      abort.abort();
      const result = await run;
      expect(result.code, fail()).toBe(0);
    }
  }, 150_000);
});

describe.skipIf(!enabled)('otelpoc canary --once (the built CLI)', () => {
  let h: MultiTenantHarness;
  beforeAll(async () => {
    h = await startMultiTenantHarness(TENANTS);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('exits 0 against a healthy pipeline, with one line per tenant', async () => {
    const cli = spawnCli([
      'canary',
      '--once',
      '--url',
      h.promUrl,
      '--otlp-endpoint',
      h.otlpEndpoint,
      '--export-interval',
      '1s',
      '--interval',
      '8s',
    ]);
    const r = await cli.exited;
    expect(r.code, `${r.stdout}\n${r.stderr}\n${h.logs()}`).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(
      TENANTS.map((t) => expect.stringMatching(new RegExp(`^green ${t}  lag`))),
    );
  }, 60_000);
});

describe.skipIf(!enabled)('canary with a router that leaks one tenant into another', () => {
  let h: MultiTenantHarness;
  beforeAll(async () => {
    h = await startMultiTenantHarness(TENANTS, { copy: { from: 'tenant-1', into: 'tenant-2' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('turns isolation red for that tenant only', async () => {
    const abort = new AbortController();
    let stdout = '';
    // --max-lag 5s: the other tenants are proven green (exports counted) within a few seconds.
    const run = mainInProcess(
      canaryArgs(h, ['--name', 'leak', '--max-lag', '5s', '--metrics-port', '0', '--json']),
      {
        signal: abort.signal,
        onStdout: (s) => {
          stdout = s;
        },
      },
    );
    try {
      // Once every tenant shows data: tenant-2 red for isolation, the others green.
      const line = await pollUntil(
        async () =>
          lines(stdout).find(
            (l) =>
              l.tenants[1]!.checks.isolation!.status === 'fail' &&
              l.tenants[1]!.exportsExpected > 0 &&
              l.tenants[0]!.status === 'green' &&
              l.tenants[2]!.status === 'green',
          ),
        { timeoutMs: 30_000, describe: () => `${stdout}\n${h.logs()}` },
      );
      expect(line.tenants[1]!.checks.isolation!.reason).toMatch(
        /leak: \d+ series of run "canary-leak" with client_id="tenant-1" are visible in tenant "tenant-2"/,
      );
      const others = Object.entries(line.tenants[1]!.checks)
        .filter(([, c]) => c.status !== 'pass')
        .map(([k]) => k);
      expect(others).toEqual(['isolation']);
    } finally {
      abort.abort();
      await run;
    }
  }, 90_000);
});
