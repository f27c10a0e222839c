/**
 * Scenario files: YAML with stages (constant, linear ramp, spike), tenants, status mix, per-stage
 * status-mix overrides and thresholds. Validated with zod; every problem is reported, one line each,
 * naming the file and path: `scenarios/x.yaml: stages[1].rate: expected a number ≥ 0, got "fast"`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { readDurationMs } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import { formatPath } from '../util/format-path.js';
import type { LoadInput, ScenarioInput } from './config.js';
import {
  checkStageRate,
  parseClientIds,
  parsePercent,
  parseRate,
  parseRunId,
  parseStatusMix,
  parseTarget,
  parseWeights,
  STATUS_MIX_EXPECTED,
  type StatusWeight,
  TARGET_EXPECTED,
  ValueProblem,
} from './values.js';

const DURATION_EXPECTED = 'a duration like 500ms, 30s or 2m';

/** A field parsed by `fn`; its ValueProblem becomes the issue's message, with the input quoted. */
function field<T>(expected: string, fn: (v: unknown) => T) {
  return z.unknown().transform((v, ctx): T => {
    try {
      if (v === undefined || v === null) throw new ValueProblem(expected);
      return fn(v);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: err instanceof ValueProblem ? err.message : `expected ${expected}`,
        input: v,
      });
      return z.NEVER;
    }
  });
}

const text = (v: unknown): string => {
  if (typeof v === 'string') return v;
  // Plain decimals, as a flag would be typed: YAML's 0.0000001 is the number 1e-7, whose String()
  // the flag parsers would refuse as a syntax error instead of naming the precision allowed.
  if (typeof v === 'number')
    return v.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
  throw new ValueProblem('text');
};
const numberAtLeast0 = (v: unknown): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ValueProblem('a number ≥ 0');
  return v;
};
const intIn = (min: number, max: number) => (v: unknown) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ValueProblem(`an integer from ${min} to ${max}`);
  }
  return v;
};
const duration = (v: unknown): number => {
  if (typeof v !== 'string') throw new ValueProblem(DURATION_EXPECTED);
  const ms = readDurationMs(v); // the same bounds as the flags: 1 ms to 24 days
  if (typeof ms !== 'number') {
    throw new ValueProblem(ms.expected.startsWith('a duration like') ? DURATION_EXPECTED : ms.expected);
  }
  return ms;
};
/** A stage's rate: 0 (a pause) or within the bounds of --rps. */
const stageRate = (v: unknown): number => checkStageRate(numberAtLeast0(v));
const statusMix = (v: unknown): StatusWeight[] => {
  if (typeof v === 'string' || typeof v === 'number') return parseStatusMix(String(v));
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    return parseStatusMix(
      Object.entries(v)
        .map(([k, w]) => `${k}:${typeof w === 'number' ? text(w) : w}`)
        .join(','),
    );
  }
  throw new ValueProblem(`${STATUS_MIX_EXPECTED}, or a mapping like {200: 85, 404: 10}`);
};
const percent = (v: unknown): number => parsePercent(text(v));
const share = (v: unknown): number => parsePercent(text(v), { share: true });
const fraction = (v: unknown): number => percent(v) / 100;

function strict<S extends z.ZodRawShape>(shape: S, what: string) {
  const keys = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')}; allowed: ${keys}`
        : `expected ${what} with fields ${keys}`,
  });
}

const StageSchema = strict(
  {
    duration: field(DURATION_EXPECTED, duration),
    rate: field('a number ≥ 0', stageRate),
    rampTo: field('a number ≥ 0', stageRate).optional(),
    statusMix: field(STATUS_MIX_EXPECTED, statusMix).optional(),
  },
  'a stage',
);

const ScenarioSchema = strict(
  {
    description: field('text', text).optional(),
    target: field(TARGET_EXPECTED, (v) => parseTarget(text(v))).optional(),
    runId: field('a run id', (v) => parseRunId(text(v))).optional(),
    rate: field('a number > 0 or "max"', (v) => parseRate(text(v))).optional(),
    stages: z
      .array(StageSchema, { error: 'expected a list of stages' })
      .min(1, { error: 'expected at least one stage' })
      .optional(),
    duration: field(DURATION_EXPECTED, duration).optional(),
    requests: field('an integer from 1 to 100000000', intIn(1, 100_000_000)).optional(),
    connections: field('an integer from 1 to 10000', intIn(1, 10_000)).optional(),
    maxInflight: field('an integer from 1 to 100000', intIn(1, 100_000)).optional(),
    timeout: field(DURATION_EXPECTED, duration).optional(),
    tenants: field('a number of tenants from 1 to 10000, or a list of Client-ID values', (v) =>
      Array.isArray(v) ? parseClientIds(v.map(text).join(',')) : intIn(1, 10_000)(v),
    ).optional(),
    tenantWeights: field('a list of weights > 0', (v) =>
      parseWeights(Array.isArray(v) ? v.map(text).join(',') : text(v)),
    ).optional(),
    anonymous: field('a percentage from 0 up to 100, like 10%', share).optional(),
    statusMix: field(STATUS_MIX_EXPECTED, statusMix).optional(),
    thresholds: strict(
      {
        maxErrorRate: field('a percentage like 1%', fraction).optional(),
        maxDropRate: field('a percentage like 0.1%', fraction).optional(),
      },
      'thresholds',
    ).optional(),
  },
  'a scenario',
);

function show(input: unknown): string {
  if (input === undefined) return 'nothing';
  const s = JSON.stringify(input);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Validates parsed YAML; throws one UsageError with one line per problem. */
export function parseScenario(data: unknown, source: string): LoadInput {
  return parseScenarioFile(data, source).spec;
}

/** parseScenario, and the file's description. */
function parseScenarioFile(data: unknown, source: string): { spec: LoadInput; description?: string } {
  const result = ScenarioSchema.safeParse(data ?? {}, { reportInput: true });
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const where = formatPath(issue.path);
      const withInput =
        issue.code !== 'unrecognized_keys' && !issue.message.startsWith('expected at least')
          ? `, got ${show((issue as { input?: unknown }).input)}`
          : '';
      return `${source}: ${where}: ${issue.message}${withInput}`;
    });
    throw new UsageError(lines.join('\n'));
  }
  const s = result.data;
  const problems: string[] = [];
  if (s.stages && s.rate !== undefined)
    problems.push(`${source}: rate: give either rate or stages, not both`);
  // Settings of the other model are refused, as the flags are (see resolveLoadConfig).
  if (s.connections !== undefined && (s.stages || (s.rate !== undefined && s.rate !== 'max'))) {
    problems.push(
      `${source}: connections: only with rate: max (the closed model); the open model bounds concurrency with maxInflight`,
    );
  }
  if (s.maxInflight !== undefined && s.rate === 'max') {
    problems.push(
      `${source}: maxInflight: only with the open model (a rate or stages); with rate: max, connections bounds concurrency`,
    );
  }
  if (s.tenantWeights && Array.isArray(s.tenants) && s.tenantWeights.length !== s.tenants.length) {
    problems.push(
      `${source}: tenantWeights: expected ${s.tenants.length} weights (one per tenant), got ${s.tenantWeights.length}`,
    );
  }
  if (s.tenantWeights && typeof s.tenants === 'number' && s.tenantWeights.length !== s.tenants) {
    problems.push(
      `${source}: tenantWeights: expected ${s.tenants} weights (one per tenant), got ${s.tenantWeights.length}`,
    );
  }
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  // The scenario's own names (duration, timeout, anonymous, a list of tenants) become LoadInput's.
  const spec: LoadInput = {
    target: s.target,
    runId: s.runId,
    rate: s.rate,
    stages: s.stages?.map((st) => ({
      durationMs: st.duration,
      rate: st.rate,
      rampTo: st.rampTo,
      statusMix: st.statusMix,
    })),
    durationMs: s.duration,
    requests: s.requests,
    connections: s.connections,
    maxInflight: s.maxInflight,
    timeoutMs: s.timeout,
    tenants: typeof s.tenants === 'number' ? s.tenants : undefined,
    clientIds: Array.isArray(s.tenants) ? s.tenants : undefined,
    tenantWeights: s.tenantWeights,
    anonymousPercent: s.anonymous,
    statusMix: s.statusMix,
    thresholds: s.thresholds,
  };
  return { spec, description: s.description };
}

/** Parses YAML text, reporting syntax errors with their line. */
export function parseScenarioText(yamlText: string, source: string): LoadInput {
  return parseScenarioYaml(yamlText, source).spec;
}

function parseScenarioYaml(yamlText: string, source: string): { spec: LoadInput; description?: string } {
  const doc = parseDocument(yamlText, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new UsageError(
      doc.errors
        .map((e) => `${source}: not valid YAML: ${e.message.split('\n')[0]!.replace(/:$/, '')}`)
        .join('\n'),
    );
  }
  return parseScenarioFile(doc.toJS(), source);
}

/** The scenarios shipped with otelpoc (the package's scenarios/ folder). */
export const SHIPPED_SCENARIOS_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

export async function shippedScenarioNames(): Promise<string[]> {
  const files = await readdir(SHIPPED_SCENARIOS_DIR).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

/**
 * `--scenario ramp` (a shipped name) or `--scenario path/to/file.yaml` (relative to `cwd`).
 * Returns the spec and how to name it (the name, or the path as given).
 */
export async function loadScenario(nameOrPath: string, cwd: string): Promise<ScenarioInput> {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || extname(nameOrPath) !== '';
  const file = looksLikePath
    ? isAbsolute(nameOrPath)
      ? nameOrPath
      : resolve(cwd, nameOrPath)
    : join(SHIPPED_SCENARIOS_DIR, `${nameOrPath}.yaml`);
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') {
      const names = await shippedScenarioNames();
      throw new UsageError(
        `--scenario: no scenario "${nameOrPath}"; shipped: ${names.join(', ') || '(none found)'}, or give a path to a .yaml file`,
      );
    }
    throw new UsageError(`--scenario: cannot read ${nameOrPath}: ${(err as Error).message}`);
  }
  const source = looksLikePath ? nameOrPath : `scenarios/${nameOrPath}.yaml`;
  const { spec, description } = parseScenarioYaml(content, source);
  return { name: nameOrPath, spec, description };
}
