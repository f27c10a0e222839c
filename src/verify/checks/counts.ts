/**
 * 2. exact counts — proves the backend counted exactly the requests the server answered, per status:
 * the sum of http_server_request_total per http_response_status_code equals the manifest's count
 * (a range only when requests went unanswered: the server may have recorded them under any status).
 * Fails on one request too many (requests outside the manifest carry the run id) or too few (lost
 * data), and on a status the manifest never got.
 */
import { PROM } from '../../telemetry/names.js';
import type { TenantExpectation } from '../expectations.js';
import type { CheckResult, Sample, TenantView } from '../types.js';
import { fmtNumber, fmtRange, L, ownSamples, resultOf } from './samples.js';

/** The status of a request recorded without one: serve cut it before answering (error.type says why). */
const NO_STATUS = 'no status (cut)';

export function counts(exp: TenantExpectation, view: TenantView): CheckResult {
  const byStatus = sumByStatus(ownSamples(exp, view).filter((s) => s.name === PROM.requestTotal));
  const problems: string[] = [];
  for (const e of exp.byStatus) {
    const n = byStatus.get(e.status) ?? 0;
    if (n < e.min || n > e.max) {
      problems.push(
        `status ${e.status}: ${fmtNumber(n)} request(s) recorded, expected ${fmtRange(e.min, e.max)}${n > e.max ? ' (more than were sent: requests outside the manifest carry this run id?)' : ''}`,
      );
    }
  }
  for (const [status, n] of byStatus) {
    if (exp.byStatus.some((e) => e.status === status) || n === 0) continue;
    if (n <= exp.unanswered) continue; // an unanswered request may have been recorded with any status
    problems.push(
      `status ${Number.isNaN(status) ? NO_STATUS : status}: ${fmtNumber(n)} request(s) recorded, expected none`,
    );
  }
  const total = [...byStatus.values()].reduce((a, b) => a + b, 0);
  const maxTotal = exp.received + exp.unanswered;
  if (problems.length === 0 && (total < exp.received || total > maxTotal)) {
    problems.push(
      `${fmtNumber(total)} request(s) recorded in all, expected ${fmtRange(exp.received, maxTotal)}`,
    );
  }
  const expectedText =
    exp.byStatus.map((e) => `${e.status}:${fmtRange(e.min, e.max)}`).join(' ') || 'no requests';
  const foundText =
    [...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${Number.isNaN(s) ? NO_STATUS : s}:${fmtNumber(n)}`)
      .join(' ') || 'none';
  return resultOf(exp, 'counts', {
    expected: exp.unanswered > 0 ? `${expectedText} (${exp.unanswered} unanswered)` : expectedText,
    found: foundText,
    problems,
    // No request expected and none recorded: nothing was counted, so nothing is proven.
    noData: total === 0,
  });
}

function sumByStatus(samples: Sample[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    const status = Number(s.labels[L.statusCode]);
    out.set(status, (out.get(status) ?? 0) + s.value);
  }
  return out;
}
