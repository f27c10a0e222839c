/**
 * `canary --target --service-profile` against a service otelpoc did not instrument: express +
 * express-prom-bundle (prom-client), scraped every second by a real vmagent into VictoriaMetrics.
 * Green when every tenant's window counts arrive exactly; red naming the tenant whose series vmagent
 * drops on the way. Through the CLI in process, bounded: --once, 2 s of traffic, --max-lag 15s.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { mainInProcess } from '../helpers/main-in-process.js';
import { startPromExpressService, startVmagent } from '../helpers/own-services.js';

describe.runIf(backendsAvailable('canary against a service of the user'))(
  'canary --target --service-profile: express-prom-bundle through vmagent',
  () => {
    const vm = useVictoriaMetrics();
    const cleanup: (() => Promise<void>)[] = [];
    let cwd: string;
    beforeAll(async () => {
      cwd = await mkdtemp(join(tmpdir(), 'otelpoc-canary-svc-'));
    });
    afterAll(() => rm(cwd, { recursive: true, force: true }));
    afterEach(async () => {
      for (const stop of cleanup.splice(0).reverse()) await stop().catch(() => {});
    });

    /** The service scraped under `job` (vmagent dropping `dropTenant`'s series), and its profile file. */
    async function watched(job: string, dropTenant?: string) {
      const service = await startPromExpressService();
      cleanup.push(() => service.stop());
      const agent = await startVmagent({
        writeUrl: `${vm.url}/api/v1/write`,
        scrape: { job, targets: [`127.0.0.1:${service.port}`] },
        ...(dropTenant ? { dropLabel: { name: 'client_id', value: dropTenant } } : {}),
      });
      cleanup.push(() => agent.stop());
      const file = join(cwd, `${job}.yaml`);
      await writeFile(
        file,
        `metric: http_request_duration_seconds\nlabels: { status: status_code, method: method, route: path }\ntenant: { label: client_id }\nmatchers: { job: ${job} }\n`,
      );
      return ['--target', service.url, '--service-profile', file];
    }

    const canary = (target: string[]) =>
      mainInProcess(
        [
          'canary',
          '--once',
          ...target,
          '--client-ids',
          'tenant-a,tenant-b,tenant-c',
          '--rps',
          '30',
          '--interval',
          '2s',
          '--max-lag',
          '15s',
          '--url',
          vm.url,
          '--no-tenant-header',
          '--json',
        ],
        { cwd },
      );

    it('green: every tenant exact in the window (exit 0)', async () => {
      const r = await canary(await watched('canary-svc-green'));
      const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { ok: boolean };
      expect(report.ok, r.stdout + r.stderr).toBe(true);
      expect(r.code).toBe(0);
    });

    it('red naming the tenant whose series are dropped on the way (exit 1)', async () => {
      const r = await canary(await watched('canary-svc-drop', 'tenant-b'));
      expect(r.stderr).toMatch(/tenant-b/);
      expect(r.stderr).not.toMatch(/red\s+tenant-a|tenant-a \(/);
      expect(r.stderr).toMatch(/did not arrive/);
      expect(r.code, r.stdout + r.stderr).toBe(1);
    });
  },
);
