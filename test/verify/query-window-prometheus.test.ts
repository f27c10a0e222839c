/**
 * The query verify asks (runQuery), evaluated by Prometheus' own engine (promtool test rules; Mimir
 * runs the same PromQL semantics): last_over_time keeps the metric name, which the checks need, and
 * reads the newest sample of the window even when it is far outside the 5-minute lookback a bare
 * selector has. (VictoriaMetrics: test/verify/late-data.e2e.test.ts.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runQuery, runSelector } from '../../src/verify/prometheus-source.js';
import { promtool, promtoolAvailable } from '../helpers/promtool.js';

const enabled = promtoolAvailable('the verify query in the Prometheus engine');

describe.skipIf(!enabled)("verify's query in Prometheus' engine", () => {
  it('keeps the name and sees a sample written 20 minutes after the others, 7 minutes later', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'otelpoc-promql-'));
    try {
      const series = 'http_server_request_total{otelpoc_run_id="r1",client_id="tenant-1"}';
      await writeFile(join(dir, 'empty.yml'), 'groups: []\n');
      // Samples at 0, 1, 2 min, then none until 23 min (the late one).
      await writeFile(
        join(dir, 'test.yml'),
        `rule_files: [empty.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: '${series}'
        values: '1 2 3 _x20 8'
    promql_expr_test:
      - expr: '${runQuery(runSelector('r1', 'p-1'), 30 * 60_000)}'
        eval_time: 30m
        exp_samples:
          - labels: '${series}'
            value: 8
      - expr: '${runQuery(runSelector('r1', 'p-2'), 30 * 60_000)}'
        eval_time: 10m
        exp_samples:
          - labels: '${series}'
            value: 3
      - expr: '${runSelector('r1')}'
        eval_time: 30m
        exp_samples: []
`,
      );
      const res = await promtool(['test', 'rules', 'test.yml'], dir);
      expect(res.code, res.output).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
