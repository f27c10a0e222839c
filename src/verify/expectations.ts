import { assertShardsOfOneRun } from '../manifest/consistency.js';
import type { RunManifest } from '../manifest/schema.js';
import { UsageError } from '../util/errors.js';
import { kindOfManifest, type SentKind } from './kinds/kind.js';

/** How many requests of one status the backend must show: exact when min === max. */
export interface StatusExpectation {
  status: number;
  min: number;
  max: number;
}

/** What one tenant must show for the run, summed over the manifest's shards. */
export interface TenantExpectation {
  /** The tenant id to query: the Client-ID, or the default tenant for requests sent without one. */
  tenant: string;
  /** client_id label values expected in this tenant; "" stands for "no client_id label". */
  clientIds: string[];
  sent: number;
  /** Responses received: the server recorded each of them, with the status received. */
  received: number;
  /** Sent but never answered (timeout, reset): the server may or may not have recorded them. */
  unanswered: number;
  /** Connection refused: never reached the server. */
  refused: number;
  /** Statuses the backend must (min > 0) or may (min === 0) show, with their counts. */
  byStatus: StatusExpectation[];
  /** Client-side service time of the answered requests: sum and max, ms. */
  latencySumMs: number;
  latencyMaxMs: number;
}

export interface RunExpectation {
  runId: string;
  shards: number;
  /** Per-request client timeout, ms (the longest a request the client gave up on can have taken). */
  timeoutMs: number;
  /** When the first shard's load began (epoch ms): verify reads the run's samples from here on. */
  startedAtMs: number;
  /** When the last shard's load ended (epoch ms). */
  endedAtMs: number;
  tenants: TenantExpectation[];
  /**
   * The kind of OTLP data the run sent (manifest `server.kind`, schema version 4). Absent: the
   * manifest records none (older, or load --target), and verify judges no kind (the checks still
   * expect cumulative explicit-bucket histograms, what otelpoc always sent before).
   */
  kind?: SentKind;
}

/** The label value standing for "sent without Client-ID". */
export const NO_CLIENT_ID = '';

/**
 * Sums the manifests (shards of one run) into what each tenant must show. Requests sent without a
 * Client-ID are expected in `defaultTenant`. Throws a UsageError when the manifests are not shards
 * of one run (same run id and plan, each shard once; `partial`: some shards on purpose, see
 * assertShardsOfOneRun).
 */
export function expectationsFrom(
  manifests: readonly { manifest: RunManifest; source: string }[],
  defaultTenant: string,
  opts: { partial?: boolean } = {},
): RunExpectation {
  const first = manifests[0];
  if (!first) throw new UsageError('--manifest: no manifest given');
  const runId = first.manifest.runId;
  assertShardsOfOneRun(manifests, opts);

  const tenants = new Map<string, TenantExpectation>();
  const received = new Map<string, Map<number, number>>();
  for (const { manifest } of manifests) {
    for (const t of manifest.tenants) {
      const tenantId = t.clientId ?? defaultTenant;
      const clientLabel = t.clientId ?? NO_CLIENT_ID;
      let exp = tenants.get(tenantId);
      if (!exp) {
        exp = {
          tenant: tenantId,
          clientIds: [],
          sent: 0,
          received: 0,
          unanswered: 0,
          refused: 0,
          byStatus: [],
          latencySumMs: 0,
          latencyMaxMs: 0,
        };
        tenants.set(tenantId, exp);
        received.set(tenantId, new Map());
      }
      if (!exp.clientIds.includes(clientLabel)) exp.clientIds.push(clientLabel);
      for (const s of t.byStatus) {
        exp.sent += s.sent;
        exp.unanswered += s.unanswered;
        exp.refused += s.refused;
        exp.latencySumMs += s.latencySumMs;
        exp.latencyMaxMs = Math.max(exp.latencyMaxMs, s.latencyMaxMs);
      }
      const byStatus = received.get(tenantId)!;
      for (const [status, n] of Object.entries(t.receivedByStatus)) {
        byStatus.set(Number(status), (byStatus.get(Number(status)) ?? 0) + n);
        exp.received += n;
      }
    }
  }
  for (const exp of tenants.values()) {
    const byStatus = received.get(exp.tenant)!;
    // A request the client gave up on may have been recorded, with any status (the server records
    // what it answered, or 200 when the client left first): each status may hold up to that many more.
    exp.byStatus = [...byStatus.entries()]
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => ({ status, min: n, max: n + exp.unanswered }));
    exp.clientIds.sort();
  }
  const kind = kindOfManifests(manifests);
  return {
    runId,
    shards: manifests.length,
    timeoutMs: Math.max(...manifests.map((m) => m.manifest.config.timeoutMs)),
    startedAtMs: Math.min(...manifests.map((m) => Date.parse(m.manifest.startedAt))),
    endedAtMs: Math.max(...manifests.map((m) => Date.parse(m.manifest.endedAt))),
    tenants: [...tenants.values()].sort((a, b) => a.tenant.localeCompare(b.tenant)),
    ...(kind ? { kind } : {}),
  };
}

/** The run's kind: every shard's must agree (a shard of another kind is another run's data). */
function kindOfManifests(
  manifests: readonly { manifest: RunManifest; source: string }[],
): SentKind | undefined {
  const kinds = manifests.map((m) => {
    try {
      return kindOfManifest(m.manifest, m.source);
    } catch (err) {
      throw new UsageError(`--manifest ${(err as Error).message}`);
    }
  });
  const first = kinds[0];
  const json = JSON.stringify(first);
  const other = kinds.findIndex((k) => JSON.stringify(k) !== json);
  if (other >= 0) {
    throw new UsageError(
      `--manifest: ${manifests[other]!.source} records another kind of data (server.kind ${JSON.stringify(kinds[other] ?? null)}) than ${manifests[0]!.source} (${json ?? 'none'}): shards of one run send one kind`,
    );
  }
  return first;
}

/**
 * The manifests whose in-process server could not deliver its last counts (its final export failed,
 * `server.finalFlushOk` false), named by shard and file: when verify is red, the likely cause. A
 * shard that exported to a dead endpoint is named here instead of only as missing counts.
 */
export function undeliveredShards(manifests: readonly { manifest: RunManifest; source: string }[]): string[] {
  return manifests.flatMap(({ manifest, source }) => {
    const s = manifest.server;
    if (!s) return [];
    const who = manifest.shard ? `shard ${manifest.shard.index}/${manifest.shard.count} (${source})` : source;
    if (!s.finalFlushOk) {
      return [
        `${who}: its server's final export to ${s.metricsTarget} failed (${s.failedExports} of ${s.exports + s.failedExports} exports failed), so the backend lacks its counts`,
      ];
    }
    // Per-tenant export: one tenant's stream can fail while the others get through.
    return (s.streams ?? [])
      .filter((st) => !st.finalFlushOk)
      .map(
        (st) =>
          `${who}: the final export of tenant "${st.tenant}"'s stream to ${s.metricsTarget} failed (${st.failedExports} of ${st.exports + st.failedExports} exports failed), so the backend lacks its counts`,
      );
  });
}

/**
 * When no request of the run was answered (every one refused, timed out or reset; or none sent),
 * the line saying so: the server recorded nothing, so there is nothing to verify, and finding
 * nothing must not pass. Undefined when some request was answered.
 */
export function nothingAnswered(
  manifests: readonly { manifest: RunManifest; source: string }[],
  expectation: RunExpectation,
): string | undefined {
  if (expectation.tenants.some((t) => t.received > 0)) return undefined;
  const sum = (f: (t: TenantExpectation) => number) => expectation.tenants.reduce((a, t) => a + f(t), 0);
  const targets = [...new Set(manifests.map((m) => m.manifest.target))].join(', ');
  const refused = sum((t) => t.refused);
  const why =
    sum((t) => t.sent) === 0
      ? 'the run sent no request'
      : `${sum((t) => t.sent)} sent, ${refused} refused, ${sum((t) => t.unanswered)} unanswered (timeout or reset)`;
  const fix =
    refused > 0
      ? `nothing listened at ${targets}: is the server up and --target right?`
      : `check that ${targets} is the server and that it answers within --timeout`;
  return `no request of run ${expectation.runId} was answered by the server: nothing to verify — ${why}; ${fix}`;
}

/**
 * The manifests of `load --workers` runs in which a worker died (workerFailures): its requests are
 * not in the counts, though some reached the server, so verify cannot pass. One line per manifest.
 */
export function failedWorkers(manifests: readonly { manifest: RunManifest; source: string }[]): string[] {
  return manifests.flatMap(({ manifest, source }) =>
    manifest.workerFailures
      ? [
          `${source}: ${manifest.workerFailures.length} load worker(s) failed, their requests are not in its counts — ${manifest.workerFailures.join('; ')}`,
        ]
      : [],
  );
}

/**
 * For the shards of one run, the line saying how far apart their real starts were (the combined
 * rate is the target only while all of them send): the spread from the first start to the last,
 * and, when the run had a planned start (--start-at), how late the latest shard was for it.
 * Undefined for a single manifest.
 */
export function shardStartSpread(
  manifests: readonly { manifest: RunManifest; source: string }[],
): string | undefined {
  if (manifests.length < 2) return undefined;
  const starts = manifests
    .map((m) => ({ at: Date.parse(m.manifest.startedAt), who: shardName(m) }))
    .sort((a, b) => a.at - b.at);
  const first = starts[0]!;
  const last = starts[starts.length - 1]!;
  const spread = `the ${manifests.length} shards' real starts spread over ${formatMs(last.at - first.at)} (first ${first.who} at ${new Date(first.at).toISOString()}, last ${last.who})`;
  const planned = manifests[0]!.manifest.plannedStartAt;
  if (planned === undefined) return `${spread}; no planned start (--start-at) was given`;
  const late = manifests.reduce((m, x) => Math.max(m, x.manifest.startLateMs ?? 0), 0);
  return `${spread}; planned start ${planned}, the latest shard ${formatMs(late)} late for it`;
}

function shardName({ manifest, source }: { manifest: RunManifest; source: string }): string {
  return manifest.shard ? `shard ${manifest.shard.index}/${manifest.shard.count}` : source;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(3)} s`;
}

/**
 * When a manifest says its load was interrupted (SIGINT/SIGTERM), the line saying what a pass then
 * covers; undefined when none was.
 */
export function interruptedRun(
  manifests: readonly { manifest: RunManifest; source: string }[],
): string | undefined {
  const cut = manifests.filter((m) => m.manifest.interrupted);
  if (cut.length === 0) return undefined;
  const sent = cut.reduce((a, m) => a + m.manifest.totals.sent, 0);
  const names = cut.map((m) => m.source).join(', ');
  return `the run was interrupted (${names}): the verdict covers only the ${sent} request(s) sent before the interruption, not the run that was planned`;
}
