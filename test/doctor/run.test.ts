/**
 * runDoctor's decisions with scripted HTTP answers and a fake clock: which hint a failure gets, what
 * is skipped, how far the probe got, and where it looks when the probe never shows up. Real-backend
 * behaviour is covered by doctor-e2e.test.ts.
 */
import { MockAgent } from 'undici';
import { describe, expect, it } from 'vitest';
import type { HttpOutcome, HttpRequest } from '../../src/doctor/http.js';
import { type DoctorDeps, runDoctor } from '../../src/doctor/run.js';
import type { InstrumentedServer } from '../../src/server/instrumented-server.js';
import { doctorConfig } from './fixtures.js';

type Answer = Partial<HttpOutcome> | ((req: HttpRequest) => Partial<HttpOutcome>);

/**
 * Answers by URL prefix (longest first); anything else is "connection refused". The Prometheus
 * client's POSTs to Mimir's query API are seen as `GET ${MIMIR_Q}?query=…` with their headers, so one
 * answer table serves both doctor's plain requests and its queries.
 */
function fakeDeps(answers: Record<string, Answer>, opts: { exportOk?: boolean } = {}) {
  let nowMs = 0;
  const requests: HttpRequest[] = [];
  const prefixes = Object.keys(answers).sort((a, b) => b.length - a.length);
  const answer = (req: HttpRequest): HttpOutcome => {
    requests.push(req);
    nowMs += 5;
    const key = prefixes.find((p) => req.url.startsWith(p));
    const a = key === undefined ? undefined : answers[key];
    const partial = typeof a === 'function' ? a(req) : a;
    if (!partial) return { status: undefined, body: '', error: 'connection refused', durationMs: 5 };
    return { status: 200, body: '', error: undefined, durationMs: 5, ...partial };
  };
  const mimir = new MockAgent();
  mimir.disableNetConnect();
  mimir
    .get(new URL(MIMIR_Q).origin)
    .intercept({ path: new URL(MIMIR_Q).pathname, method: 'POST' })
    .reply((o) => {
      const query = new URLSearchParams(String(o.body)).get('query') ?? '';
      const r = answer({
        url: `${MIMIR_Q}?query=${encodeURIComponent(query)}`,
        headers: { ...(o.headers as Record<string, string>) },
        timeoutMs: 0,
      });
      return { statusCode: r.status ?? 599, data: r.body };
    })
    .persist();
  const deps: DoctorDeps = {
    env: {},
    now: () => nowMs,
    sleep: async (ms) => {
      nowMs += ms;
    },
    http: async (req) => answer(req),
    promDispatcher: mimir,
    // The probe runs through runPipeline: its server is stubbed (where the metrics went) and its one
    // request is answered from the same table.
    startServer: async () =>
      ({
        url: 'http://probe.test',
        metricsTarget: 'http://localhost:4318/v1/metrics',
        pipeline: {
          stats:
            opts.exportOk === false
              ? { exports: 1, failures: 1, consecutiveFailures: 1, lastError: 'ECONNREFUSED' }
              : { exports: 1, failures: 0, consecutiveFailures: 0, lastError: undefined },
        },
        topology: 'otlp-endpoint',
        streams: () => [],
        stop: async () => {},
      }) as unknown as InstrumentedServer,
    loadClient: (client) => ({
      send: (req, done) => {
        const o = answer({
          url: client.targetUrl,
          headers: { 'Client-ID': req.clientId ?? '', 'X-Run-ID': client.runId },
          timeoutMs: client.timeoutMs,
        });
        done(
          o.status === undefined ? { error: 'refused', message: o.error ?? 'refused' } : { status: o.status },
        );
      },
      close: async () => {},
    }),
  };
  return { deps, requests, elapsed: () => nowMs };
}

const prom = (result: unknown[]) => ({
  body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }),
});
const MIMIR_Q = 'http://localhost:9009/prometheus/api/v1/query';

const healthy: Record<string, Answer> = {
  'http://localhost:4318/v1/metrics': { status: 200 },
  'http://localhost:12345/-/ready': { status: 200 },
  'http://localhost:8085/alive': { status: 200 },
  'http://localhost:9009/ready': { status: 200 },
  'http://localhost:3000/api/health': { body: '{"database":"ok","version":"13.1.2"}' },
  'http://probe.test/api': { status: 200 },
};

describe('runDoctor', () => {
  it('passes everything on a healthy stack and reports the probe as stored', async () => {
    let polls = 0;
    const { deps, requests } = fakeDeps({
      ...healthy,
      [MIMIR_Q]: (req) => {
        if (req.url.includes('vector')) return prom([{ metric: {}, value: [0, '1'] }]);
        polls++;
        return prom(polls < 3 ? [] : [{ metric: {}, value: [0, '1'] }]);
      },
    });
    const report = await runDoctor(doctorConfig(), deps);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['otlp', 'pass'],
      ['alloy', 'pass'],
      ['cortex-tenant', 'pass'],
      ['mimir', 'pass'],
      ['mimir-tenants', 'pass'],
      ['grafana', 'pass'],
      ['probe', 'pass'],
    ]);
    expect(report.ok).toBe(true);
    const probe = report.checks.at(-1)!;
    expect(probe.probe).toMatchObject({ clientId: 'otelpoc-doctor', stage: 'stored' });
    expect(probe.probe!.runId).toMatch(/^doctor-\d{8}-\d{6}-[0-9a-f]{6}$/);
    // The probe request and the lookups carry the probe's tenant and run id.
    const probeReq = requests.find((r) => r.url === 'http://probe.test/api')!;
    expect(probeReq.headers).toEqual({ 'Client-ID': 'otelpoc-doctor', 'X-Run-ID': probe.probe!.runId });
    const lookup = requests
      .filter((r) => r.url.startsWith(MIMIR_Q) && r.url.includes('otelpoc_run_id'))
      .at(-1)!;
    expect(lookup.headers!['X-Scope-OrgID']).toBe('otelpoc-doctor');
    expect(decodeURIComponent(lookup.url)).toContain(`otelpoc_run_id="${probe.probe!.runId}"`);
    // The OTLP check posts an empty protobuf export.
    const otlp = requests[0]!;
    expect(otlp).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/x-protobuf' } });
  });

  it('names the likely cause for typical failures', async () => {
    const { deps } = fakeDeps({
      'http://localhost:4318/v1/metrics': { status: 404, body: '404 page not found' },
      'http://localhost:9009/ready': { status: 503, body: 'Ingester not ready' },
      'http://localhost:3000/api/health': { body: '<html>' },
    });
    const report = await runDoctor(doctorConfig(), deps);
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    expect(byId.otlp!.status).toBe('fail');
    expect(byId.otlp!.detail).toBe('HTTP 404: 404 page not found');
    expect(byId.otlp!.hints[0]).toMatch(/\/v1\/metrics is appended/);
    expect(byId.alloy!.detail).toBe('connection refused');
    expect(byId.alloy!.hints).toContain(
      'docker compose logs alloy        # a config error is printed at start',
    );
    expect(byId.mimir!.hints[0]).toMatch(/starting; run doctor again/);
    expect(byId['mimir-tenants']).toMatchObject({
      status: 'skip',
      detail: 'not run: mimir failed',
      hints: [],
    });
    expect(byId.grafana!.detail).toMatch(/not Grafana/);
    expect(byId.probe).toMatchObject({ status: 'skip', detail: 'not run: otlp failed' });
    expect(report.ok).toBe(false);
  });

  it('nothing answering at all: one headline (start the stack), not only separate failures', async () => {
    const { deps } = fakeDeps({});
    const report = await runDoctor(doctorConfig(), deps);
    expect(report.summary).toEqual({ passed: 0, failed: 5, skipped: 2 });
    expect(report.headline).toBe(
      'nothing of the stack answers: is `docker compose up -d --wait` running? (or give the URLs where it runs)',
    );
    const direct = await runDoctor(doctorConfig({ topology: 'direct' }), fakeDeps({}).deps);
    expect(direct.headline).toMatch(/docker compose --profile direct up -d --wait mimir grafana/);
  });

  it('no headline when something answered, even with an error status', async () => {
    const { deps } = fakeDeps({ 'http://localhost:9009/ready': { status: 503, body: 'Ingester not ready' } });
    const report = await runDoctor(doctorConfig(), deps);
    expect(report.summary.passed).toBe(0);
    expect(report.headline).toBeUndefined();
    expect(report.checks.find((c) => c.id === 'mimir')!.unreachable).toBeUndefined();
    expect(report.checks.find((c) => c.id === 'alloy')!.unreachable).toBe(true);
  });

  it('says 401 means a missing or misnamed tenant header', async () => {
    const { deps } = fakeDeps({
      ...healthy,
      [MIMIR_Q]: { status: 401, body: 'no org id' },
    });
    const report = await runDoctor(doctorConfig({ skip: ['probe'] }), deps);
    const tenants = report.checks.find((c) => c.id === 'mimir-tenants')!;
    // verify's Prometheus client words it, naming doctor's flag.
    expect(tenants.detail).toBe(
      `${MIMIR_Q} answered 401 no org id for tenant "anonymous": the X-Scope-OrgID header did not arrive: is --tenant-header the name your gateway expects?`,
    );
  });

  it('a 404 from the query API names --mimir-url, the flag that sets it', async () => {
    const { deps } = fakeDeps({ ...healthy, [MIMIR_Q]: { status: 404, body: '404 page not found' } });
    const report = await runDoctor(doctorConfig({ skip: ['probe'] }), deps);
    const tenants = report.checks.find((c) => c.id === 'mimir-tenants')!;
    expect(tenants.status).toBe('fail');
    expect(tenants.detail).toBe(
      `as tenant "anonymous": ${MIMIR_Q} answered 404: no Prometheus API there; check --mimir-url (Mimir's is http://HOST:9009/prometheus, VictoriaMetrics' http://HOST:8428)`,
    );
  });

  it('stops the probe at "served" when the export fails', async () => {
    const { deps } = fakeDeps(
      { ...healthy, [MIMIR_Q]: prom([{ metric: {}, value: [0, '1'] }]) },
      { exportOk: false },
    );
    const probe = (await runDoctor(doctorConfig(), deps)).checks.find((c) => c.id === 'probe')!;
    expect(probe.status).toBe('fail');
    expect(probe.detail).toBe(
      "served, but the metrics export failed: the final metrics export to http://localhost:4318/v1/metrics failed (ECONNREFUSED): the backend lacks this run's last counts",
    );
    expect(probe.probe!.stage).toBe('served');
  });

  it('gives up at the probe timeout and finds the series under the default tenant', async () => {
    const { deps, elapsed } = fakeDeps({
      ...healthy,
      [MIMIR_Q]: (req) => {
        if (req.url.includes('vector')) return prom([{ metric: {}, value: [0, '1'] }]);
        const tenant = req.headers!['X-Scope-OrgID'];
        if (req.url.includes('group') && tenant === 'anonymous') {
          return prom([{ metric: { __name__: 'http_server_request_total' }, value: [0, '1'] }]);
        }
        return prom([]);
      },
    });
    const report = await runDoctor(doctorConfig({ probeTimeoutMs: 10_000 }), deps);
    const probe = report.checks.find((c) => c.id === 'probe')!;
    expect(probe.status).toBe('fail');
    expect(probe.probe!.stage).toBe('exported');
    expect(probe.detail).toMatch(/not visible in Mimir for tenant "otelpoc-doctor" within 10s/);
    expect(probe.hints[0]).toMatch(/arrived under tenant "anonymous".*tenant\.label/);
    // Bounded: about the probe timeout of (fake) time, not more.
    expect(elapsed()).toBeGreaterThanOrEqual(10_000);
    expect(elapsed()).toBeLessThan(12_000);
  });

  it('--skip mimir: the probe stops at "exported" without failing', async () => {
    const { deps, requests } = fakeDeps(healthy);
    const report = await runDoctor(doctorConfig({ skip: ['mimir', 'grafana'] }), deps);
    const probe = report.checks.find((c) => c.id === 'probe')!;
    expect(probe).toMatchObject({ status: 'pass', probe: { stage: 'exported' } });
    expect(requests.some((r) => r.url.startsWith('http://localhost:9009'))).toBe(false);
    expect(requests.some((r) => r.url.startsWith('http://localhost:3000'))).toBe(false);
    expect(report.summary).toEqual({ passed: 4, failed: 0, skipped: 3 });
  });
});
