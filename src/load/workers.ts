/**
 * `load --workers N`: N worker processes on this machine (./worker-entry.ts, child_process.fork),
 * each sending one shard of this process's part of the run, merged into one result as if one
 * process had sent everything (./merge.ts).
 *
 * The split reuses the shards (./shard.ts): this process's part is shard i/n (the whole run: 0/1),
 * and worker j of N sends shard (i + n·j)/(n·N) — the requests k ≡ i (mod n) with (k − i)/n ≡ j
 * (mod N) — so the workers' union is exactly this process's part, request for request.
 *
 * Why processes, not worker_threads (measured: bench/RESULTS.md, "workers: processes vs threads"):
 * an open-model sender is a timer-driven event loop; each needs a core of its own, which both give,
 * at the same CPU per request. But a process's failure (a native crash, an abort, the kernel's OOM
 * killer) ends only that worker, whose siblings' parts survive, while in a thread it takes the
 * parent and every part with it; and a terminal's Ctrl-C reaches every worker directly (one process
 * group; a thread cannot handle signals). The cost, about 185 ms and 77 MB per worker (a thread:
 * 130 ms, 24 MB), is paid before the clock starts.
 *
 * Start: every worker warms up, says so, and all then start at one instant (config.startAt if
 * planned, else a moment after the last is ready), so their schedules are one schedule.
 * Stop: the signal sends every worker a stop (and a Ctrl-C reaches them itself); each ends as an
 * interrupted run and its part is merged. A worker that dies (crash, kill, non-zero exit, a message
 * not of the protocol, a `failed` report) sends the others the same stop at once, since the combined
 * rate is no longer the target; the run fails (`failures`, not interrupted unless the signal also
 * came), and the result holds every other worker's part, with the failures
 * (LoadResult.workerFailures) and the dead one's last progress counts (LoadResult.lostWorkers).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatSeconds } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import type { LoadConfig } from './config.js';
import { mergeResults, type ResultPart } from './merge.js';
import type { LoadResult, LostWorker } from './result.js';
import { type LoadDeps, type LoadProgress, runLoad, stopBoundMs } from './runner.js';
import { checkShardFits, type LimitNames, type Shard } from './shard.js';
import { MAX_WORKERS, parseWorkers, WORKERS_EXPECTED } from './values.js';
import { FromWorkerSchema, type ToWorker } from './worker-protocol.js';

// Declared with the other values (the option table parses --workers without loading this module).
export { MAX_WORKERS, parseWorkers, WORKERS_EXPECTED };

/** After the last worker is ready, the start is this far ahead: time for the start message to arrive. */
const START_AHEAD_MS = 200;

/** After a stop, a worker that has not finished within the runner's stop bound plus this is killed. */
const KILL_GRACE_MS = 2000;

export interface WorkersOptions {
  workers: number;
  /** This process's part of the run (--shard); undefined: all of it. */
  shard?: Shard | undefined;
  signal?: AbortSignal | undefined;
  /** The workers' progress summed, once every worker has reported since the last one. */
  onProgress?: ((p: LoadProgress) => void) | undefined;
  progressIntervalMs?: number | undefined;
  /** Each worker's send batch (LoadDeps.sendBatchMs). */
  sendBatchMs?: number | undefined;
  /** The worker script; default the compiled ./worker-entry.js beside this module. */
  entry?: string | undefined;
}

export interface WorkersResult {
  /** Every finished worker's part merged (absent only when no worker finished). */
  result: LoadResult | undefined;
  /** One line per worker that died or failed: the run then fails. */
  failures: string[];
}

/**
 * Refuses, before anything is sent, a run whose smallest worker would do nothing (no request, no
 * connection, no in-flight room): the shard checks (checkShardFits) on the workers' composed shards.
 * `what`: where the count came from (the flag, or a scenario's field), for the message; `names`:
 * where the shared limits came from (checkShardFits).
 */
export function checkWorkersFit(
  config: Omit<LoadConfig, 'target'>,
  shard: Shard | undefined,
  workers: number,
  what = '--workers',
  names?: LimitNames,
): void {
  if (workers <= 1) return;
  try {
    checkShardFits(config, workerShard(shard, workers - 1, workers), `${what} split`, names);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    throw new UsageError(
      `${what} ${workers}: each worker sends one shard of ${shard ? `shard ${shard.index}/${shard.count}` : 'the run'}, and one would get nothing — ${err.message}`,
    );
  }
}

/**
 * The compiled worker beside this module (dist/load/); run from the sources (the tests), the
 * package's compiled one, which `npm run build` makes.
 */
function defaultEntry(): string {
  const beside = fileURLToPath(new URL('./worker-entry.js', import.meta.url));
  return existsSync(beside)
    ? beside
    : fileURLToPath(new URL('../../dist/load/worker-entry.js', import.meta.url));
}

/** Worker j of `workers` within this process's part `shard`. */
export function workerShard(shard: Shard | undefined, j: number, workers: number): Shard {
  const base = shard ?? { index: 0, count: 1 };
  return { index: base.index + base.count * j, count: base.count * workers };
}

export async function runWorkers(config: LoadConfig, opts: WorkersOptions): Promise<WorkersResult> {
  const entry = opts.entry ?? defaultEntry();
  const n = opts.workers;
  const parts: (ResultPart | undefined)[] = new Array(n).fill(undefined);
  const failures: string[] = [];
  const lost: LostWorker[] = [];
  const ready = new Set<number>();
  const latest = new Map<number, LoadProgress>();
  /** Each worker's last progress, kept: a worker that dies is reported with it. */
  const lastKnown = new Map<number, LoadProgress>();
  const alive = new Set<number>();
  let started = false;
  const children: ChildProcess[] = [];
  /** Why the workers were told to stop: the user's signal, or a worker's death (the first). */
  let stoppedBy: 'signal' | 'failure' | undefined;

  const post = (j: number, msg: ToWorker) => {
    const c = children[j]!;
    if (c.connected) c.send(msg, (err) => void err); // a worker gone meanwhile is reported by its exit
  };
  const startIfAllReady = () => {
    if (started || alive.size === 0 || [...alive].some((j) => !ready.has(j))) return;
    started = true;
    const startAt = config.startAt ?? Date.now() + START_AHEAD_MS;
    for (const j of alive) post(j, { type: 'start', startAt });
  };
  const emitProgress = () => {
    if (!opts.onProgress || latest.size === 0 || [...alive].some((j) => !latest.has(j))) return;
    opts.onProgress(sumProgress([...latest.values()]));
    latest.clear();
  };

  let killTimer: NodeJS.Timeout | undefined;
  /** The graceful stop of every live worker (as a first Ctrl-C), bounded: one still running is killed. */
  const stopAll = (by: 'signal' | 'failure') => {
    if (by === 'signal' || stoppedBy === undefined) stoppedBy = by;
    for (const j of alive) post(j, { type: 'stop' });
    if (killTimer) return;
    killTimer = setTimeout(() => {
      for (const j of alive) children[j]!.kill('SIGKILL');
    }, stopBoundMs(config) + KILL_GRACE_MS);
  };

  const done = Array.from({ length: n }, (_, j) => {
    const shard = workerShard(opts.shard, j, n);
    const name = `worker ${j + 1} of ${n} (shard ${shard.index}/${shard.count})`;
    const child = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    alive.add(j);
    let failed: string | undefined;
    /** This worker failed: its siblings stop, as on a first Ctrl-C (the combined rate is no longer the target). */
    const fail = (why: string) => {
      failed ??= why;
      stopAll('failure');
    };
    child.on('message', (raw) => {
      if (failed) return; // a worker that broke the protocol or failed: nothing more of it is taken
      const parsed = FromWorkerSchema.safeParse(raw);
      if (!parsed.success) {
        fail(`${name} sent a message that is not of the protocol: ${parsed.error.issues[0]?.message}`);
        child.kill('SIGKILL'); // it cannot be told to stop and trusted to report: it sends no more
        return;
      }
      const msg = parsed.data;
      if (msg.type === 'ready') {
        ready.add(j);
        startIfAllReady();
      } else if (msg.type === 'progress') {
        latest.set(j, msg.progress);
        lastKnown.set(j, msg.progress);
        emitProgress();
      } else if (msg.type === 'done') {
        parts[j] = { result: msg.result, histograms: msg.histograms };
      } else fail(`${name} failed: ${msg.message}`);
    });
    post(j, {
      type: 'run',
      config,
      shard,
      ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}),
      ...(opts.sendBatchMs !== undefined ? { sendBatchMs: opts.sendBatchMs } : {}),
    });
    return new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        alive.delete(j);
        latest.delete(j);
        if (!parts[j] || failed) {
          parts[j] = undefined;
          const why = failed ?? `${name} died (${signal ? `signal ${signal}` : `exit code ${code}`})`;
          const last = lastKnown.get(j);
          lost.push({ worker: name, why, lastKnown: last ? lastKnownOf(last) : null });
          failures.push(`${why}${failed ? ';' : ' before reporting:'} ${lostPart(last)}`);
          stopAll('failure');
        }
        // The others may have been waiting for this one to be ready, or to report progress.
        startIfAllReady();
        emitProgress();
        resolve();
      });
    });
  });

  const onAbort = () => stopAll('signal');
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await Promise.all(done);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    clearTimeout(killTimer);
  }
  const finished = parts.filter((p): p is ResultPart => p !== undefined);
  if (finished.length === 0) return { result: undefined, failures };
  const merged = { ...mergeResults(finished, config.model), workers: n };
  // Stopped because a worker died, not by the user: a failed run (exit 1), not an interrupted one
  // (exit 130); the failures say why it ended early.
  const result = stoppedBy === 'failure' ? { ...merged, interrupted: false } : merged;
  // A worker's part is missing: the result says so (and the manifest, for verify).
  return {
    result: failures.length > 0 ? { ...result, workerFailures: failures, lostWorkers: lost } : result,
    failures,
  };
}

/** The counts of a dead worker's last progress report, as the result keeps them (LostWorker.lastKnown). */
function lastKnownOf(p: LoadProgress): NonNullable<LostWorker['lastKnown']> {
  const { elapsedMs, scheduled, sent, completed, dropped, errors } = p;
  return { elapsedMs, scheduled, sent, completed, dropped, errors };
}

/** What is known of a dead worker's part: its last progress report, or nothing (lost). */
function lostPart(p: LoadProgress | undefined): string {
  if (!p)
    return 'its requests are not in the result, and no progress of it reached this process: its part is lost';
  return `its requests are not in the result; last known (its progress at ${formatSeconds(p.elapsedMs)}, not in the totals): ${p.scheduled} scheduled, ${p.sent} sent, ${p.completed} completed, ${p.dropped} dropped, ${p.errors} errors`;
}

/** The workers' latest progress as one process's: counts and rates summed, the worst p99, the longest elapsed. */
function sumProgress(ps: readonly LoadProgress[]): LoadProgress {
  const sum = (f: (p: LoadProgress) => number) => ps.reduce((a, p) => a + f(p), 0);
  const targets = ps.map((p) => p.targetPerSec);
  return {
    elapsedMs: Math.max(...ps.map((p) => p.elapsedMs)),
    scheduled: sum((p) => p.scheduled),
    sent: sum((p) => p.sent),
    completed: sum((p) => p.completed),
    inflight: sum((p) => p.inflight),
    dropped: sum((p) => p.dropped),
    errors: sum((p) => p.errors),
    achievedPerSec: sum((p) => p.achievedPerSec),
    currentPerSec: sum((p) => p.currentPerSec),
    targetPerSec: targets.some((t) => t === null) ? null : targets.reduce((a, t) => a! + t!, 0),
    p99Ms: Math.max(...ps.map((p) => p.p99Ms)),
  };
}

/**
 * The load in this process, or with `workers` > 1 in that many worker processes merged as one
 * (their failures, if any, are in the result's workerFailures). Only when no worker finished is
 * there no result: then this throws, naming every failure.
 */
export async function loadOn(
  config: LoadConfig,
  deps: LoadDeps,
  workers = 1,
): Promise<Awaited<ReturnType<typeof runLoad>>> {
  if (workers <= 1) return runLoad(config, deps);
  const { result, failures } = await runWorkers(config, {
    workers,
    shard: deps.shard,
    signal: deps.signal,
    onProgress: deps.onProgress,
    progressIntervalMs: deps.progressIntervalMs,
    sendBatchMs: deps.sendBatchMs,
  });
  if (!result) throw new Error(`every worker failed, nothing was counted:\n${failures.join('\n')}`);
  return result;
}
