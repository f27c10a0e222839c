import { type Command, Option } from 'commander';

import {
  LOAD_DEFAULTS,
  type LoadConfig,
  type LoadDefaults,
  type LoadInput,
  type ScenarioInput,
} from '../load/config.js';

import {
  parseClientIds,
  parsePercent,
  parsePositiveInt,
  parseRate,
  parseRunId,
  parseStatusMix,
  parseTarget,
  parseWeights,
} from '../load/values.js';
import { formatDurationMs, parseDurationMs } from '../util/duration.js';

import { UsageError } from '../util/errors.js';
import { ValueProblem } from '../util/value-problem.js';
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
  statusMix?: LoadInput['statusMix'];
  runId?: string;
  scenario?: string;
  maxErrorRate?: number;
  maxDropRate?: number;
}

/**
 * The load option table: every load flag except --serve, --out, --json and --quiet (the commands
 * own those), each with its parser and its default, declared once. A command may give its own
 * defaults (run: a short run). The defaults are the lowest layer: a scenario file overrides them,
 * a flag given overrides the scenario (loadConfigFromCommand tells given from default).
 */
export function addLoadOptions(cmd: Command, over: Partial<LoadDefaults> = {}): Command {
  const d: LoadDefaults = { ...LOAD_DEFAULTS, ...over };
  // At least 1 ms, at most 24 days (MAX_DURATION_MS); the message names the flag and the limit.
  const duration = (name: string) => (t: string) => parseDurationMs(t, name);
  const pct = (name: string) => flag(name, (t) => parsePercent(t) / 100);
  return cmd
    .addOption(
      new Option(
        '--target <url>',
        'http(s) URL of the server to load; /api is appended when no path is given',
      )
        .default(d.target, d.target.replace(/\/api$/, ''))
        .argParser(flag('--target', parseTarget)),
    )
    .addOption(
      new Option('--rps <rate>', 'requests per second (open model), or "max" for the closed model')
        .default(d.ratePerSec)
        .argParser(flag('--rps', parseRate)),
    )
    .addOption(
      new Option('-d, --duration <duration>', 'how long to run, like 30s or 2m')
        .default(d.durationMs, `${formatDurationMs(d.durationMs)} unless --requests`)
        .argParser(duration('--duration')),
    )
    .addOption(
      new Option(
        '-n, --requests <n>',
        'exact number of requests to schedule (with --duration: whichever comes first)',
      ).argParser(flag('--requests', (t) => parsePositiveInt(t, 100_000_000))),
    )
    .addOption(
      new Option('-c, --connections <n>', 'connections of the closed model (--rps max)')
        .default(d.connections)
        .argParser(flag('--connections', (t) => parsePositiveInt(t, 10_000))),
    )
    .addOption(
      new Option(
        '--max-inflight <n>',
        'open model: requests in flight at most; a request due beyond it is dropped and counted',
      )
        .default(d.maxInflight)
        .argParser(flag('--max-inflight', (t) => parsePositiveInt(t, 100_000))),
    )
    .addOption(
      new Option('--timeout <duration>', 'per-request timeout; timeouts are counted apart and never retried')
        .default(d.timeoutMs, formatDurationMs(d.timeoutMs))
        .argParser(duration('--timeout')),
    )
    .addOption(
      new Option('--tenants <n>', 'send Client-ID tenant-1 … tenant-N')
        .default(d.tenants)
        .argParser(flag('--tenants', (t) => parsePositiveInt(t, 10_000))),
    )
    .addOption(
      new Option('--client-ids <ids>', 'comma-separated Client-ID values instead of tenant-N').argParser(
        flag('--client-ids', parseClientIds),
      ),
    )
    .addOption(
      new Option('--tenant-weights <weights>', 'comma-separated tenant weights, like 5,1,1')
        .default(undefined, 'equal')
        .argParser(flag('--tenant-weights', parseWeights)),
    )
    .addOption(
      new Option('--anonymous <percent>', 'share of requests sent without Client-ID, like 10%')
        .default(0, '0%')
        .argParser(flag('--anonymous', (t) => parsePercent(t, { share: true }))),
    )
    .addOption(
      new Option('--status-mix <mix>', 'status codes to ask for with ?sc=, with weights')
        .default(parseStatusMix(d.statusMix), d.statusMix)
        .argParser(flag('--status-mix', parseStatusMix)),
    )
    .addOption(
      new Option('--run-id <id>', 'X-Run-ID sent with every request')
        .default(undefined, 'generated')
        .argParser(flag('--run-id', parseRunId)),
    )
    .addOption(
      new Option(
        '--scenario <name|file>',
        'a shipped scenario (smoke, steady, ramp, spike, error-burst, many-tenants) or a YAML file; flags given override it',
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

/** Whether the user gave this option (on the command line or through its env var), not its default. */
export function given(cmd: Command, name: keyof LoadFlags): boolean {
  const source = cmd.getOptionValueSource(name);
  return source === 'cli' || source === 'env';
}

/** The LoadInput of the load flags the user gave; defaults are left to resolveLoadConfig. */
export function loadInputFromCommand(cmd: Command): LoadInput {
  const f = cmd.opts<LoadFlags>();
  const pick = <K extends keyof LoadFlags>(name: K): LoadFlags[K] | undefined =>
    given(cmd, name) ? f[name] : undefined;
  const thresholds = { maxErrorRate: pick('maxErrorRate'), maxDropRate: pick('maxDropRate') };
  return {
    target: pick('target'),
    rate: pick('rps'),
    durationMs: pick('duration'),
    requests: pick('requests'),
    connections: pick('connections'),
    maxInflight: pick('maxInflight'),
    timeoutMs: pick('timeout'),
    tenants: pick('tenants'),
    clientIds: pick('clientIds'),
    tenantWeights: pick('tenantWeights'),
    anonymousPercent: pick('anonymous'),
    statusMix: pick('statusMix'),
    runId: pick('runId'),
    thresholds:
      thresholds.maxErrorRate !== undefined || thresholds.maxDropRate !== undefined ? thresholds : undefined,
  };
}

/** The defaults of the command's load options (what --help shows), as resolveLoadConfig takes them. */
function defaultsOf(cmd: Command): LoadDefaults {
  const value = (name: string) => cmd.options.find((o) => o.attributeName() === name)?.defaultValue;
  const statusMix = value('statusMix') as LoadInput['statusMix'];
  return {
    target: value('target') as string,
    ratePerSec: value('rps') as number,
    durationMs: value('duration') as number,
    connections: value('connections') as number,
    maxInflight: value('maxInflight') as number,
    timeoutMs: value('timeout') as number,
    tenants: value('tenants') as number,
    statusMix: (statusMix ?? []).map((s) => `${s.status}:${s.weight}`).join(','),
  };
}

/**
 * Resolves --scenario and the flags given into a validated LoadConfig. `target` overrides --target
 * when given (the in-process server of --serve/run); pass '' to use --target or the default.
 * `makeRunId`: called when neither the flags nor the scenario give a run id (default: a new one).
 */
export async function loadConfigFromCommand(
  cmd: Command,
  ctx: CliContext,
  target: string,
  makeRunId?: () => string,
): Promise<LoadConfig> {
  const { resolveLoadConfig } = await import('../load/config.js');
  const scenarioArg = cmd.opts<LoadFlags>().scenario;
  let scenario: ScenarioInput | undefined;
  if (scenarioArg !== undefined) {
    const { loadScenario } = await import('../load/scenario.js');
    scenario = await loadScenario(scenarioArg, ctx.runtime.cwd);
  }
  const input = loadInputFromCommand(cmd);
  if (target) input.target = flag('--target', parseTarget)(target);
  return resolveLoadConfig(input, scenario, makeRunId, defaultsOf(cmd));
}
