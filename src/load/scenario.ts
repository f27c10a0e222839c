/**
 * Scenario files: YAML with stages (constant, linear ramp, spike), tenants, status mix, per-stage
 * status-mix overrides and thresholds. Validated with zod; every problem is reported, one line each,
 * naming the file and path: `scenarios/x.yaml: stages[1].rate: expected a number ≥ 0, got "fast"`.
 */
import { readdir, readFile } from 'node:fs/promises';

import { basename, extname, isAbsolute, join, resolve } from 'node:path';

import { fileURLToPath } from 'node:url';

import { type Document, isPair, isScalar, isSeq, parseDocument, type Scalar, visit } from 'yaml';

import { z } from 'zod';

import { readDurationMs } from '../util/duration.js';

import { UsageError } from '../util/errors.js';

import { formatPath } from '../util/format-path.js';
import type { NamedFile } from '../util/output-file.js';
import { ValueProblem } from '../util/value-problem.js';
import type { LoadInput, ScenarioInput } from './config.js';
import {
  checkStageRate,
  parseClientIds,
  parsePercent,
  parseRate,
  parseRunId,
  parseStartAt,
  parseStatusMix,
  parseTarget,
  parseWeights,
  parseWorkersValue,
  RATE_EXPECTED,
  START_AT_EXPECTED,
  STATUS_MIX_EXPECTED,
  WORKERS_EXPECTED,
} from './values.js';

const DURATION_EXPECTED = 'a duration like 500ms, 30s or 2m';
const STATUS_MIX_FORMS = `${STATUS_MIX_EXPECTED}, or a mapping like {200: 85, 404: 10}`;

/** One message for every way a value can be wrong: "expected <what>" (the input is added when shown). */
const expected = (what: string) => ({ error: `expected ${what}` });

/**
 * A value checked further by a value parser of ./values.ts, the one the flags use, so a scenario
 * and a flag accept the same values: its ValueProblem ("expected …") becomes the issue.
 */
function through<I, T>(schema: z.ZodType<I>, parse: (value: I) => T) {
  return schema.transform((value, ctx): T => {
    try {
      return parse(value);
    } catch (err) {
      if (!(err instanceof ValueProblem)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, input: value });
      return z.NEVER;
    }
  });
}

/** Text, or a number (YAML reads `rate: 50` and `anonymous: 10` as numbers). */
const scalar = z.union([z.string(), z.number()], expected('text'));

/**
 * A scalar as a flag would be typed: numbers as plain decimals. YAML's 0.0000001 is the number
 * 1e-7, whose String() the value parsers would refuse as a syntax error instead of naming the
 * precision allowed.
 */
const plain = (v: string | number): string =>
  typeof v === 'string' ? v : v.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });

const integer = (min: number, max: number) => {
  const e = expected(`an integer from ${min} to ${max}`);
  return z.number(e).int(e).min(min, e).max(max, e);
};

/** The same bounds as the flags: 1 ms to 24 days. */
const duration = through(z.string(expected(DURATION_EXPECTED)), (v) => {
  const ms = readDurationMs(v);
  if (typeof ms === 'number') return ms;
  throw new ValueProblem(ms.expected.startsWith('a duration like') ? DURATION_EXPECTED : ms.expected);
});

/** A stage's rate: 0 (a pause) or within the bounds of --rps. */
const stageRate = through(
  z.number(expected('a number ≥ 0')).min(0, expected('a number ≥ 0')),
  checkStageRate,
);

/** "200:85,404:10" (or one status, 500), or a mapping {200: 85, 404: 10}. */
const statusMix = through(
  z.union(
    [z.string(), z.number(), z.record(z.string(), z.union([z.number(), z.string()]))],
    expected(STATUS_MIX_FORMS),
  ),
  (v) =>
    parseStatusMix(
      typeof v === 'object'
        ? Object.entries(v)
            .map(([status, w]) => `${status}:${plain(w)}`)
            .join(',')
        : String(v),
    ),
);

/** A percentage, "10%" or 10. */
const percent = (opts: { share?: boolean } = {}) => through(scalar, (v) => parsePercent(plain(v), opts));

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
    duration,
    rate: stageRate,
    rampTo: stageRate.optional(),
    statusMix: statusMix.optional(),
  },
  'a stage',
);

/** A scenario file as written; parseScenarioFile maps its names onto LoadInput's. */
const ScenarioSchema = strict(
  {
    description: scalar.transform(plain).optional(),
    target: through(scalar, (v) => parseTarget(plain(v))).optional(),
    runId: through(scalar, (v) => parseRunId(plain(v))).optional(),
    rate: through(z.union([z.number(), z.string()], expected(RATE_EXPECTED)), (v) =>
      parseRate(plain(v)),
    ).optional(),
    stages: z
      .array(StageSchema, expected('a list of stages'))
      .min(1, expected('at least one stage'))
      .optional(),
    duration: duration.optional(),
    requests: integer(1, 100_000_000).optional(),
    connections: integer(1, 10_000).optional(),
    maxInflight: integer(1, 100_000).optional(),
    timeout: duration.optional(),
    /** A number of tenants (tenant-1 … tenant-N), or the Client-ID values. */
    tenants: through(
      z.union(
        [integer(1, 10_000), z.array(scalar)],
        expected('a number of tenants from 1 to 10000, or a list of Client-ID values'),
      ),
      (v) => (typeof v === 'number' ? v : parseClientIds(v.map(plain).join(','))),
    ).optional(),
    tenantWeights: through(
      z.union([z.array(scalar), scalar], expected('a list of weights > 0, like [5, 1, 1] or "5,1,1"')),
      (v) => parseWeights(Array.isArray(v) ? v.map(plain).join(',') : plain(v)),
    ).optional(),
    anonymous: percent({ share: true }).optional(),
    statusMix: statusMix.optional(),
    /** --start-at's: an RFC 3339 instant with its zone (YAML 1.2 keeps an unquoted one a string). */
    startAt: through(z.string(expected(START_AT_EXPECTED)), parseStartAt).optional(),
    /** --workers': a count or "auto" (resolved where it is known whether the server runs here). */
    workers: through(z.union([z.number(), z.string()], expected(WORKERS_EXPECTED)), (v) =>
      parseWorkersValue(plain(v)),
    ).optional(),
    thresholds: strict(
      {
        maxErrorRate: percent()
          .transform((p) => p / 100)
          .optional(),
        maxDropRate: percent()
          .transform((p) => p / 100)
          .optional(),
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

/** A scenario file's contents: its LoadInput, its description and its scale settings (ScenarioInput's). */
type ScenarioContents = Omit<ScenarioInput, 'name'>;

/** parseScenario, and the file's description and scale settings. */
function parseScenarioFile(data: unknown, source: string): ScenarioContents {
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
  return {
    spec,
    description: s.description,
    ...(s.startAt !== undefined ? { startAt: s.startAt } : {}),
    ...(s.workers !== undefined ? { workers: s.workers } : {}),
  };
}

/** Parses YAML text, reporting syntax errors with their line. */
export function parseScenarioText(yamlText: string, source: string): LoadInput {
  return parseScenarioYaml(yamlText, source).spec;
}

/** The top-level fields a scenario file may have (the docs' list must name each: test/docs). */
export const SCENARIO_FIELDS: readonly string[] = Object.keys(ScenarioSchema.shape);

function parseScenarioYaml(yamlText: string, source: string): ScenarioContents {
  const doc = parseDocument(yamlText, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new UsageError(
      doc.errors
        .map((e) => `${source}: not valid YAML: ${e.message.split('\n')[0]!.replace(/:$/, '')}`)
        .join('\n'),
    );
  }
  const problems = numberProblems(doc, yamlText, source);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // The yaml library's guard against alias bombs (a few lines expanding to billions of nodes).
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new UsageError(
        `${source}: not valid YAML: its aliases (*name) expand to too many nodes (more than ${MAX_ALIAS_COUNT} uses); write the values out`,
        { cause: err },
      );
    }
    throw err;
  }
  return parseScenarioFile(data, source);
}

/** Alias uses allowed when the YAML is turned into data: a scenario needs none; the yaml default. */
const MAX_ALIAS_COUNT = 100;

/**
 * Numbers a flag would refuse, found in the YAML before it becomes data: hex, octal and binary
 * (YAML reads `tenants: 0x10` as 16, while --tenants 0x10 is refused; one rule for both, and 0o17
 * is more likely a typo than a wish), and numbers past the float range (`rate: 1e400` is Infinity,
 * which the schema would report as "got null"). One line per problem, naming the path.
 */
function numberProblems(doc: Document, yamlText: string, source: string): string[] {
  const problems: string[] = [];
  visit(doc, {
    Scalar(_key, node, path) {
      if (typeof node.value !== 'number') return;
      const text = node.range ? yamlText.slice(node.range[0], node.range[1]) : String(node.source);
      const where = formatPath(scalarPath(path, node));
      if (!Number.isFinite(node.value)) {
        problems.push(`${source}: ${where}: expected a finite number, got ${text}`);
      } else if (node.format === 'HEX' || node.format === 'OCT' || node.format === 'BIN') {
        problems.push(`${source}: ${where}: expected a decimal number (as the flags take), got ${text}`);
      }
    },
  });
  return problems;
}

/** The path of a scalar from the visitor's ancestors: map keys and sequence indexes. */
function scalarPath(ancestors: readonly unknown[], node: Scalar): PropertyKey[] {
  const chain = [...ancestors, node];
  const out: PropertyKey[] = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const a = chain[i];
    if (isPair(a)) {
      if (chain[i + 1] === a.key) break; // a key itself: named by its parent's path
      out.push(isScalar(a.key) ? String(a.key.value) : '?');
    } else if (isSeq(a)) {
      out.push(a.items.indexOf(chain[i + 1] as never));
    }
  }
  return out;
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

/** Whether --scenario names a file (a path) rather than a shipped scenario. */
export function looksLikeScenarioPath(nameOrPath: string): boolean {
  return nameOrPath.includes('/') || nameOrPath.includes('\\') || extname(nameOrPath) !== '';
}

/** The file `--scenario` reads: a path relative to `cwd`, or a shipped scenario's file. */
export function scenarioFile(nameOrPath: string, cwd: string): string {
  if (!looksLikeScenarioPath(nameOrPath)) return join(SHIPPED_SCENARIOS_DIR, `${nameOrPath}.yaml`);
  return isAbsolute(nameOrPath) ? nameOrPath : resolve(cwd, nameOrPath);
}

/**
 * `--scenario ramp` (a shipped name) or `--scenario path/to/file.yaml` (relative to `cwd`).
 * Returns the spec and how to name it (the name, or the path as given).
 */
export async function loadScenario(nameOrPath: string, cwd: string): Promise<ScenarioInput> {
  const looksLikePath = looksLikeScenarioPath(nameOrPath);
  const file = scenarioFile(nameOrPath, cwd);
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
  return { name: nameOrPath, ...parseScenarioYaml(content, source) };
}

/** The file a load reads, to be kept apart from its outputs: the --scenario file, if any. */
export function scenarioInputs(scenario: string | undefined, cwd: string): NamedFile[] {
  if (scenario === undefined) return [];
  const path = looksLikeScenarioPath(scenario) ? scenario : scenarioFile(scenario, cwd);
  return [{ flag: '--scenario', path, cwd }];
}
