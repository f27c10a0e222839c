/**
 * The manifest's own arithmetic. `verify` derives every expected count from the manifest, so a
 * manifest whose numbers contradict each other (edited by hand, merged wrongly, cut off) would set
 * the bar wherever it says: ten times the sent requests, or an unanswered share that lets any extra
 * request pass. The equations below are the ones `load`'s Tally keeps by construction
 * (src/load/tally.ts): every scheduled request is dropped or sent, every sent one is answered,
 * mismatched, unanswered or refused, and each outcome is counted once in the cells, once in the
 * totals, once in the errors and (for responses) once in the latency histograms.
 */
import { OUTCOME_FIELDS, totalsOf } from '../load/result.js';
import { formatDurationMs, MAX_DELAY_MS, MAX_DURATION_MS } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import type { LatencySummary, RunManifest, StatusCounts } from './schema.js';

/**
 * The first equation the manifest breaks, as one line naming where and with its numbers, e.g.
 * `tenants[1] (tenant-2) status 200: sent 100 ≠ answered 10 + mismatched 0 + unanswered 0 + refused 0`;
 * undefined when every one holds.
 */
export function manifestInconsistency(m: RunManifest): string | undefined {
  if (m.shard && m.shard.index >= m.shard.count) {
    return `shard.index ${m.shard.index} ≥ shard.count ${m.shard.count} (shards are numbered from 0)`;
  }
  for (const [i, t] of m.tenants.entries()) {
    const who = `tenants[${i}] (${t.clientId ?? 'no Client-ID'})`;
    const seen = new Set<number>();
    let responses = 0;
    for (const c of t.byStatus) {
      const where = `${who} status ${c.status}`;
      if (seen.has(c.status)) return `${where}: listed twice in byStatus`;
      seen.add(c.status);
      const parts = c.answered + c.mismatched + c.unanswered + c.refused;
      if (c.sent !== parts) {
        return `${where}: sent ${c.sent} ≠ answered ${c.answered} + mismatched ${c.mismatched} + unanswered ${c.unanswered} + refused ${c.refused}`;
      }
      const cellLatency = latencyProblem(c);
      if (cellLatency) return `${where}: ${cellLatency}`;
      // An answered request came back with the status it asked for: it is in receivedByStatus there.
      const received = t.receivedByStatus[String(c.status)] ?? 0;
      if (received < c.answered) {
        return `${where}: receivedByStatus["${c.status}"] ${received} < answered ${c.answered}`;
      }
      responses += c.answered + c.mismatched;
    }
    const received = Object.values(t.receivedByStatus).reduce((a, b) => a + b, 0);
    if (received !== responses) {
      const answered = t.byStatus.reduce((a, c) => a + c.answered, 0);
      const mismatched = t.byStatus.reduce((a, c) => a + c.mismatched, 0);
      return `${who}: Σ receivedByStatus ${received} ≠ answered ${answered} + mismatched ${mismatched}`;
    }
  }

  const { totals, errors, latency } = m;
  const sums = totalsOf(m.tenants);
  for (const f of OUTCOME_FIELDS) {
    if (totals[f] !== sums[f]) return `totals.${f} ${totals[f]} ≠ Σ tenants[].byStatus[].${f} ${sums[f]}`;
  }
  if (totals.scheduled !== totals.sent + totals.dropped) {
    return `totals.scheduled ${totals.scheduled} ≠ sent ${totals.sent} + dropped ${totals.dropped}`;
  }
  // Each failed request is counted once in the errors, by category (Tally.complete): refused ones as
  // refused, every other failure (timeout, reset, other) as unanswered. This caps the unanswered
  // share, which widens the count range verify accepts, to failures the run actually recorded.
  if (errors.refused !== totals.refused) {
    return `errors.refused ${errors.refused} ≠ totals.refused ${totals.refused}`;
  }
  const failed = errors.timeout + errors.reset + errors.other;
  if (failed !== totals.unanswered) {
    return `errors.timeout ${errors.timeout} + errors.reset ${errors.reset} + errors.other ${errors.other} ≠ totals.unanswered ${totals.unanswered}`;
  }
  if (errors.statusMismatch !== totals.mismatched) {
    return `errors.statusMismatch ${errors.statusMismatch} ≠ totals.mismatched ${totals.mismatched}`;
  }
  // Every response's service time is in the latency histograms; every send's lateness (open model).
  const responses = totals.answered + totals.mismatched;
  const counted: [string, LatencySummary | undefined, number, string][] = [
    ['latency.service.count', latency.service, responses, 'answered + mismatched'],
    ['latency.scheduleCorrected.count', latency.scheduleCorrected, responses, 'answered + mismatched'],
    ['latency.sendLateness.count', latency.sendLateness, totals.sent, 'sent'],
  ];
  for (const [name, summary, expected, what] of counted) {
    if (summary && summary.count !== expected) {
      return `${name} ${summary.count} ≠ totals ${what} ${expected}`;
    }
  }
  return m.timeline ? timelineInconsistency(m) : undefined;
}

const TIMELINE_COUNTS = ['scheduled', 'dropped', 'sent', 'answered'] as const;
const ERROR_KINDS = ['refused', 'reset', 'timeout', 'statusMismatch', 'other'] as const;

/**
 * The timeline (schema version 3) is the same run second by second: its buckets follow each other
 * from the start, fit in the run's duration, and sum to the totals. The report draws it; a timeline
 * edited to show a smooth run over a bad one is refused like any other contradiction.
 */
function timelineInconsistency(m: RunManifest): string | undefined {
  const { bucketMs, entries } = m.timeline!;
  // The timeline starts at the planned start: a process late for it (startLateMs) began sending
  // later, and its first buckets hold the requests it counted as dropped.
  const runMs = Date.parse(m.endedAt) - (Date.parse(m.startedAt) - (m.startLateMs ?? 0));
  // The timestamps are whole ms: the run may be up to 1 ms longer than they say.
  const most = Math.floor((Math.max(0, runMs) + 1) / bucketMs) + 1;
  if (entries.length > most) {
    return `timeline: ${entries.length} entries of ${bucketMs} ms for a run of ${runMs} ms (at most ${most})`;
  }
  for (const [i, e] of entries.entries()) {
    const t = (i * bucketMs) / 1000;
    if (e.t !== t)
      return `timeline.entries[${i}].t ${e.t} ≠ ${t} (entries are consecutive ${bucketMs} ms buckets)`;
    const responses = e.answered + e.errors.statusMismatch;
    for (const kind of ['service', 'scheduleCorrected'] as const) {
      const p = e[kind];
      if ((p === null) !== (responses === 0)) {
        return `timeline.entries[${i}].${kind}: ${p === null ? 'null with' : 'percentiles without'} responses (answered + statusMismatch ${responses})`;
      }
      if (p && !(p.p50Ms <= p.p90Ms && p.p90Ms <= p.p99Ms && p.p99Ms <= p.maxMs)) {
        return `timeline.entries[${i}].${kind}: percentiles out of order (p50 ${p.p50Ms}, p90 ${p.p90Ms}, p99 ${p.p99Ms}, max ${p.maxMs})`;
      }
    }
  }
  for (const f of TIMELINE_COUNTS) {
    const sum = entries.reduce((a, e) => a + e[f], 0);
    if (sum !== m.totals[f]) return `Σ timeline.entries[].${f} ${sum} ≠ totals.${f} ${m.totals[f]}`;
  }
  for (const k of ERROR_KINDS) {
    const sum = entries.reduce((a, e) => a + e.errors[k], 0);
    if (sum !== m.errors[k]) return `Σ timeline.entries[].errors.${k} ${sum} ≠ errors.${k} ${m.errors[k]}`;
  }
  return undefined;
}

function latencyProblem(c: StatusCounts): string | undefined {
  if (c.answered + c.mismatched === 0 && (c.latencySumMs > 0 || c.latencyMaxMs > 0)) {
    return `latencySumMs ${c.latencySumMs} / latencyMaxMs ${c.latencyMaxMs} without any response`;
  }
  // The longest service time is one of those summed (both are rounded to µs the same way).
  if (c.latencyMaxMs > c.latencySumMs) {
    return `latencyMaxMs ${c.latencyMaxMs} > latencySumMs ${c.latencySumMs}`;
  }
  return undefined;
}

/** Throws a one-line UsageError naming `source` and the first broken equation. */
export function assertManifestConsistent(m: RunManifest, source: string): void {
  const range = manifestOutOfRange(m);
  if (range !== undefined) throw new UsageError(`${source}: ${range}`);
  const problem = manifestInconsistency(m);
  if (problem !== undefined) {
    throw new UsageError(`${source}: inconsistent manifest: ${problem}`);
  }
}

/**
 * The first duration of the manifest outside what `load` can produce (its flags allow at most
 * MAX_DURATION_MS, delays MAX_DELAY_MS), as `field: value …`; undefined when all are in range.
 * verify turns these into timers and windows (the settle window is one export interval): a hand-made
 * `exportIntervalMs: 1e300` would otherwise keep it polling for ever.
 */
export function manifestOutOfRange(m: RunManifest): string | undefined {
  const durations: [string, number | null | undefined, number][] = [
    ['config.timeoutMs', m.config.timeoutMs, MAX_DURATION_MS],
    ['config.durationMs', m.config.durationMs, MAX_DURATION_MS],
    ['server.exportIntervalMs', m.server?.exportIntervalMs, MAX_DURATION_MS],
    ['server.delay.minMs', m.server?.delay?.minMs, MAX_DELAY_MS],
    ['server.delay.maxMs', m.server?.delay?.maxMs, MAX_DELAY_MS],
  ];
  for (const [field, value, max] of durations) {
    if (value === undefined || value === null) continue;
    if (!Number.isFinite(value) || value > max) {
      return `${field}: ${value} ms is out of range: expected at most ${max} ms (${formatDurationMs(max)}), the most load records`;
    }
  }
  return undefined;
}

/**
 * Several manifests are the shards of one run: the same run id and plan (config, apart from the
 * target: each shard may load its own server, `load --serve`), each shard once, none missing. Two
 * identical manifests are the same shard given twice (one file by two paths, say): summing them
 * would double every expected count. Every problem is one line naming the shard (`shard 1/3`) and
 * the files. `partial`: the manifests are some shards of a run on purpose (`run --shard`, which
 * checks its own shard in process); missing shards are then fine.
 */
export function assertShardsOfOneRun(
  manifests: readonly { manifest: RunManifest; source: string }[],
  opts: { partial?: boolean } = {},
): void {
  const first = manifests[0];
  if (!first) return;
  const runId = first.manifest.runId;
  const plan = planOf(first.manifest);
  const withShard = manifests.filter((m) => m.manifest.shard !== undefined);
  if (withShard.length > 0 && withShard.length < manifests.length) {
    const without = manifests.find((m) => m.manifest.shard === undefined)!;
    throw new UsageError(
      `--manifest: ${withShard[0]!.source} is ${shardName(withShard[0]!.manifest)} of run "${runId}" but ${without.source} carries no shard information`,
    );
  }
  const shardOf = new Map<number, string>();
  const contents = new Map<string, string>();
  for (const { manifest, source } of manifests) {
    if (manifest.runId !== runId) {
      throw new UsageError(
        `--manifest: ${source} is run "${manifest.runId}" but ${first.source} is run "${runId}"; several --manifest must be shards of one run`,
      );
    }
    if (planOf(manifest) !== plan) {
      throw new UsageError(
        `--manifest: ${source} and ${first.source} have different config (the load plan); shards of one run share it`,
      );
    }
    const content = JSON.stringify(manifest);
    const twin = contents.get(content);
    if (twin !== undefined) {
      throw new UsageError(
        `--manifest: ${source} and ${twin} are the same manifest (the same file was given more than once?); each shard counts once`,
      );
    }
    contents.set(content, source);
    const shard = manifest.shard;
    if (shard) {
      const expected = first.manifest.shard!.count;
      if (shard.count !== expected) {
        throw new UsageError(
          `--manifest: ${source} is ${shardName(manifest)}, but ${first.source} is one of ${expected} shards; the shards of one run share their count`,
        );
      }
      const other = shardOf.get(shard.index);
      if (other !== undefined) {
        throw new UsageError(
          `--manifest: ${source} and ${other} are both ${shardName(manifest)} of run "${runId}"; give each shard once`,
        );
      }
      shardOf.set(shard.index, source);
    }
  }
  if (manifests.length > 1 && withShard.length === 0) {
    throw new UsageError(
      `--manifest: ${manifests.length} manifests of run "${runId}" but none is a shard (load --shard i/n); give one manifest, or the shards of one run`,
    );
  }
  const count = first.manifest.shard?.count;
  if (count !== undefined && shardOf.size < count && !opts.partial) {
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !shardOf.has(i));
    const names = missing.map((i) => `${i}/${count}`);
    const shown = names.length > 10 ? [...names.slice(0, 10), `… (${names.length} in all)`] : names;
    throw new UsageError(
      `--manifest: run "${runId}" has ${count} shards but shard ${shown.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing (found ${shardOf.size}: ${[...shardOf.values()].join(', ')}); give every shard's manifest`,
    );
  }
}

/** The plan shards share: the config without the target (each shard may load a server of its own). */
function planOf(m: RunManifest): string {
  const { target: _target, ...plan } = m.config;
  return JSON.stringify(plan);
}

function shardName(m: RunManifest): string {
  return m.shard ? `shard ${m.shard.index}/${m.shard.count}` : 'unsharded';
}
