/**
 * Failure signatures (src/verify/diagnosis.ts) through runVerify on a fake clock and a fake backend:
 * each certain red ends the polling early, within 15 s of becoming certain, with why and the fix;
 * the same failure while it can still turn green keeps polling.
 */
import chalk from 'chalk';
import { describe, expect, it } from 'vitest';
import { renderReport, verdictLine } from '../../src/cli/render/verify-report.js';
import { PROM } from '../../src/telemetry/names.js';
import { BackendError } from '../../src/util/errors.js';
import { type DiagnosisSetup, diagnose, NO_DATA_SLACK_MS } from '../../src/verify/diagnosis.js';
import type { PollClock } from '../../src/verify/poll.js';
import type { Observation, Sample, SeriesSource } from '../../src/verify/types.js';
import { runVerify } from '../../src/verify/verify.js';
import { runExp, samplesFor, tenantExp } from './fixtures.js';

const TENANTS = ['t1', 't2', 't3'];
const BY_STATUS = { 200: 5, 404: 1 };
const expectation = runExp(TENANTS.map((t) => tenantExp(t, BY_STATUS)));
const own = (t: string) => samplesFor(t, BY_STATUS);
const everything = () => TENANTS.flatMap(own);
const CERTAIN_WITHIN_MS = 15_000;

/** Fake time: polls sleep it forward; the wall clock is the run's end + elapsed. */
function fakeClock() {
  let t = 0;
  const clock: PollClock = {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
  };
  return { clock, wall: () => expectation.endedAtMs + t };
}

/** A backend with tenant isolation whose per-tenant views come from `view(tenant, poll)`. */
function isolatedSource(
  view: (tenant: string, poll: number) => Sample[],
): SeriesSource & { polls: () => number } {
  let polls = 0;
  return {
    description: 'fake isolated backend',
    isolated: true,
    polls: () => polls,
    async observe(tenants): Promise<Observation> {
      polls++;
      return { isolated: true, views: tenants.map((tenant) => ({ tenant, samples: view(tenant, polls) })) };
    },
    explain: () => [],
    close: async () => {},
  };
}

const setup: DiagnosisSetup = {
  exportIntervalMs: 1_000,
  embedded: [],
  metricsTargets: ['http://127.0.0.1:8428/opentelemetry/v1/metrics'],
};

async function verify(
  source: SeriesSource,
  opts: { settleMs?: number; diagnosis?: DiagnosisSetup; timeoutMs?: number } = {},
) {
  const { clock, wall } = fakeClock();
  return runVerify({
    expectation,
    source,
    clock,
    wallClockMs: wall,
    timeoutMs: opts.timeoutMs ?? 90_000,
    tenantHeader: 'X-Scope-OrgID',
    settle: { ms: opts.settleMs ?? 6_000, why: 'test' },
    diagnosis: opts.diagnosis ?? setup,
  });
}

describe('early verdicts', () => {
  it('single-tenant backend: every tenant sees every series → ends on poll 2 naming --no-tenant-header', async () => {
    const source = isolatedSource(() => everything());
    const report = await verify(source);
    expect(report.ok).toBe(false);
    expect(report.timedOut).toBe(false);
    expect(report.endedEarly?.signature).toBe('single-tenant-backend');
    expect(report.endedEarly?.fix).toContain('--no-tenant-header');
    expect(report.polls).toBe(2);
    expect(report.elapsedMs).toBeLessThan(CERTAIN_WITHIN_MS);
    expect(verdictLine(report, chalk)).toContain('--no-tenant-header');
    expect(renderReport(report, chalk)).toMatch(
      /Ended early at 0\.5 s.*single-tenant-backend[\s\S]*fix: .*--no-tenant-header/,
    );
  });

  it('single-tenant backend: identical views on one poll only keep polling (and pass)', async () => {
    const source = isolatedSource((t, poll) => (poll === 1 ? everything() : own(t)));
    const report = await verify(source);
    expect(report.endedEarly).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  it('single-tenant backend: one tenant’s data in every view is a leak, not this signature', () => {
    const views = new Map(TENANTS.map((t) => [t, ['t1']] as const));
    const history = [0, 500].map((elapsedMs) => ({ elapsedMs, results: [], views }));
    expect(
      diagnose({
        history,
        expectation,
        isolated: true,
        tenantHeader: 'X-Scope-OrgID',
        settleMs: 6_000,
        nowMs: expectation.endedAtMs + 1,
      }),
    ).toBeUndefined();
  });

  it('names mismatch: the run’s series under other names on 2 polls → ends early with the naming fix', async () => {
    const renamed = (t: string) =>
      own(t).map((s) => (s.name === PROM.requestTotal ? { ...s, name: 'http_server_request' } : s));
    const report = await verify(isolatedSource((t) => renamed(t)));
    expect(report.endedEarly?.signature).toBe('names-mismatch');
    expect(report.endedEarly?.why).toContain(
      'found http_server_request instead of http_server_request_total',
    );
    expect(report.endedEarly?.fix).toContain('-opentelemetry.usePrometheusNaming');
    expect(report.elapsedMs).toBeLessThan(CERTAIN_WITHIN_MS);
  });

  it('names mismatch: a renamed series on one poll, then the right names, keeps polling (and passes)', async () => {
    const report = await verify(
      isolatedSource((t, poll) =>
        poll === 1
          ? own(t).map((s) => (s.name === PROM.requestTotal ? { ...s, name: 'http_server_request' } : s))
          : own(t),
      ),
    );
    expect(report.endedEarly).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  it('steady leak: the same foreign series over the settle window → ends within 15 s of the window’s end', async () => {
    const report = await verify(
      isolatedSource((t) => (t === 't2' ? [...own('t2'), ...own('t1')] : own(t))),
      {
        settleMs: 6_000,
      },
    );
    expect(report.endedEarly?.signature).toBe('steady-leak');
    expect(report.endedEarly?.why).toMatch(/^t2: leak: \d+ series .*client_id="t1"/);
    expect(report.endedEarly?.fix).toContain('tenant routing');
    // Certain once the leak has been seen for the whole settle window (first poll at 0 s).
    expect(report.endedEarly!.atMs).toBeGreaterThanOrEqual(6_000);
    expect(report.endedEarly!.atMs).toBeLessThan(6_000 + CERTAIN_WITHIN_MS);
  });

  it('steady leak: a leak seen for less than the settle window keeps polling (and passes once gone)', async () => {
    // Polls at 0, 0.5, 1.25, 2.4 s: the foreign series show on the first three only.
    const report = await verify(
      isolatedSource((t, poll) => (t === 't2' && poll <= 3 ? [...own('t2'), ...own('t1')] : own(t))),
      {
        settleMs: 6_000,
      },
    );
    expect(report.endedEarly).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  it('no data: nothing of the run after export interval + settle + slack since it ended → ends early', async () => {
    const report = await verify(isolatedSource(() => []));
    const certainAt = 1_000 + 6_000 + NO_DATA_SLACK_MS;
    expect(report.endedEarly?.signature).toBe('no-data');
    expect(report.endedEarly?.fix).toContain('http://127.0.0.1:8428/opentelemetry/v1/metrics');
    expect(report.endedEarly!.atMs).toBeGreaterThanOrEqual(certainAt);
    expect(report.endedEarly!.atMs).toBeLessThan(certainAt + CERTAIN_WITHIN_MS);
  });

  it('no data: data that shows up late (a backend hiding 30 s of samples) is waited for', async () => {
    let shown = false;
    const { clock, wall } = fakeClock();
    const source = isolatedSource((t) => (shown ? own(t) : []));
    const report = await runVerify({
      expectation,
      source,
      clock: {
        now: clock.now,
        sleep: async (ms) => {
          await clock.sleep(ms);
          shown = clock.now() >= 38_000;
        },
      },
      wallClockMs: wall,
      timeoutMs: 90_000,
      tenantHeader: 'X-Scope-OrgID',
      settle: { ms: 6_000, why: 'test' },
      diagnosis: setup,
    });
    expect(report.endedEarly).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  it('no data: with the export interval unknown (load --target) it waits for the timeout', async () => {
    const report = await verify(
      isolatedSource(() => []),
      { diagnosis: { embedded: [], metricsTargets: [] }, timeoutMs: 60_000 },
    );
    expect(report.endedEarly).toBeUndefined();
    expect(report.timedOut).toBe(true);
  });

  it('tenant unanswered: a tenant all of whose requests were refused ends the wait once the others pass', async () => {
    const withRefused = runExp([
      ...TENANTS.map((t) => tenantExp(t, BY_STATUS)),
      tenantExp('t4', {}, { sent: 5, refused: 5 }),
    ]);
    const source = isolatedSource((t) => (t === 't4' ? [] : own(t)));
    const { clock, wall } = fakeClock();
    const report = await runVerify({
      expectation: withRefused,
      source,
      clock,
      wallClockMs: wall,
      timeoutMs: 90_000,
      tenantHeader: 'X-Scope-OrgID',
      settle: { ms: 6_000, why: 'test' },
      diagnosis: setup,
    });
    expect(report.ok).toBe(false);
    expect(report.timedOut).toBe(false);
    expect(report.endedEarly?.signature).toBe('tenant-unanswered');
    expect(report.endedEarly?.why).toContain('t4 (5 sent, 5 refused)');
    expect(report.elapsedMs).toBeLessThan(CERTAIN_WITHIN_MS);
  });

  it('tenant unanswered: while another tenant is still red, verify keeps waiting for it', () => {
    const withRefused = runExp([tenantExp('t1', BY_STATUS), tenantExp('t4', {}, { sent: 5, refused: 5 })]);
    const red = {
      tenant: 't1',
      check: 'counts' as const,
      ok: false,
      status: 'fail' as const,
      expected: '',
      found: '',
      problems: ['x'],
    };
    const green = { ...red, check: 'presence' as const, ok: true, status: 'pass' as const, problems: [] };
    const input = {
      expectation: withRefused,
      isolated: true,
      tenantHeader: 'X-Scope-OrgID',
      exportIntervalMs: 1_000,
      settleMs: 0,
      nowMs: withRefused.endedAtMs + 1_000,
    };
    expect(diagnose({ ...input, history: [{ elapsedMs: 1_000, results: [green, red] }] })).toBeUndefined();
    expect(diagnose({ ...input, history: [{ elapsedMs: 1_000, results: [green] }] })?.signature).toBe(
      'tenant-unanswered',
    );
  });

  it('embedded manifest: ends before any poll, saying the data never left the server, with the fix', async () => {
    const source = isolatedSource((t) => own(t));
    const report = await verify(source, { diagnosis: { ...setup, embedded: ['.otelpoc/runs/r.json'] } });
    expect(source.polls()).toBe(0);
    expect(report).toMatchObject({ ok: false, timedOut: false, polls: 0, elapsedMs: 0 });
    expect(report.endedEarly?.signature).toBe('embedded-manifest');
    expect(report.endedEarly?.why).toContain('the data never left the server');
    expect(report.endedEarly?.fix).toContain('--otlp-endpoint');
    expect(renderReport(report, chalk)).toContain('Ended before polling (embedded-manifest)');
    expect(verdictLine(report, chalk)).toMatch(
      /^FAIL run run-1: not verifiable, ended before polling \(embedded-manifest\)/,
    );
  });

  it('embedded manifest: a manifest that exported is polled as usual', async () => {
    const source = isolatedSource((t) => own(t));
    const report = await verify(source);
    expect(source.polls()).toBeGreaterThan(0);
    expect(report.ok).toBe(true);
  });

  it('401/404 from the backend: fatal at the first answer with the fix (the client’s BackendError), no waiting', async () => {
    const { clock, wall } = fakeClock();
    let polls = 0;
    const source: SeriesSource = {
      description: 'fake backend answering 404',
      isolated: true,
      async observe() {
        polls++;
        throw new BackendError(
          'http://127.0.0.1:1/api/v1/query answered 404: no Prometheus API there; check --url',
        );
      },
      explain: () => [],
      close: async () => {},
    };
    await expect(
      runVerify({
        expectation,
        source,
        clock,
        wallClockMs: wall,
        timeoutMs: 90_000,
        tenantHeader: 'X-Scope-OrgID',
        diagnosis: setup,
      }),
    ).rejects.toThrow(/answered 404.*check --url/);
    expect(polls).toBe(1);
    expect(clock.now()).toBe(0);
  });
});
