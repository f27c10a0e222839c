import type { LoadConfig } from '../../src/load/config.js';

/** A small open-model config; override what a test cares about. */
export function testPlan(over: Partial<LoadConfig> = {}): LoadConfig {
  return {
    runId: 'test-run',
    target: 'http://127.0.0.1:9/api',
    model: 'open',
    stages: [{ durationMs: 1000, fromPerSec: 100, toPerSec: 100 }],
    durationMs: 1000,
    requests: null,
    connections: null,
    maxInflight: 1000,
    timeoutMs: 5000,
    tenants: [{ clientId: 'tenant-1', weight: 1 }],
    statusMix: [{ status: 200, weight: 1 }],
    anonymousPercent: 0,
    scenario: null,
    thresholds: {},
    ...over,
  };
}
