import { type Command, Option } from 'commander';
import type { LoadPlan } from '../load/plan.js';
import type { LoadSettings } from '../load/resolve.js';
import {
  parseClientIds,
  parsePercent,
  parsePositiveInt,
  parseRate,
  parseRunId,
  parseStatusMix,
  parseTarget,
  parseWeights,
  ValueProblem,
} from '../load/values.js';
import { parseDurationMs } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import type { CliContext } from './context.js';

/** Wraps a value parser so that its problem becomes `--flag: expected …, got "…"` (exit 2). */
function flag<T>(name: string, parse: (text: string) => T) {
  return (text: string): T => {
    try {
      return parse(text);
    } catch (err) {
      if (err instanceof ValueProblem) {
        throw new UsageError(`${name}: ${err.message}, got ${JSON.stringify(text)}`);
      }
      throw err;
    }
  };
}

/** The parsed load flags (commander's camelCase names). */
export interface LoadFlags {
  target?: string;
  rps?: number | 'max';
  duration?: number;
  requests?: number;
  connections?: number;
  maxInflight?: number;
  timeout?: number;
  tenants?: number;
  clientIds?: string[];
  tenantWeights?: number[];
  anonymous?: number;
  statusMix?: LoadSettings['statusMix'];
  runId?: string;
  scenario?: string;
  maxErrorRate?: number;
  maxDropRate?: number;
  /** From the server options (--seed), when the command has them. */
  seed?: number;
}

/**
 * Every load flag except --serve, --out, --json and --quiet (the commands own those). No commander
 * defaults: a flag given overrides the scenario file, one not given leaves it; defaults are applied
 * in loadPlanFromFlags.
 */
export function addLoadOptions(cmd: Command): Command {
  // At least 1 ms, at most 24 days (MAX_DURATION_MS); the message names the flag and the limit.
  const duration = (name: string) => (t: string) => parseDurationMs(t, name);
  const pct = (name: string) => flag(name, (t) => parsePercent(t) / 100);
  return cmd
    .addOption(
      new Option(
        '--target <url>',
        'server to load (loopback only); /api is appended when no path is given [default: http://127.0.0.1:8088]',
      ).argParser(flag('--target', parseTarget)),
    )
    .addOption(
      new Option(
        '--rps <rate>',
        'requests per second (open model), or "max" for the closed model [default: 50]',
      ).argParser(flag('--rps', parseRate)),
    )
    .addOption(
      new Option(
        '-d, --duration <duration>',
        'how long to run, like 30s or 2m [default: 10s unless --requests]',
      ).argParser(duration('--duration')),
    )
    .addOption(
      new Option(
        '-n, --requests <n>',
        'exact number of requests to schedule (with --duration: whichever comes first)',
      ).argParser(flag('--requests', (t) => parsePositiveInt(t, 100_000_000))),
    )
    .addOption(
      new Option(
        '-c, --connections <n>',
        'connections of the closed model (--rps max) [default: 10]',
      ).argParser(flag('--connections', (t) => parsePositiveInt(t, 10_000))),
    )
    .addOption(
      new Option(
        '--max-inflight <n>',
        'open model: requests in flight at most; a request due beyond it is dropped and counted [default: 1000]',
      ).argParser(flag('--max-inflight', (t) => parsePositiveInt(t, 100_000))),
    )
    .addOption(
      new Option(
        '--timeout <duration>',
        'per-request timeout; timeouts are counted apart and never retried [default: 5s]',
      ).argParser(duration('--timeout')),
    )
    .addOption(
      new Option('--tenants <n>', 'send Client-ID tenant-1 … tenant-N [default: 3]').argParser(
        flag('--tenants', (t) => parsePositiveInt(t, 10_000)),
      ),
    )
    .addOption(
      new Option('--client-ids <ids>', 'comma-separated Client-ID values instead of tenant-N').argParser(
        flag('--client-ids', parseClientIds),
      ),
    )
    .addOption(
      new Option(
        '--tenant-weights <weights>',
        'comma-separated tenant weights, like 5,1,1 [default: equal]',
      ).argParser(flag('--tenant-weights', parseWeights)),
    )
    .addOption(
      new Option(
        '--anonymous <percent>',
        'share of requests sent without Client-ID, like 10% [default: 0%]',
      ).argParser(flag('--anonymous', (t) => parsePercent(t, { share: true }))),
    )
    .addOption(
      new Option(
        '--status-mix <mix>',
        'status codes to ask for with ?sc=, with weights [default: 200:85,404:10,500:5]',
      ).argParser(flag('--status-mix', parseStatusMix)),
    )
    .addOption(
      new Option('--run-id <id>', 'X-Run-ID sent with every request [default: generated]').argParser(
        flag('--run-id', parseRunId),
      ),
    )
    .addOption(
      new Option(
        '--scenario <name|file>',
        'a shipped scenario (smoke, steady, ramp, spike, error-burst, many-tenants) or a YAML file; flags override it',
      ),
    )
    .addOption(
      new Option(
        '--max-error-rate <percent>',
        'exit 1 when more than this share of sent requests failed or got another status',
      ).argParser(pct('--max-error-rate')),
    )
    .addOption(
      new Option(
        '--max-drop-rate <percent>',
        'exit 1 when more than this share of scheduled requests was dropped',
      ).argParser(pct('--max-drop-rate')),
    );
}

/**
 * Resolves --scenario and the flags into a validated LoadPlan. `target` overrides --target when
 * given (the in-process server of --serve/run); pass '' to use --target or the default.
 */
export async function loadPlanFromFlags(
  flags: LoadFlags,
  ctx: CliContext,
  target: string,
): Promise<LoadPlan> {
  const { resolvePlan } = await import('../load/resolve.js');
  let scenario: Awaited<ReturnType<typeof import('../load/scenario.js').loadScenario>> | undefined;
  if (flags.scenario !== undefined) {
    const { loadScenario } = await import('../load/scenario.js');
    scenario = await loadScenario(flags.scenario, ctx.runtime.cwd);
  }
  return resolvePlan(
    {
      target: target ? parseTargetOrThrow(target) : flags.target,
      rate: flags.rps,
      durationMs: flags.duration,
      requests: flags.requests,
      connections: flags.connections,
      maxInflight: flags.maxInflight,
      timeoutMs: flags.timeout,
      tenants: flags.tenants,
      clientIds: flags.clientIds,
      tenantWeights: flags.tenantWeights,
      anonymousPercent: flags.anonymous,
      statusMix: flags.statusMix,
      runId: flags.runId,
      seed: flags.seed,
      maxErrorRate: flags.maxErrorRate,
      maxDropRate: flags.maxDropRate,
    },
    scenario,
  );
}

function parseTargetOrThrow(target: string): string {
  return flag('--target', parseTarget)(target);
}
