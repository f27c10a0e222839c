/**
 * Manifest version 1 (otelpoc before the LoadConfig redesign), still readable: `verify` converts it
 * to version 2 on reading. Only `config` (flat, with a free-form `extra`) and the serve settings
 * (in config.seed and config.extra.serve/run) differ; the counts are the same.
 */
import { z } from 'zod';
import type { LoadConfig } from '../load/config.js';
import { UsageError } from '../util/errors.js';
import { formatPath } from '../util/format-path.js';

const weight = z.number().positive();

const V1ConfigSchema = z.object({
  model: z.enum(['open', 'closed']),
  ratePerSec: z.number().nonnegative().nullable(),
  durationMs: z.number().nonnegative().nullable(),
  requests: z.number().int().nonnegative().nullable(),
  connections: z.number().int().positive().nullable(),
  maxInflight: z.number().int().positive(),
  timeoutMs: z.number().positive(),
  scenario: z.string().nullable(),
  seed: z.number().int().nullable(),
  tenants: z.array(z.object({ clientId: z.string().nullable(), weight })),
  statusMix: z.array(z.object({ status: z.number().int().min(200).max(599), weight })),
  extra: z
    .object({
      stages: z.array(z.unknown()).optional(),
      thresholds: z.record(z.string(), z.unknown()).optional(),
      anonymousPercent: z.number().optional(),
      serve: z
        .object({ delay: z.unknown().optional(), exportIntervalMs: z.number().optional() })
        .loose()
        .optional(),
      run: z.object({ embedded: z.boolean().optional() }).loose().optional(),
    })
    .loose()
    .optional(),
});

export function isManifestV1(data: unknown): data is Record<string, unknown> {
  return !!data && typeof data === 'object' && (data as { schemaVersion?: unknown }).schemaVersion === 1;
}

/**
 * The same manifest in version 2. Problems in the version-1 config are reported with their
 * version-1 paths; the rest is validated as version 2 by the caller.
 */
export function manifestV1ToV2(data: Record<string, unknown>, source: string): Record<string, unknown> {
  const parsed = V1ConfigSchema.safeParse(data.config);
  if (!parsed.success) {
    throw new UsageError(
      parsed.error.issues
        .map((issue) => `${source}: ${formatPath(['config', ...issue.path])}: ${issue.message}`)
        .join('\n'),
    );
  }
  const c = parsed.data;
  const extra = c.extra ?? {};
  const constantStage =
    c.model === 'open' && c.ratePerSec !== null
      ? [{ durationMs: c.durationMs, fromPerSec: c.ratePerSec, toPerSec: c.ratePerSec }]
      : [];
  const config: Omit<LoadConfig, 'stages' | 'thresholds'> & { stages: unknown; thresholds: unknown } = {
    runId: data.runId as string,
    target: data.target as string,
    model: c.model,
    stages: extra.stages ?? constantStage,
    durationMs: c.durationMs,
    requests: c.requests,
    connections: c.connections,
    maxInflight: c.maxInflight,
    timeoutMs: c.timeoutMs,
    tenants: c.tenants,
    statusMix: c.statusMix,
    anonymousPercent: extra.anonymousPercent ?? 0,
    scenario: c.scenario,
    thresholds: extra.thresholds ?? {},
  };
  const { schemaVersion: _, server, ...rest } = data;
  return {
    ...rest,
    schemaVersion: 2,
    config,
    ...(server && typeof server === 'object'
      ? {
          server: {
            ...server,
            seed: c.seed,
            ...(extra.serve?.delay !== undefined ? { delay: extra.serve.delay } : {}),
            ...(extra.serve?.exportIntervalMs !== undefined
              ? { exportIntervalMs: extra.serve.exportIntervalMs }
              : {}),
            ...(extra.run?.embedded !== undefined ? { embedded: extra.run.embedded } : {}),
          },
        }
      : {}),
  };
}
