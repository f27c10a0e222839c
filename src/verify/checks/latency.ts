/**
 * 4. latency agreement — proves the histogram measured these requests: the server's time (request
 * in → response done) lies inside the client's (send → response), so the histogram's _sum cannot
 * exceed what the client waited, and when every request was answered no request can sit above the
 * bucket holding the client's slowest. Fails on a histogram of other requests, or in wrong units.
 */
import type { TenantExpectation } from '../expectations.js';
import type { CheckResult, TenantView } from '../types.js';
import { fmtMs, fmtNumber, histogramsOf, ownSamples, resultOf, type TenantContext } from './samples.js';

export function latency(exp: TenantExpectation, view: TenantView, ctx: TenantContext): CheckResult {
  const hists = [...histogramsOf(ownSamples(exp, view)).values()];
  const serverSumMs = hists.reduce((a, h) => a + (h.sum ?? 0) * 1000, 0);
  const serverCount = hists.reduce((a, h) => a + (h.count ?? 0), 0);
  // Allow 1 ms per request for timer granularity, and a full timeout for each request the client
  // gave up on.
  const allowedSumMs = exp.latencySumMs + exp.unanswered * ctx.timeoutMs + serverCount * 1 + 5;
  const problems: string[] = [];
  if (serverCount > 0 && serverSumMs > allowedSumMs) {
    problems.push(
      `the server measured ${fmtMs(serverSumMs)} in all, more than the ${fmtMs(exp.latencySumMs)} the client waited${exp.unanswered ? ` (+ ${exp.unanswered} × ${fmtMs(ctx.timeoutMs)} timeouts)` : ''}: the histogram cannot be of these requests`,
    );
  }
  if (exp.unanswered === 0 && serverCount > 0) {
    // Every request's server time ≤ the client's longest: all of them sit in the first bucket whose
    // bound is at least that (or +Inf when the longest exceeds the last bound).
    const maxS = (exp.latencyMaxMs + 1) / 1000;
    for (const h of hists) {
      const bucket = h.buckets.find((b) => b.le >= maxS);
      if (bucket && h.count !== undefined && bucket.value < h.count) {
        problems.push(
          `${fmtNumber(h.count - bucket.value)} request(s) of {${h.key}} took the server longer than ${bucket.leText}s, but the client's slowest took ${fmtMs(exp.latencyMaxMs)}`,
        );
      }
    }
  }
  const clientMeanMs = exp.received > 0 ? exp.latencySumMs / exp.received : 0;
  const serverMeanMs = serverCount > 0 ? serverSumMs / serverCount : 0;
  return resultOf(exp, 'latency', {
    expected: `server ≤ client (mean ${fmtMs(clientMeanMs)}, max ${fmtMs(exp.latencyMaxMs)})`,
    found: serverCount > 0 ? `server mean ${fmtMs(serverMeanMs)}` : 'no histogram',
    problems,
    // No request measured: there is nothing to compare with the client's times.
    noData: serverCount === 0,
  });
}
