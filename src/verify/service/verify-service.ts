/**
 * verify for a service otelpoc did not instrument (no run label in its metrics): per tenant ×
 * status, the requests counted since the load's snapshot must be exactly what the manifest says was
 * answered. More is other traffic on the service (named, not absorbed); less is loss on the way.
 * Where the profile names a request counter too (otelpoc's serve), both counts must agree.
 */
import type { RunManifest } from '../../manifest/schema.js';
import { realClock, waitForNextAttempt } from '../../util/clock.js';
import { UsageError } from '../../util/errors.js';
import type { PromClient } from '../prom-client.js';
import { countedMetrics, countsSince, type ServiceSnapshot, serviceTenant } from './counts.js';
import type { ServiceProfile } from './profile.js';

export interface ServiceCell {
  tenant: string;
  status: string;
  /** Answered with this status, per the manifest. */
  expected: number;
  /** Sent and never answered (timeouts, resets): the service may have counted them. */
  maybe: number;
  /** Counted by the service's histogram since the snapshot. */
  found: number;
  /** Counted by the profile's request counter, when it has one. */
  counter?: number;
}

export interface ServiceVerifyReport {
  ok: boolean;
  profile: string;
  cells: ServiceCell[];
  /** One line per failed cell, tenant named: what was found, what was sent, what it means. */
  problems: string[];
  polls: number;
}

export interface ServiceVerifyOptions {
  client: PromClient;
  profile: ServiceProfile;
  manifest: RunManifest;
  /** The snapshot taken before the load's first request (the manifest's service.snapshot). */
  snapshot: ServiceSnapshot | undefined;
  timeoutMs: number;
  /** Green only once every cell stayed exact this long (one export or scrape interval). */
  settleMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** Per tenant × status: what the manifest says the service answered. */
export function expectedCells(profile: ServiceProfile, manifest: RunManifest): ServiceCell[] {
  const cells = new Map<string, ServiceCell>();
  for (const t of manifest.tenants) {
    const tenant = serviceTenant(profile, t.clientId);
    const cell = (status: string) => {
      const key = `${tenant}\u0000${status}`;
      let c = cells.get(key);
      if (!c) {
        c = { tenant, status, expected: 0, maybe: 0, found: 0 };
        cells.set(key, c);
      }
      return c;
    };
    for (const [status, n] of Object.entries(t.receivedByStatus)) cell(status).expected += n;
    // Unanswered requests may have been counted under the status they asked for.
    for (const s of t.byStatus) if (s.unanswered > 0) cell(String(s.status)).maybe += s.unanswered;
  }
  return [...cells.values()];
}

/** What is wrong with a cell, or undefined when its count is exact. */
function cellProblem(c: ServiceCell, final: boolean): string | undefined {
  const who = `${c.tenant || '(no tenant)'} ${c.status || '(no status)'}`;
  if (c.found > c.expected + c.maybe) {
    const extra = c.found - c.expected - c.maybe;
    return `found ${fmt(c.found)} requests for ${who}, sent ${fmt(c.expected + c.maybe)}: ${fmt(extra)} ${extra === 1 ? 'is' : 'are'} not from this run — run on an idle service, or filter with a label`;
  }
  if (final && c.found < c.expected) {
    const missing = c.expected - c.found;
    return `found ${fmt(c.found)} requests for ${who}, sent ${fmt(c.expected)}: ${fmt(missing)} did not arrive — dropped on the way to the backend, or not exported`;
  }
  return undefined;
}

function counterProblem(c: ServiceCell, counter: string): string | undefined {
  if (c.counter === undefined || c.counter === c.found) return undefined;
  return `${c.tenant || '(no tenant)'} ${c.status}: the counter ${counter} counted ${fmt(c.counter)}, the histogram ${fmt(c.found)}: they must agree`;
}

/** Whether two profiles select and count the same series (their names may differ: a built-in, a file). */
function sameProfile(a: ServiceProfile, b: ServiceProfile): boolean {
  const { name: _a, ...x } = a;
  const { name: _b, ...y } = b;
  return JSON.stringify(x, Object.keys(x).sort()) === JSON.stringify(y, Object.keys(y).sort());
}

export async function verifyService(opts: ServiceVerifyOptions): Promise<ServiceVerifyReport> {
  const { profile, manifest, snapshot } = opts;
  if (!snapshot) {
    throw new UsageError(
      `--service-profile ${profile.name}: the manifest of run ${manifest.runId} has no snapshot of the service's counts; run load with --service-profile and the backend's --url, so it takes one before its first request`,
    );
  }
  const taken = manifest.service?.profile;
  if (taken && !sameProfile(taken, profile)) {
    throw new UsageError(
      `--service-profile ${profile.name}: the manifest of run ${manifest.runId} took its snapshot with the profile ${taken.name ?? '(unnamed)'}, which selects other series; verify with that profile`,
    );
  }
  return verifyServiceCells({ ...opts, snapshot, expected: expectedCells(profile, manifest) });
}

/**
 * The poll of verifyService, for any expectation per tenant × status (a manifest's, or a canary
 * window's): the counts since `snapshot` until exact for the settle window, red, or the deadline.
 */
export async function verifyServiceCells(
  opts: Omit<ServiceVerifyOptions, 'manifest' | 'snapshot'> & {
    snapshot: ServiceSnapshot;
    expected: ServiceCell[];
  },
): Promise<ServiceVerifyReport> {
  const { client, profile, snapshot, expected } = opts;
  const now = opts.now ?? (() => Date.now());
  const sleep = opts.sleep ?? ((ms, signal) => realClock.sleep(ms, signal));
  const clock = { now, sleep };
  const metrics = countedMetrics(profile);
  const tenants = [...new Set(expected.map((c) => c.tenant))];
  const deadline = now() + opts.timeoutMs;
  let exactSince: number | undefined;
  /** Since when the counts of a run that is certainly red stopped changing, and what they were. */
  let red: { since: number; counts: string } | undefined;
  let polls = 0;
  for (;;) {
    polls++;
    const at = now();
    const cells = expected.map((c) => ({ ...c, found: 0 }));
    for (const tenant of tenants) {
      const found = await countsSince(client, profile, metrics.histogram, snapshot, tenant, at, opts.signal);
      const counted = metrics.counter
        ? await countsSince(client, profile, metrics.counter, snapshot, tenant, at, opts.signal)
        : undefined;
      const statuses = new Set([...found.keys(), ...(counted?.keys() ?? [])]);
      for (const status of statuses) {
        let cell = cells.find((c) => c.tenant === tenant && c.status === status);
        if (!cell) {
          cell = { tenant, status, expected: 0, maybe: 0, found: 0 };
          cells.push(cell);
        }
        cell.found = found.get(status) ?? 0;
        if (counted) cell.counter = counted.get(status) ?? 0;
      }
    }
    const finalProblems = () =>
      cells
        .flatMap((c) => [
          cellProblem(c, true),
          metrics.counter ? counterProblem(c, metrics.counter) : undefined,
        ])
        .filter((p): p is string => !!p);
    // Counts only grow: more than was sent is a red that cannot turn green. The verdict still waits
    // until the counts stop moving for the settle window, so the surplus it names is the whole one.
    if (red || cells.some((c) => cellProblem(c, false))) {
      const counts = JSON.stringify(cells.map((c) => [c.found, c.counter]));
      if (red?.counts !== counts) red = { since: at, counts };
      if (at - red.since >= opts.settleMs || at >= deadline || opts.signal?.aborted) {
        return { ok: false, profile: profile.name ?? '', cells, problems: finalProblems(), polls };
      }
      await waitForNextAttempt(clock, deadline, opts.pollMs ?? 500, opts.signal);
      continue;
    }
    const exact = cells.every((c) => c.found >= c.expected && (!metrics.counter || c.counter === c.found));
    if (exact) {
      exactSince ??= at;
      if (at - exactSince >= opts.settleMs) {
        return { ok: true, profile: profile.name ?? '', cells, problems: [], polls };
      }
    } else exactSince = undefined;
    if (at >= deadline || opts.signal?.aborted) {
      return { ok: false, profile: profile.name ?? '', cells, problems: finalProblems(), polls };
    }
    await waitForNextAttempt(clock, deadline, opts.pollMs ?? 500, opts.signal);
  }
}
