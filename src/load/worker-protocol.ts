/**
 * The messages between `load --workers` (./workers.ts) and its worker processes
 * (./worker-entry.ts), over the child-process IPC channel; each side parses what it receives.
 *
 *   parent → worker: run (the plan and the worker's shard) · start (the instant to start at) · stop
 *   worker → parent: ready (warmed up) · progress · done (result + encoded histograms) · failed
 */
import { z } from 'zod';
import { LoadConfigSchema } from './config.js';
import { LoadResultSchema } from './result.js';

const ShardSchema = z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() });

export const ToWorkerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run'),
    config: LoadConfigSchema,
    shard: ShardSchema,
    progressIntervalMs: z.number().positive().optional(),
    sendBatchMs: z.number().nonnegative().optional(),
  }),
  z.object({ type: z.literal('start'), startAt: z.number() }),
  z.object({ type: z.literal('stop') }),
]);

const ProgressSchema = z.object({
  elapsedMs: z.number(),
  scheduled: z.number(),
  sent: z.number(),
  completed: z.number(),
  inflight: z.number(),
  dropped: z.number(),
  errors: z.number(),
  achievedPerSec: z.number(),
  currentPerSec: z.number(),
  targetPerSec: z.number().nullable(),
  p99Ms: z.number(),
});

export const FromWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('progress'), progress: ProgressSchema }),
  z.object({
    type: z.literal('done'),
    result: LoadResultSchema,
    histograms: z.object({ service: z.string(), scheduleCorrected: z.string(), sendLateness: z.string() }),
  }),
  z.object({ type: z.literal('failed'), message: z.string() }),
]);

export type ToWorker = z.infer<typeof ToWorkerSchema>;
export type FromWorker = z.infer<typeof FromWorkerSchema>;
