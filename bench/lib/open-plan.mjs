// What the load benchmarks share besides the target (nginx.mjs): their flags, and the LoadConfig of
// an open-model run at one rate (3 tenants, all 200), as the core takes it (src/load/config.ts).

/** `--name value` from the command line, or `def`. */
export const arg = (name, def) => {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};

/** An open-model LoadConfig: `rate` req/s for `seconds` against `target`. */
export const openPlan = (runId, target, rate, seconds) => ({
  runId,
  target,
  model: 'open',
  stages: [{ durationMs: seconds * 1000, fromPerSec: rate, toPerSec: rate }],
  durationMs: seconds * 1000,
  requests: null,
  connections: null,
  maxInflight: 1000,
  timeoutMs: 5000,
  tenants: [
    { clientId: 'tenant-1', weight: 1 },
    { clientId: 'tenant-2', weight: 1 },
    { clientId: 'tenant-3', weight: 1 },
  ],
  statusMix: [{ status: 200, weight: 1 }],
  anonymousPercent: 0,
  scenario: null,
  thresholds: {},
});
