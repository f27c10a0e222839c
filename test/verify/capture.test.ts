/**
 * The in-process capture translates an SDK export the way the pipeline does (names with unit and
 * _total suffixes, attributes → labels, cumulative buckets), so the same checks pass on it.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { CaptureExporter, prometheusName } from '../../src/telemetry/capture.js';
import { DURATION_BUCKETS_S, INSTRUMENTS } from '../../src/telemetry/names.js';
import { CaptureSource } from '../../src/verify/capture-source.js';
import { runChecks } from '../../src/verify/checks/index.js';
import { runExp, tenantExp } from './fixtures.js';

describe('prometheusName', () => {
  it.each([
    ['http.server.request', '{request}', true, 'http_server_request_total'],
    ['http.server.request.duration', 's', false, 'http_server_request_duration_seconds'],
    ['http.server.active_requests', '{request}', false, 'http_server_active_requests'],
    ['bytes.sent', 'By', true, 'bytes_sent_bytes_total'],
  ])('%s (%s, monotonic %s) → %s', (name, unit, mono, expected) => {
    expect(prometheusName(name, unit, mono)).toBe(expected);
  });
});

describe('CaptureExporter + CaptureSource', () => {
  it('captures the latest cumulative export as samples the checks accept', async () => {
    const capture = new CaptureExporter();
    const reader = new PeriodicExportingMetricReader({ exporter: capture, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const meter = provider.getMeter('t');
    const hist = meter.createHistogram(INSTRUMENTS.requestDuration.name, {
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    });
    const counter = meter.createCounter(INSTRUMENTS.requestCount.name, { unit: '{request}' });
    const attrs = (status: number) => ({
      'http.response.status_code': status,
      client_id: 'tenant-1',
      otelpoc_run_id: 'run-1',
    });
    for (let i = 0; i < 3; i++) {
      hist.record(0.004, attrs(200));
      counter.add(1, attrs(200));
    }
    hist.record(0.009, attrs(404));
    counter.add(1, attrs(404));
    // Another run's series is not this run's.
    counter.add(1, { ...attrs(200), otelpoc_run_id: 'other' });
    await provider.shutdown();
    expect(capture.exports).toBeGreaterThanOrEqual(1);

    const obs = await new CaptureSource(capture).observe(['tenant-1'], 'run-1');
    if (obs.isolated) throw new Error('the capture is one store');
    const byName = (n: string) => obs.all.filter((s) => s.name === n);
    expect(
      byName('http_server_request_total').map((s) => [s.labels.http_response_status_code, s.value]),
    ).toEqual([
      ['200', 3],
      ['404', 1],
    ]);
    const buckets200 = byName('http_server_request_duration_seconds_bucket').filter(
      (s) => s.labels.http_response_status_code === '200',
    );
    expect(buckets200.map((s) => [s.labels.le, s.value]).slice(0, 3)).toEqual([
      ['0.005', 3],
      ['0.01', 3],
      ['0.025', 3],
    ]);
    expect(buckets200.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 3 });

    const exp = runExp([
      { ...tenantExp('tenant-1', { 200: 3, 404: 1 }), latencySumMs: 100, latencyMaxMs: 30 },
    ]);
    const results = runChecks({ expectation: exp, observation: obs });
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it("is the SDK's InMemoryMetricExporter, keeping only the latest export, readable after shutdown", async () => {
    const capture = new CaptureExporter();
    expect(capture).toBeInstanceOf(InMemoryMetricExporter);
    const reader = new PeriodicExportingMetricReader({ exporter: capture, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const counter = provider
      .getMeter('t')
      .createCounter(INSTRUMENTS.requestCount.name, { unit: '{request}' });
    for (let i = 1; i <= 3; i++) {
      counter.add(1, { otelpoc_run_id: 'run-1' });
      await provider.forceFlush();
    }
    expect(capture.exports).toBe(3);
    expect(capture.getMetrics()).toHaveLength(1);
    await provider.shutdown(); // a final export, then the exporter refuses more
    expect(capture.samples()).toEqual([
      { name: 'http_server_request_total', labels: { otelpoc_run_id: 'run-1' }, value: 3 },
    ]);
  });

  it('after its own shutdown an export neither counts nor replaces what it kept', async () => {
    const capture = new CaptureExporter();
    const reader = new PeriodicExportingMetricReader({ exporter: capture, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    provider.getMeter('t').createCounter('c').add(2, { otelpoc_run_id: 'run-1' });
    await provider.shutdown();
    const before = capture.exports;
    const kept = capture.getMetrics();
    expect(kept).toHaveLength(1);
    const result = await new Promise<{ code: number }>((done) => capture.export(kept[0]!, done));
    expect(result.code).not.toBe(0); // refused (ExportResultCode.FAILED)
    expect(capture.exports).toBe(before);
    expect(capture.getMetrics()).toEqual(kept);
  });

  it("keeps its own shutdown state, reading no protected SDK field (the code before read the SDK's `_shutdown`)", () => {
    const source = readFileSync(
      resolve(dirname(fileURLToPath(import.meta.url)), '../../src/telemetry/capture.ts'),
      'utf8',
    );
    expect(source).not.toMatch(/this\._shutdown\b/);
  });
});
