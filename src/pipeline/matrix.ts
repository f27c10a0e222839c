/**
 * `otelpoc run --matrix`'s core: every kind of OTLP metric data the endpoint can take (protocol ×
 * temporality × histogram aggregation, matrix-kinds.ts), each sent as its own run `<run-id>-<kind>`,
 * concurrently, through the same pipeline and tenants (one runPipeline per kind, each with its own
 * serve part and OtlpConfig), then one verdict per kind × tenant: exact, changed (how: the kind
 * check's change, accepted or not) or missing (which hop drops it, the setting that fixes it and
 * where the fact comes from: docs/stack-facts.md). Exit 0 only when every kind asked for is exact
 * (or changed, and the change accepted). The destination is chosen once, for every kind alike: all
 * in process (then no protocol is exercised: nothing is encoded, and every verdict says so) or all
 * through the pipeline.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { RunManifest } from '../manifest/schema.js';
import { writeRunManifest } from '../manifest/write.js';
import type { Given } from '../options/table.js';
import { writeReportFile } from '../report/write.js';
import { DEFAULT_OTLP_GRPC_ENDPOINT } from '../telemetry/config.js';
import { InterruptedError, UsageError } from '../util/errors.js';
import { isListening } from '../util/net.js';
import { writeFileAtomic } from '../util/output-file.js';
import { renderMatrixJunit } from '../verify/junit.js';
import { defaultBackendMetricsUrl } from '../verify/kinds/backend-drops.js';
import type { KindVerdict } from '../verify/kinds/verdict.js';
import { chooseDestination, destinationEvent } from './destination.js';
import { runPipeline, stopBoundMs } from './index.js';
import { stopLimitMs } from './lifecycle.js';
import type { LoadDeps } from './load.js';
import { defaultKinds, type MatrixKind } from './matrix-kinds.js';
import { type RUN_OPTIONS, resolveRun } from './run.js';
import type { PipelineConfig, RunReport } from './types.js';

/** Where every fact a verdict names comes from, each with its own source there. */
export const STACK_FACTS_SOURCE =
  'docs/stack-facts.md, "Every kind of data: what each hop does with it" and "What the test backends do with each kind of OTLP data (measured)"';
const IN_PROCESS = 'in process: protocol not exercised';

/** One kind × tenant. */
export interface MatrixCell {
  kind: string;
  tenant: string;
  outcome: 'exact' | 'changed' | 'missing';
  change?: string;
  accepted?: boolean;
  /** The verdict in a few words, for the table (`how` says it in full). */
  short: string;
  how: string;
  hop?: string;
  fixes?: string[];
  source?: string;
  ok: boolean;
}

export interface MatrixKindResult {
  kind: MatrixKind;
  runId: string;
  /** Where its metrics went: the endpoint, or "in process: protocol not exercised". */
  via: string;
  ok: boolean;
  exports: number;
  failedExports: number;
  manifestPaths: string[];
  cells: MatrixCell[];
}

export interface MatrixReport {
  ok: boolean;
  interrupted: boolean;
  embedded: boolean;
  destinationReason: string;
  runId: string;
  kinds: MatrixKindResult[];
}

/** The gRPC endpoint beside an OTLP/HTTP one: its host on the spec's gRPC port, 4317. */
function grpcBeside(metricsUrl: string): string {
  const u = new URL(metricsUrl);
  return `${u.protocol}//${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:4317`;
}

/** Serves, loads and verifies every kind asked for, concurrently; writes --json/--junit/--report outputs. */
export async function runMatrix(
  given: Given<typeof RUN_OPTIONS>,
  deps: LoadDeps,
): Promise<{ report: MatrixReport; code: 0 | 1 | 130; failure?: Error }> {
  const c = await resolveRun(given, deps.env, deps.cwd);
  const serve = c.config.serve!;
  const load = c.config.load!;
  const verify = c.config.verify!;
  if (serve.otlp.protocol === 'grpc') {
    throw new UsageError(
      `--matrix: the OTLP protocol is grpc (${serve.otlp.metricsUrl}); give --otlp-endpoint the OTLP/HTTP endpoint and --otlp-grpc-endpoint the gRPC one`,
    );
  }
  const dest = await chooseDestination(serve, verify.backend, deps.isListening ?? isListening);
  const kinds = c.matrix.kinds ?? defaultKinds(dest.embedded || c.matrix.grpcEndpoint !== undefined);
  const grpcUrl = c.matrix.grpcEndpoint ?? grpcBeside(serve.otlp.metricsUrl ?? DEFAULT_OTLP_GRPC_ENDPOINT);
  const runId = load.config.runId ?? randomUUID().slice(0, 8);
  const emit = deps.onEvent ?? (() => {});
  // The kinds run at once: a stop waits for the slowest, bounded as one run's.
  deps.stop?.limit(stopLimitMs(await stopBoundMs(c.config)), { quiet: c.quiet });
  // Every kind's pipeline listens to the one stop signal.
  if (deps.signal) setMaxListeners(20 + kinds.length * 10, deps.signal);
  emit(destinationEvent(serve, dest, verify.backend));
  const runs = await Promise.all(
    kinds.map(async (kind) => {
      const metricsUrl = kind.protocol === 'grpc' ? grpcUrl : serve.otlp.metricsUrl;
      const failures: string[] = [];
      const config: PipelineConfig = {
        serve: {
          ...serve,
          metrics: dest.embedded ? 'capture' : 'otlp',
          captureReason: dest.reason,
          otlp: {
            ...serve.otlp,
            metricsUrl,
            protocol: kind.protocol,
            temporality: kind.temporality,
            histogram: { ...serve.otlp.histogram, aggregation: kind.histogram },
          },
        },
        // Written below, one after the other: concurrent writes of last-run.json would collide.
        load: { ...load, write: false, config: { ...load.config, runId: `${runId}-${kind.slug}` } },
        verify: {
          ...verify,
          ...(dest.embedded || !verify.backend
            ? {}
            : { backendMetricsUrl: defaultBackendMetricsUrl(verify.backend.url) }),
        },
      };
      const warn = (line: string) => {
        failures.push(line);
        deps.warn(`${kind.slug}: ${line}`);
      };
      const report = await runPipeline(config, { ...deps, onEvent: undefined, warn });
      const via = dest.embedded ? IN_PROCESS : metricsUrl;
      return {
        result: kindResult(kind, `${runId}-${kind.slug}`, via, report, failures),
        manifest: report.manifest,
      };
    }),
  );
  const results = runs.map((x) => x.result);
  for (const x of runs) {
    if (x.manifest && load.write !== false)
      x.result.manifestPaths = await writeRunManifest(x.manifest, undefined, load.cwd);
  }
  const report: MatrixReport = {
    ok: results.every((k) => k.ok),
    interrupted: results.some((k) => k.cells.some((x) => x.how.startsWith('interrupted'))),
    embedded: dest.embedded,
    destinationReason: dest.reason,
    runId,
    kinds: results,
  };
  await writeMatrixOutputs(
    report,
    c.files,
    runs.flatMap((x) => (x.manifest ? [x.manifest] : [])),
    emit,
  );
  if (report.interrupted)
    return {
      report,
      code: 130,
      failure: new InterruptedError('run --matrix interrupted: the table shows what was decided'),
    };
  return { report, code: report.ok ? 0 : 1 };
}

async function writeMatrixOutputs(
  report: MatrixReport,
  files: Awaited<ReturnType<typeof resolveRun>>['files'],
  manifests: RunManifest[],
  emit: NonNullable<LoadDeps['onEvent']>,
): Promise<void> {
  const junit = files['--junit'];
  if (junit) await writeFileAtomic(junit.path, renderMatrixJunit(report.runId, allCells(report)), '--junit');
  const html = files['--report'];
  if (!html) return;
  if (manifests.length === 0) return;
  await writeReportFile(html.path, {
    command: 'run',
    manifests: manifests.slice(0, 1),
    matrix: matrixTable(report),
  });
  emit({ type: 'report-written', shown: html.shown });
}

export function allCells(report: MatrixReport): MatrixCell[] {
  return report.kinds.flatMap((k) => k.cells);
}

/** " (Bad Request)": what refused an export, from its warning line. */
function refusal(warning: string | undefined): string {
  const why = warning && /failed: ([^(;]+)/.exec(warning)?.[1]?.trim();
  return why ? ` (${why})` : '';
}

const FORM: Record<string, string> = {
  classic: 'le buckets',
  native: 'native histogram',
  vmrange: 'vmrange buckets',
  none: 'no histogram',
};

/** A kind verdict in a few words: the form it arrived in, the change, or what is missing and the backend's counter. */
function shortOf(v: KindVerdict, kind: MatrixKind): string {
  const deltas = kind.temporality === 'cumulative' ? '' : ', deltas summed';
  if (v.outcome === 'exact') return `as sent: ${FORM[v.arrived]}${deltas}`;
  if (v.outcome === 'changed') return `${FORM[v.arrived]}, counts exact${deltas}`;
  const counters = [...v.how.matchAll(/(\w+\{reason="[^"]+"(?:,user="[^"]*")?\} = \d+)/g)].map((m) => m[1]);
  const what = v.how.split(/[;:]/)[0]!;
  return counters.length > 0 ? `${what}; ${counters.join(', ')}` : what;
}

/** One kind's verdict per tenant, from its run's report. */
function kindResult(
  kind: MatrixKind,
  runId: string,
  via: string,
  r: RunReport,
  warnings: string[],
): MatrixKindResult {
  const server = r.manifest?.server;
  const exports = server?.exports ?? 0;
  const failedExports = server?.failedExports ?? 0;
  const note = via === IN_PROCESS ? ` (${IN_PROCESS})` : '';
  const exportFailure =
    failedExports > 0
      ? `${failedExports} of ${exports} exports to ${via} failed${warnings.length > 0 ? ` (${warnings[0]})` : ''}`
      : undefined;
  const base = { kind: kind.slug };
  let cells: MatrixCell[];
  if (r.interrupted || !r.verify) {
    const why = r.interrupted
      ? 'interrupted'
      : `not verified${r.workerFailures ? `: ${r.workerFailures.join('; ')}` : ''}`;
    cells = [{ ...base, tenant: '*', outcome: 'missing', short: why, how: why, ok: false }];
  } else {
    const failing = r.verify.results.filter((x) => !x.ok && x.check !== 'kind');
    cells = (r.verify.kinds?.tenants ?? []).map((v): MatrixCell => {
      const checksFailed = failing.filter((x) => x.tenant === v.tenant).map((x) => x.check);
      if (v.outcome !== 'exact' && exportFailure && v.outcome === 'missing') {
        return {
          ...base,
          tenant: v.tenant,
          outcome: 'missing',
          short: `export failed: ${failedExports} of ${exports}${refusal(warnings[0])}`,
          how: `a failed export: ${exportFailure}; ${v.how}`,
          hop: `the OTLP endpoint refused ${kind.protocol} exports`,
          fixes: [
            `export ${kind.protocol === 'http/json' ? 'http/protobuf' : 'another protocol'}`,
            `or put a receiver that takes ${kind.protocol} in front (Alloy's otelcol.receiver.otlp)`,
          ],
          source: STACK_FACTS_SOURCE,
          ok: false,
        };
      }
      const exact = v.outcome === 'exact' && checksFailed.length === 0;
      const accepted = v.outcome === 'changed' && v.accepted === true;
      return {
        ...base,
        tenant: v.tenant,
        outcome: v.outcome === 'exact' && checksFailed.length > 0 ? 'missing' : v.outcome,
        short:
          v.outcome === 'exact' && checksFailed.length > 0
            ? `checks failed: ${checksFailed.join(', ')}`
            : shortOf(v, kind) + (note ? `; ${IN_PROCESS}` : ''),
        ...(v.change ? { change: v.change, accepted: v.accepted ?? false } : {}),
        how:
          (v.outcome === 'exact' && checksFailed.length > 0
            ? `arrived as sent, but checks failed: ${checksFailed.join(', ')}`
            : v.how) + note,
        ...(v.hop ? { hop: v.hop } : {}),
        ...(v.fixes ? { fixes: v.fixes } : {}),
        ...(v.hop || v.fixes ? { source: STACK_FACTS_SOURCE } : {}),
        ok: (exact || accepted) && r.ok,
      };
    });
    if (cells.length === 0) {
      cells = [
        {
          ...base,
          tenant: '*',
          outcome: 'missing',
          short: `no tenant to judge${exportFailure ? `: ${failedExports} of ${exports} exports failed` : ''}`,
          how: `no tenant to judge${exportFailure ? `: ${exportFailure}` : ''}`,
          ok: false,
        },
      ];
    }
  }
  return {
    kind,
    runId,
    via,
    ok: r.ok && cells.every((x) => x.ok),
    exports,
    failedExports,
    manifestPaths: r.manifestPaths ?? [],
    cells,
  };
}

/** The table the CLI prints (and the HTML report shows): kind × tenant, then the why of each non-exact kind. */
export function matrixTable(report: MatrixReport): { rows: string[][]; notes: string[] } {
  const rows = [['kind', 'tenant', 'verdict', 'in short']];
  const notes: string[] = [];
  for (const k of report.kinds) {
    for (const x of k.cells) {
      const verdict =
        x.outcome === 'changed' ? `changed (${x.change}${x.accepted ? ', accepted' : ''})` : x.outcome;
      rows.push([x.kind, x.tenant, verdict, x.short]);
    }
    const why = k.cells.find((x) => !x.ok && (x.hop || x.fixes));
    if (why) {
      notes.push(
        `${k.kind.slug}: ${why.hop ? `where: ${why.hop}` : ''}${why.fixes ? `; fix: ${why.fixes.join('; ')}` : ''}; source: ${why.source}`,
      );
    }
  }
  const exact = allCells(report).filter((x) => x.ok).length;
  notes.push(
    `${report.kinds.filter((k) => k.ok).length} of ${report.kinds.length} kinds exact (${exact} of ${allCells(report).length} kind × tenant)${report.embedded ? `; ${IN_PROCESS} (${report.destinationReason})` : ''}`,
  );
  return { rows, notes };
}
