/**
 * `canary --per-tenant-export` against the direct topology's backend, with real processes on
 * loopback: the canary's server exports one OTLP stream per tenant, each with X-Scope-OrgID = its
 * Client-ID, to vmauth, which routes writes and queries by that header to one VictoriaMetrics per
 * tenant (as Mimir's /otlp/v1/metrics takes the tenant from the header; no tenant router). Green in
 * its first intervals; with one tenant's write route broken, red for that tenant only, with the reason.
 */
import { describe, expect, it } from 'vitest';
import { usePerTenantBackends } from '../helpers/backend-suite.js';
import { backendsAvailable, pollUntil, type TenantGateway } from '../helpers/backends.js';
import { mainInProcess } from '../helpers/main-in-process.js';

const enabled = backendsAvailable('canary --per-tenant-export (vmauth + one VictoriaMetrics per tenant)');
const TENANTS = ['tenant-1', 'tenant-2', 'tenant-3'];

interface IntervalLine {
  status: 'green' | 'red' | 'pending';
  ok: boolean;
  topology: string;
  tenants: {
    tenant: string;
    ok: boolean;
    exportsExpected: number;
    status: 'green' | 'red' | 'pending';
    checks: Record<string, { status: 'pass' | 'fail' | 'pending'; ok: boolean; reason?: string }>;
  }[];
}

function lines(stdout: string): IntervalLine[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as IntervalLine);
}

describe.skipIf(!enabled)(
  'canary --per-tenant-export → vmauth (X-Scope-OrgID) → one store per tenant',
  () => {
    // Started, force-flushed all along (VictoriaMetrics makes new series searchable after ~10 s
    // otherwise) and stopped by the shared suite helper.
    const b = usePerTenantBackends(TENANTS);

    /** Runs the canary until `until` finds what it waits for in its --json lines; returns that and the output. */
    async function canary<T>(
      gw: TenantGateway,
      name: string,
      extra: string[],
      until: (ls: IntervalLine[]) => T | undefined,
    ): Promise<{ found: T; stdout: string; stderr: string }> {
      const abort = new AbortController();
      let stdout = '';
      let stderr = '';
      const run = mainInProcess(
        [
          'canary',
          '--per-tenant-export',
          '--url',
          gw.promUrl,
          '--otlp-endpoint',
          gw.otlpEndpoint,
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
          '--name',
          name,
          '--metrics-port',
          '0',
          '--json',
          ...extra,
        ],
        { signal: abort.signal, onStdout: (s) => (stdout = s), onStderr: (s) => (stderr = s) },
      );
      const fail = () => `stdout:\n${stdout.slice(-3000)}\nstderr:\n${stderr.slice(-3000)}\n${b.logs()}`;
      let found: T;
      try {
        found = await pollUntil(async () => until(lines(stdout)), { timeoutMs: 30_000, describe: fail });
      } finally {
        abort.abort();
      }
      const r = await run;
      expect(r.code, fail()).toBe(0);
      return { found, stdout, stderr };
    }

    it('is green within its first intervals, and names its topology', async () => {
      const gw = await b.startGateway();
      // Green with --max-lag 4s and exports to count: every tenant's samples arrived, on time, all of them
      // (the first intervals, before anything is due, are pending: they prove nothing).
      const { found, stderr } = await canary(gw, 'pt-green', ['--max-lag', '4s'], (ls) =>
        ls.find((l) => l.status === 'green' && l.tenants.every((t) => t.exportsExpected > 0)),
      );
      expect(found.topology).toBe('per-tenant-export');
      expect(found.tenants.map((t) => t.tenant)).toEqual(TENANTS);
      expect(stderr).toMatch(/canary started \(per-tenant-export\)/);
      // Each tenant's samples are in its own store only: one stream per tenant, routed by its header.
      for (const t of TENANTS) {
        const held = await b.query(
          t,
          'count by (client_id) (http_server_request_total{otelpoc_run_id="canary-pt-green"})',
        );
        expect(
          held.map((x) => x.metric.client_id),
          t,
        ).toEqual([t]);
      }
      expect(stderr).not.toMatch(/is red/);
    });

    it('is red for exactly the tenant whose write route is broken, with the reason; the others stay green', async () => {
      const gw = await b.startGateway({ refuseWrites: ['tenant-2'] });
      // --max-lag 4s: tenant-2's missing samples are late (and its exports missing) after a few seconds.
      const { found, stderr } = await canary(gw, 'pt-red', ['--max-lag', '4s'], (ls) =>
        ls.find(
          (l) =>
            l.tenants[0]!.status === 'green' &&
            l.tenants[2]!.status === 'green' &&
            l.tenants[1]!.checks.freshness!.status === 'fail' &&
            l.tenants[1]!.checks.completeness!.status === 'fail',
        ),
      );
      expect(found.topology).toBe('per-tenant-export');
      const red = found.tenants[1]!;
      expect(red.tenant).toBe('tenant-2');
      expect(red.checks.freshness!.reason).toMatch(
        /no sample of the canary's series visible .* after its start/,
      );
      // Completeness counts tenant-2's own stream's exports, and says they failed.
      expect(red.exportsExpected).toBeGreaterThan(0);
      expect(red.checks.completeness!.reason).toMatch(
        new RegExp(
          `${red.exportsExpected} of ${red.exportsExpected} exports in the window are missing .*the canary's exporter failed ${red.exportsExpected} of them`,
        ),
      );
      expect(gw.refused['tenant-2']).toBeGreaterThan(0);
      expect(stderr).toMatch(/tenant "tenant-2" is red: .*freshness: no sample/);
      expect(stderr).toMatch(/metrics export for tenant "tenant-2" .* failed/);
      expect(stderr).not.toMatch(/metrics export for tenant "tenant-(1|3)" .* failed/);
    });
  },
);
