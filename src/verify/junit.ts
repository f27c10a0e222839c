import { CHECK_TITLES, statusOf, type VerifyReport } from './types.js';

/**
 * JUnit XML: one testsuite per run, one testcase per tenant × check. A check left undecided by an
 * interrupt is an <error> (the test did not complete), not a <failure> (it was checked and wrong).
 * A check with no data is a <failure type="no-data">, not <skipped>: CI treats a skip as fine, and
 * nothing to check is not a pass; not-testable is <skipped>.
 */
export function renderJunit(report: VerifyReport): string {
  // What the manifests themselves rule out (VerifyReport.cannotPass) is one failed testcase more.
  const blocked = report.cannotPass && report.cannotPass.length > 0 ? 1 : 0;
  const failures = report.results.filter((r) => !r.ok && !r.undecided).length + blocked;
  const errors = report.results.filter((r) => r.undecided).length;
  const skipped = report.results.filter((r) => r.skipped).length;
  const time = (report.elapsedMs / 1000).toFixed(3);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="otelpoc verify" tests="${report.results.length + blocked}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}">`,
  );
  out.push(
    `  <testsuite name="${xml(`otelpoc verify run ${report.runId}`)}" tests="${report.results.length + blocked}" failures="${failures}" skipped="${skipped}" errors="${errors}" time="${time}">`,
  );
  out.push(
    `    <properties><property name="runId" value="${xml(report.runId)}"/><property name="source" value="${xml(report.source)}"/><property name="interrupted" value="${report.interrupted}"/><property name="settleMs" value="${report.settleMs}"/><property name="greenForMs" value="${report.greenForMs}"/></properties>`,
  );
  for (const r of report.results) {
    const open = `    <testcase classname="${xml(`otelpoc.verify.${r.tenant}`)}" name="${xml(`${r.tenant}: ${CHECK_TITLES[r.check]}`)}" time="0">`;
    if (r.skipped) {
      out.push(`${open}<skipped message="${xml(r.found)}"/></testcase>`);
    } else if (r.undecided) {
      out.push(open);
      out.push(
        `      <error message="interrupted before this check was decided" type="interrupted">${xml(
          ['last poll:', `expected: ${r.expected}`, `found: ${r.found}`, ...r.problems].join('\n'),
        )}</error>`,
      );
      out.push('    </testcase>');
    } else if (r.ok) {
      out.push(`${open}</testcase>`);
    } else if (statusOf(r) === 'no-data') {
      out.push(open);
      out.push(
        `      <failure message="${xml(`no data: ${r.found}`)}" type="no-data">${xml(
          ['nothing to check, so not passed', `expected: ${r.expected}`, `found: ${r.found}`].join('\n'),
        )}</failure>`,
      );
      out.push('    </testcase>');
    } else {
      out.push(open);
      out.push(
        `      <failure message="${xml(r.problems[0] ?? 'failed')}" type="${r.check}">${xml(
          [`expected: ${r.expected}`, `found: ${r.found}`, ...r.problems].join('\n'),
        )}</failure>`,
      );
      out.push('    </testcase>');
    }
  }
  if (blocked) {
    out.push(
      '    <testcase classname="otelpoc.verify.manifest" name="manifest: the run can be verified" time="0">',
    );
    out.push(
      `      <failure message="${xml(report.cannotPass![0]!)}" type="manifest">${xml(report.cannotPass!.join('\n'))}</failure>`,
    );
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

function xml(s: string): string {
  return (
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}
