/**
 * `otelpoc serve` end to end against a real metrics backend (VictoriaMetrics, OTLP/HTTP protobuf in,
 * Prometheus API out): exact counts per tenant and status, histogram integrity, and the final flush.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backendsAvailable,
  pollUntil,
  startVictoriaMetrics,
  type VictoriaMetrics,
} from '../helpers/backends.js';
import { type CliProcess, spawnCli } from '../helpers/cli.js';

const enabled = backendsAvailable('serve end-to-end (VictoriaMetrics)');

async function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  return res.status;
}

/** Sum of an instant query's values per `client_id|status` key. */
async function countsBy(vm: VictoriaMetrics, promql: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of await vm.query(promql)) {
    const key = `${s.metric.client_id ?? '-'}|${s.metric.http_response_status_code}`;
    out[key] = (out[key] ?? 0) + s.value;
  }
  return sortKeys(out);
}

describe.skipIf(!enabled)('otelpoc serve → VictoriaMetrics', () => {
  let vm: VictoriaMetrics;
  let serve: CliProcess | undefined;

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
  });
  afterAll(async () => {
    serve?.kill('SIGKILL');
    await vm?.stop();
  });

  const startServe = async (runId: string, opts: { delay: string; exportInterval: string }) => {
    serve = spawnCli([
      'serve',
      '--port',
      '0',
      '--delay',
      opts.delay,
      '--seed',
      '7',
      '--export-interval',
      opts.exportInterval,
      '--otlp-endpoint',
      vm.otlpEndpoint,
    ]);
    const [, url] = (await serve.waitFor(/listening on (http:\/\/\S+)\/api/)) as RegExpMatchArray;
    return {
      url: `${url}/api`,
      headers: (clientId?: string) => ({ 'X-Run-ID': runId, ...(clientId ? { 'Client-ID': clientId } : {}) }),
    };
  };

  it('delivers exact counts per tenant and status, with a consistent histogram', async () => {
    const runId = 'serve-e2e-counts';
    const { url, headers } = await startServe(runId, { delay: '10-20ms', exportInterval: '1s' });
    // Each request's client-side time bounds the server's own measurement from above: the server
    // cannot record more time than the client waited. Bounds from that, not from wall-clock guesses.
    const clientSeconds: number[] = [];
    const timed = async (u: string, h: Record<string, string>) => {
      const t0 = performance.now();
      const status = await get(u, h);
      clientSeconds.push((performance.now() - t0) / 1000);
      return status;
    };
    const sends: Promise<number>[] = [];
    for (let i = 0; i < 7; i++) sends.push(timed(url, headers('tenant-a')));
    for (let i = 0; i < 3; i++) sends.push(timed(`${url}?sc=404`, headers('tenant-a')));
    for (let i = 0; i < 2; i++) sends.push(timed(`${url}?sc=500`, headers('tenant-b')));
    sends.push(timed(url, headers()));
    const statuses = await Promise.all(sends);
    expect(statuses.filter((s) => s === 200)).toHaveLength(8);

    const expected = { 'tenant-a|200': 7, 'tenant-a|404': 3, 'tenant-b|500': 2, '-|200': 1 };
    const sel = `{otelpoc_run_id="${runId}"}`;
    const counter = await pollUntil(
      async () => {
        const c = await countsBy(vm, `http_server_request_total${sel}`);
        return JSON.stringify(c) === JSON.stringify(sortKeys(expected)) ? c : undefined;
      },
      { timeoutMs: 30_000, describe: () => `counts never matched ${JSON.stringify(expected)}\n${vm.logs()}` },
    );
    expect(counter).toEqual(sortKeys(expected));
    expect(await countsBy(vm, `http_server_request_duration_seconds_count${sel}`)).toEqual(
      sortKeys(expected),
    );

    // Buckets are cumulative and le="+Inf" equals _count, per series.
    const buckets = await vm.query(`http_server_request_duration_seconds_bucket${sel}`);
    const bySeries = new Map<string, { le: number; v: number }[]>();
    for (const b of buckets) {
      const key = `${b.metric.client_id ?? '-'}|${b.metric.http_response_status_code}`;
      const le = b.metric.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(b.metric.le);
      bySeries.set(key, [...(bySeries.get(key) ?? []), { le, v: b.value }]);
    }
    expect([...bySeries.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [key, list] of bySeries) {
      list.sort((x, y) => x.le - y.le);
      expect(list).toHaveLength(15); // 14 boundaries + +Inf
      for (let i = 1; i < list.length; i++) expect(list[i]!.v).toBeGreaterThanOrEqual(list[i - 1]!.v);
      expect(list.at(-1)!.v).toBe(expected[key as keyof typeof expected]);
      // Every request waited at least 10 ms: nothing is at or below 5 ms.
      expect(list.find((b) => b.le === 0.005)!.v).toBe(0);
    }

    // All series together: at every boundary, at least the requests the client saw finish within it
    // (server time ≤ client time).
    const all = new Map<number, number>();
    for (const list of bySeries.values()) for (const b of list) all.set(b.le, (all.get(b.le) ?? 0) + b.v);
    for (const [le, v] of all) expect(v).toBeGreaterThanOrEqual(clientSeconds.filter((c) => c <= le).length);

    // _sum agrees with the delays: at least 10 ms each, at most what the client waited in all.
    const [sum] = await vm.query(`sum(http_server_request_duration_seconds_sum${sel})`);
    expect(sum!.value).toBeGreaterThanOrEqual(13 * 0.01);
    expect(sum!.value).toBeLessThanOrEqual(clientSeconds.reduce((a, b) => a + b, 0));

    // The semantic-convention attributes made it as labels.
    const [one] = await vm.query(`http_server_request_total{otelpoc_run_id="${runId}",client_id="tenant-b"}`);
    expect(one!.metric).toMatchObject({
      http_request_method: 'GET',
      http_route: '/api',
      url_scheme: 'http',
      error_type: '500',
      service_name: 'otelpoc',
    });
    serve!.kill('SIGTERM');
    expect((await serve!.exited).code).toBe(0);
  });

  it('SIGTERM right after the last request still delivers every count (final flush)', async () => {
    const runId = 'serve-e2e-final-flush';
    // An export interval that never fires during the test: only the final flush can deliver.
    const { url, headers } = await startServe(runId, { delay: '0', exportInterval: '1h' });
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () => get(`${url}?sc=201`, headers('tenant-c'))),
    );
    expect(statuses).toEqual([201, 201, 201, 201, 201]);
    serve!.kill('SIGTERM');
    const result = await serve!.exited;
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/stopped \(1 export\(s\), 0 failed\)/);
    const total = await pollUntil(
      async () => {
        const [s] = await vm.query(`sum(http_server_request_total{otelpoc_run_id="${runId}"})`);
        return s?.value === 5 ? s.value : undefined;
      },
      {
        timeoutMs: 20_000,
        describe: () => `final flush did not deliver 5 requests\n${result.stderr}\n${vm.logs()}`,
      },
    );
    expect(total).toBe(5);
  });

  it('SIGTERM with a request longer than the 10 s drain: the cut request is in the final export', async () => {
    const runId = 'serve-e2e-drain-cut';
    const { url, headers } = await startServe(runId, { delay: '12s', exportInterval: '1h' });
    // Never answered: the drain cuts it. The client sees its connection end.
    const cut = get(url, headers('tenant-drain')).then(
      (status) => `answered ${status}`,
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 500));
    serve!.kill('SIGTERM');
    const result = await serve!.exited;
    expect(await cut).toBe('cut');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('waiting for 1 in-flight request(s)');
    expect(result.stderr).toMatch(
      /stopped \(1 export\(s\), 0 failed, 1 request\(s\) cut at the 10s drain, recorded with error\.type="drain_timeout"\)/,
    );
    const series = await pollUntil(
      async () => {
        const s = await vm.query(`http_server_request_total{otelpoc_run_id="${runId}"}`);
        return s.length > 0 ? s : undefined;
      },
      {
        timeoutMs: 20_000,
        describe: () => `the final export did not deliver the cut request\n${result.stderr}\n${vm.logs()}`,
      },
    );
    // Recorded without a status (none was sent), with why it ended.
    expect(series.map((s) => [s.metric.error_type, s.metric.http_response_status_code, s.value])).toEqual([
      ['drain_timeout', undefined, 1],
    ]);
    const [count] = await vm.query(`http_server_request_duration_seconds_count{otelpoc_run_id="${runId}"}`);
    expect(count?.value).toBe(1);
    const [active] = await vm.query('sum(http_server_active_requests{client_id="tenant-drain"})');
    expect(active?.value).toBe(0);
  });
});

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
