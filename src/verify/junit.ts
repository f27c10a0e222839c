/**
 * JUnit XML of a VerifyReport: one testsuite per run, one testcase per tenant × check. Built with
 * fast-xml-parser's XMLBuilder (escaping and nesting by a well-kept library, the same one the tests
 * parse it with); only the characters XML 1.0 forbids are dropped here, which no builder does.
 */
import { XMLBuilder } from 'fast-xml-parser';
import { CHECK_TITLES, type CheckResult, statusOf, type VerifyReport } from './types.js';

/** One builder for both reports: attributes as `@name`, two-space indent, empty nodes self-closed. */
const XML = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  format: true,
  indentBy: '  ',
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
});

/** XML 1.0 forbids these control characters, even escaped. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the characters XML 1.0 forbids
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;
const clean = (s: string) => s.replace(FORBIDDEN, '');

type Node = Record<string, unknown>;

/** An element's attributes ('@' prefix) and its text, cleaned. */
function element(attrs: Record<string, string | number | boolean>, text?: string): Node {
  const node: Node = {};
  for (const [k, v] of Object.entries(attrs)) node[`@${k}`] = typeof v === 'string' ? clean(v) : String(v);
  if (text !== undefined) node['#text'] = clean(text);
  return node;
}

/**
 * A check left undecided by an interrupt is an <error> (the test did not complete), not a <failure>
 * (it was checked and wrong). A check with no data is a <failure type="no-data">, not <skipped>: CI
 * treats a skip as fine, and nothing to check is not a pass; not-testable is <skipped>.
 */
function testcase(r: CheckResult): Node {
  const tc = element({
    classname: `otelpoc.verify.${r.tenant}`,
    name: `${r.tenant}: ${CHECK_TITLES[r.check]}`,
    time: 0,
  });
  const lines = (...more: string[]) => [...more, `expected: ${r.expected}`, `found: ${r.found}`];
  if (r.skipped) {
    tc.skipped = element({ message: r.found });
  } else if (r.undecided) {
    tc.error = element(
      { message: 'interrupted before this check was decided', type: 'interrupted' },
      [...lines('last poll:'), ...r.problems].join('\n'),
    );
  } else if (!r.ok && statusOf(r) === 'no-data') {
    tc.failure = element(
      { message: `no data: ${r.found}`, type: 'no-data' },
      lines('nothing to check, so not passed').join('\n'),
    );
  } else if (!r.ok) {
    tc.failure = element(
      { message: r.problems[0] ?? 'failed', type: r.check },
      [...lines(), ...r.problems].join('\n'),
    );
  }
  return tc;
}

export function renderJunit(report: VerifyReport): string {
  // What the manifests themselves rule out (VerifyReport.cannotPass) is one failed testcase more.
  const blocked = report.cannotPass && report.cannotPass.length > 0 ? report.cannotPass : undefined;
  const tests = report.results.length + (blocked ? 1 : 0);
  const failures = report.results.filter((r) => !r.ok && !r.undecided).length + (blocked ? 1 : 0);
  const errors = report.results.filter((r) => r.undecided).length;
  const skipped = report.results.filter((r) => r.skipped).length;
  const time = (report.elapsedMs / 1000).toFixed(3);
  const property = Object.entries({
    runId: report.runId,
    source: report.source,
    interrupted: report.interrupted,
    settleMs: report.settleMs,
    greenForMs: report.greenForMs,
  }).map(([name, value]) => element({ name, value }));
  const testcases = report.results.map(testcase);
  if (blocked) {
    testcases.push({
      ...element({
        classname: 'otelpoc.verify.manifest',
        name: 'manifest: the run can be verified',
        time: 0,
      }),
      failure: element({ message: blocked[0]!, type: 'manifest' }, blocked.join('\n')),
    });
  }
  const doc = {
    '?xml': element({ version: '1.0', encoding: 'UTF-8' }),
    testsuites: {
      ...element({ name: 'otelpoc verify', tests, failures, errors, skipped, time }),
      testsuite: {
        ...element({ name: `otelpoc verify run ${report.runId}`, tests, failures, skipped, errors, time }),
        properties: { property },
        testcase: testcases,
      },
    },
  };
  return XML.build(doc);
}

/** A `run --matrix` verdict of one kind × tenant, as JUnit needs it (pipeline/matrix.ts MatrixCell). */
export interface MatrixJunitCase {
  kind: string;
  tenant: string;
  outcome: string;
  how: string;
  hop?: string;
  fixes?: string[];
  source?: string;
  ok: boolean;
}

/** JUnit XML of `run --matrix`: one testsuite, one testcase per kind × tenant, failed unless exact (or accepted). */
export function renderMatrixJunit(runId: string, cases: readonly MatrixJunitCase[]): string {
  const failures = cases.filter((c) => !c.ok).length;
  const testcase = cases.map((c) => {
    const tc = element({ classname: `otelpoc.matrix.${c.kind}`, name: `${c.kind}: ${c.tenant}`, time: 0 });
    if (!c.ok) {
      const more = [
        c.hop && `where: ${c.hop}`,
        c.fixes && `fix: ${c.fixes.join('; ')}`,
        c.source && `source: ${c.source}`,
      ];
      tc.failure = element(
        { message: `${c.outcome}: ${c.how}`, type: c.outcome },
        [c.how, ...more].filter(Boolean).join('\n'),
      );
    }
    return tc;
  });
  const attrs = { tests: cases.length, failures, errors: 0, skipped: 0, time: 0 };
  return XML.build({
    '?xml': element({ version: '1.0', encoding: 'UTF-8' }),
    testsuites: {
      ...element({ name: 'otelpoc run --matrix', ...attrs }),
      testsuite: { ...element({ name: `otelpoc run --matrix ${runId}`, ...attrs }), testcase },
    },
  });
}
