/**
 * The canary's window logic on hand-built data: what the exporter sent (an ExportLog), what the
 * backend shows (raw samples), at a chosen "now". Each failure kind has its own case, which goes
 * green if the check that catches it is taken out of evaluateTenant.
 */
import { describe, expect, it } from 'vitest';
import { ExportLog, ExportLogs, type ExportRecord, seriesKey } from '../../src/canary/export-log.js';
import { evaluateTenant, type TenantInput, type WindowSettings } from '../../src/canary/window.js';
import type { SeriesPoints } from '../../src/verify/prom-client.js';

const T0 = Date.UTC(2030, 0, 1); // the canary's start
const S: WindowSettings = {
  runId: 'canary-t',
  windowMs: 60_000,
  maxLagMs: 20_000,
  exportIntervalMs: 5_000,
  startedAtMs: T0,
  isolated: true,
};

/** Exports every 5 s from T0+5s to `untilMs`; tenant-1 and tenant-2, status 200, +10 requests each time. */
function logUntil(untilMs: number, opts: { failedAt?: number[] } = {}): ExportLog {
  const log = new ExportLog();
  for (let at = T0 + 5000, n = 10; at <= untilMs; at += 5000, n += 10) {
    const values = new Map<string, number>();
    for (const c of ['tenant-1', 'tenant-2']) {
      values.set(seriesKey('http_server_request_total', c, '200'), n);
      values.set(seriesKey('http_server_request_duration_seconds_count', c, '200'), n);
    }
    const record: ExportRecord = { atMs: at, values, clientIds: new Set(['tenant-1', 'tenant-2']), ok: true };
    if (opts.failedAt?.includes(at)) Object.assign(record, { ok: false, error: 'ECONNREFUSED' });
    log.add(record);
  }
  return log;
}

/** What the backend holds for `clientId`, faithfully, for the exports in [from, to]. */
function series(
  log: ExportLog,
  clientId: string,
  from: number,
  to: number,
  skip: number[] = [],
): SeriesPoints[] {
  return ['http_server_request_total', 'http_server_request_duration_seconds_count'].map((name) => ({
    name,
    labels: { client_id: clientId, http_response_status_code: '200', otelpoc_run_id: 'canary-t' },
    points: log.records
      .filter((r) => r.atMs >= from && r.atMs <= to && !skip.includes(r.atMs))
      .map((r) => ({ atMs: r.atMs, value: r.values.get(seriesKey(name, clientId, '200'))! })),
  }));
}

function input(backend: TenantInput['backend'], lastSeenMs?: number): TenantInput {
  return { tenant: 'tenant-1', clientIds: ['tenant-1'], backend, lastSeenMs };
}

function failing(r: ReturnType<typeof evaluateTenant>) {
  return Object.fromEntries(r.checks.filter((c) => !c.ok).map((c) => [c.check, c.reason]));
}

describe('evaluateTenant', () => {
  const now = T0 + 120_000;
  const log = logUntil(now - 1000);

  it('is green when every export up to now − a little is there with its exact values', () => {
    const r = evaluateTenant(
      input({ series: series(log, 'tenant-1', now - 60_000, now - 3000) }),
      log,
      S,
      now,
    );
    expect(failing(r)).toEqual({});
    expect(r.ok).toBe(true);
    expect(r.lagMs).toBe(5000); // newest visible: the export at now − 5 s
    expect(r.exportsExpected).toBeGreaterThan(5);
    expect(r.exportsVisible).toBe(r.exportsExpected);
  });

  it('correctness: a sample that differs from what was exported at its timestamp', () => {
    const s = series(log, 'tenant-1', now - 60_000, now - 3000);
    s[0]!.points[2]!.value += 1;
    const r = evaluateTenant(input({ series: s }), log, S, now);
    expect(Object.keys(failing(r))).toEqual(['correctness']);
    expect(failing(r).correctness).toMatch(/the backend has \d+, the canary exported \d+/);
  });

  it('correctness: a sample at a time this canary never exported (a second canary with the same --name)', () => {
    const s = series(log, 'tenant-1', now - 60_000, now - 3000);
    s[0]!.points.push({ atMs: now - 2500, value: 999 });
    const r = evaluateTenant(input({ series: s }), log, S, now);
    expect(failing(r).correctness).toMatch(/exported nothing with that timestamp/);
  });

  it('correctness: samples from before the start (a restart, counters from 0 again) are not judged', () => {
    const s = series(log, 'tenant-1', now - 60_000, now - 3000);
    s[0]!.points.unshift({ atMs: T0 - 1000, value: 123_456 });
    expect(evaluateTenant(input({ series: s }), log, S, now).ok).toBe(true);
  });

  it('freshness: the newest sample is older than --max-lag', () => {
    // Delivery stopped 30 s ago: later exports are not in the backend.
    const r = evaluateTenant(
      input({ series: series(log, 'tenant-1', now - 60_000, now - 30_000) }),
      log,
      S,
      now,
    );
    expect(failing(r).freshness).toMatch(/delivery lag 30 s over --max-lag 20 s/);
    expect(r.lagMs).toBe(30_000);
  });

  it('freshness: nothing ever visible, --max-lag after the start', () => {
    const r = evaluateTenant(input({ series: [] }), log, S, T0 + 25_000);
    expect(failing(r).freshness).toMatch(/no sample of the canary's series visible 25 s after its start/);
    // Before --max-lag has passed, an empty backend is not yet late, but proves nothing: pending…
    expect(evaluateTenant(input({ series: [] }), log, S, T0 + 15_000).status).toBe('pending');
    // …except with --once, which has no later interval to wait for.
    const once = evaluateTenant(input({ series: [] }), log, { ...S, once: true }, T0 + 15_000);
    expect(once.status).toBe('red');
    expect(once.ok).toBe(false);
    expect(failing(once).freshness).toMatch(/no sample of the canary's series visible 15 s after its start/);
  });

  it('completeness: an export missing in the middle of the window, while the newest is fresh', () => {
    const gap = T0 + 80_000;
    const r = evaluateTenant(
      input({ series: series(log, 'tenant-1', now - 60_000, now - 3000, [gap]) }),
      log,
      S,
      now,
    );
    expect(Object.keys(failing(r))).toEqual(['completeness']);
    expect(failing(r).completeness).toMatch(
      /^1 of \d+ exports in the window are missing \(2030-01-01T00:01:20.000Z\)/,
    );
  });

  it('completeness: exports the exporter failed to send are missing too, and say why', () => {
    const failedLog = logUntil(now - 1000, { failedAt: [T0 + 80_000] });
    const r = evaluateTenant(
      input({ series: series(failedLog, 'tenant-1', now - 60_000, now - 3000, [T0 + 80_000]) }),
      failedLog,
      S,
      now,
    );
    expect(failing(r).completeness).toMatch(/the canary's exporter failed 1 of them \(ECONNREFUSED\)/);
  });

  it('completeness: exports younger than --max-lag are not expected yet', () => {
    const r = evaluateTenant(
      input({ series: series(log, 'tenant-1', now - 60_000, now - 19_000) }),
      log,
      S,
      now,
    );
    expect(r.ok).toBe(true);
  });

  it("isolation: another tenant's client_id in this tenant", () => {
    const s = [
      ...series(log, 'tenant-1', now - 60_000, now - 3000),
      ...series(log, 'tenant-2', now - 10_000, now - 3000),
    ];
    const r = evaluateTenant(input({ series: s }), log, S, now);
    expect(Object.keys(failing(r))).toEqual(['isolation']);
    expect(failing(r).isolation).toMatch(
      /leak: 2 series of run "canary-t" with client_id="tenant-2" are visible in tenant "tenant-1"/,
    );
    // Without tenant isolation (one store) it cannot be tested.
    expect(evaluateTenant(input({ series: s }), log, { ...S, isolated: false }, now).ok).toBe(true);
  });

  it('names: the canary’s series under another name (suffixes dropped)', () => {
    const s = series(log, 'tenant-1', now - 60_000, now - 3000).map((x) => ({
      ...x,
      name: x.name === 'http_server_request_total' ? 'http_server_request' : x.name,
    }));
    const r = evaluateTenant(input({ series: s }), log, S, now);
    expect(failing(r).names).toMatch(/found http_server_request instead of http_server_request_total/);
  });

  it('a backend that does not answer: every check red with the reason, the lag keeps growing', () => {
    const r = evaluateTenant(input({ error: 'answered 503' }, now - 40_000), log, S, now);
    expect(r.ok).toBe(false);
    expect(
      r.checks.every((c) => !c.ok && c.reason.includes('did not answer for tenant "tenant-1": answered 503')),
    ).toBe(true);
    expect(r.lagMs).toBe(40_000);
    expect(r.lastSeenMs).toBe(now - 40_000);
  });
});

describe('pending: a fresh canary proves nothing until its data has arrived', () => {
  const statuses = (r: ReturnType<typeof evaluateTenant>) =>
    Object.fromEntries(r.checks.map((c) => [c.check, c.status]));

  it('nothing visible, nothing due yet: pending, not green', () => {
    const now = T0 + 15_000; // within --max-lag (20 s) of the start
    const r = evaluateTenant(input({ series: [] }), logUntil(now), S, now);
    expect(r.status).toBe('pending');
    expect(r.ok).toBe(false);
    expect(statuses(r)).toEqual({
      correctness: 'pending',
      freshness: 'pending',
      completeness: 'pending',
      // Nothing visible at all shows no leak because it shows nothing: not a pass (was 'pass').
      isolation: 'pending',
      names: 'pending',
    });
    expect(r.checks.find((c) => c.check === 'freshness')!.reason).toMatch(
      /no sample of the canary's series visible yet, 15 s after its start \(red after --max-lag 20 s\)/,
    );
    expect(failing(r)).toEqual({
      correctness: expect.stringMatching(/nothing to compare yet/),
      freshness: expect.stringMatching(/visible yet/),
      completeness: expect.stringMatching(
        /nothing to count yet: no export in the window is older than --max-lag 20 s/,
      ),
      isolation: expect.stringMatching(/nothing to check yet: no sample of the run in this tenant/),
      names: expect.stringMatching(/nothing to check yet/),
    });
  });

  it('still nothing after --max-lag: red by itself', () => {
    // One canary's intervals, every 5 s, against a backend that never shows anything.
    const seen: string[] = [];
    let lastSeenMs: number | undefined;
    for (let now = T0 + 5000; now <= T0 + 30_000; now += 5000) {
      const r = evaluateTenant(input({ series: [] }, lastSeenMs), logUntil(now), S, now);
      lastSeenMs = r.lastSeenMs;
      seen.push(r.status);
    }
    expect(seen).toEqual(['pending', 'pending', 'pending', 'pending', 'red', 'red']);
  });

  it('samples arrived and match, but no export is old enough to count: pending, not green', () => {
    const now = T0 + 12_000;
    const log = logUntil(now);
    const r = evaluateTenant(input({ series: series(log, 'tenant-1', T0, now) }), log, S, now);
    expect(statuses(r)).toEqual({
      correctness: 'pass',
      freshness: 'pass',
      completeness: 'pending',
      isolation: 'pass',
      names: 'pass',
    });
    expect(r.status).toBe('pending');
    expect(r.exportsExpected).toBe(0);
  });

  it('green only once a matching sample has been seen and a mature export counted', () => {
    // Samples arrive 1 s after each export; the canary checks every 5 s, from 3 s after the start.
    const timeline: { at: number; status: string; expected: number }[] = [];
    let lastSeenMs: number | undefined;
    for (let now = T0 + 3000; now <= T0 + 33_000; now += 5000) {
      const log = logUntil(now);
      const r = evaluateTenant(
        input({ series: series(log, 'tenant-1', T0, now - 1000) }, lastSeenMs),
        log,
        S,
        now,
      );
      lastSeenMs = r.lastSeenMs;
      timeline.push({ at: (now - T0) / 1000, status: r.status, expected: r.exportsExpected });
    }
    // The first export (T0 + 5 s) is counted once older than --max-lag (20 s): from T0 + 25 s on.
    expect(timeline).toEqual([
      { at: 3, status: 'pending', expected: 0 }, // nothing yet
      { at: 8, status: 'pending', expected: 0 }, // a sample, nothing mature
      { at: 13, status: 'pending', expected: 0 },
      { at: 18, status: 'pending', expected: 0 },
      { at: 23, status: 'pending', expected: 0 },
      { at: 28, status: 'green', expected: 1 },
      { at: 33, status: 'green', expected: 2 },
    ]);
  });

  it('a wrong sample while still pending is red at once, not pending', () => {
    const now = T0 + 12_000;
    const log = logUntil(now);
    const s = series(log, 'tenant-1', T0, now);
    s[0]!.points[0]!.value += 1;
    const r = evaluateTenant(input({ series: s }), log, S, now);
    expect(r.status).toBe('red');
    expect(r.checks.filter((c) => c.status === 'fail').map((c) => c.check)).toEqual(['correctness']);
    expect(failing(r).correctness).toMatch(/the backend has \d+, the canary exported \d+/);
    expect(r.checks.find((c) => c.check === 'completeness')!.status).toBe('pending');
  });

  it('--once: an export that arrived is its completeness evidence, before any is due; none arrived is red', () => {
    // One interval of 12 s with --max-lag 20 s: no export is due yet, so none is missing.
    const now = T0 + 12_000;
    const log = logUntil(now);
    const once = { ...S, once: true };
    const green = evaluateTenant(input({ series: series(log, 'tenant-1', T0, now) }), log, once, now);
    expect(green.status).toBe('green');
    expect(green.exportsExpected).toBe(0);
    // Only a series that is not an export's (no request count): nothing counted, red, with why.
    const durationOnly = series(log, 'tenant-1', T0, now).filter(
      (x) => x.name !== 'http_server_request_total',
    );
    const red = evaluateTenant(input({ series: durationOnly }), log, once, now);
    expect(red.status).toBe('red');
    expect(failing(red).completeness).toMatch(
      /nothing to count: no export of this canary is visible in the backend \(--once: no later interval to wait for\)/,
    );
  });
});

describe('ExportLog', () => {
  it('keeps only what the window reaches', () => {
    const log = logUntil(T0 + 100_000);
    expect(log.records).toHaveLength(20);
    log.prune(T0 + 60_000);
    expect(log.records[0]!.atMs).toBe(T0 + 60_000);
    expect(log.records).toHaveLength(9);
    expect(log.at(T0 + 60_001)?.atMs).toBe(T0 + 60_000);
    expect(log.at(T0 + 62_000)).toBeUndefined();
  });
});

describe('per-tenant export: one ExportLog per stream', () => {
  // Two tenant streams export on timers of their own; here both in the same millisecond, each with
  // its own tenant's series only (one MeterProvider per tenant).
  const now = T0 + 60_000;
  const logs = new ExportLogs();
  for (let at = T0 + 5000, n = 10; at <= now - 1000; at += 5000, n += 10) {
    for (const [c, v] of [
      ['tenant-1', n],
      ['tenant-2', 2 * n],
    ] as const) {
      logs.of(c).add({
        atMs: at,
        values: new Map([
          [seriesKey('http_server_request_total', c, '200'), v],
          [seriesKey('http_server_request_duration_seconds_count', c, '200'), v],
        ]),
        clientIds: new Set([c]),
        ok: true,
      });
    }
  }
  const mine = series(logs.of('tenant-1'), 'tenant-1', T0, now - 3000);

  it("a tenant's samples are matched against its own stream's exports: green", () => {
    const r = evaluateTenant(input({ series: mine }), logs.of('tenant-1'), S, now);
    expect(failing(r)).toEqual({});
  });

  it('one log for every stream would match a sample against the other stream of the same millisecond', () => {
    const merged = new ExportLog();
    for (const c of ['tenant-2', 'tenant-1']) for (const r of logs.of(c).records) merged.add(r);
    const r = evaluateTenant(input({ series: mine }), merged, S, now);
    expect(failing(r).correctness).toMatch(/the export of that time had no such series/);
  });

  it('prunes every stream', () => {
    logs.prune(now);
    expect([logs.of('tenant-1').records.length, logs.of('tenant-2').records.length]).toEqual([0, 0]);
  });
});
