/**
 * Report test data: a manifest written by a real `otelpoc run --embedded --rps 50 --duration 3s`
 * (schema version 3, with its timeline), and a red verify report shaped as verify makes them.
 */
import { readFileSync } from 'node:fs';
import { parseManifest } from '../../src/manifest/parse.js';
import type { RunManifest } from '../../src/manifest/schema.js';
import { CHECK_IDS, type VerifyReport } from '../../src/verify/types.js';

export function realRunManifest(): RunManifest {
  const text = readFileSync(new URL('./fixture-run.v3.json', import.meta.url), 'utf8');
  return parseManifest(JSON.parse(text), 'fixture-run.v3.json');
}

/** Every check green for every tenant, except the counts of `failing`. */
export function redVerify(tenants: readonly string[], failing: string, problem: string): VerifyReport {
  return {
    runId: 'r',
    ok: false,
    timedOut: true,
    interrupted: false,
    source: 'Prometheus API at http://127.0.0.1:8428',
    isolated: true,
    tenantHeader: 'X-Scope-OrgID',
    tenants: [...tenants],
    polls: 4,
    elapsedMs: 3000,
    results: tenants.flatMap((tenant) =>
      CHECK_IDS.map((check) => {
        const bad = tenant === failing && check === 'counts';
        return {
          tenant,
          check,
          ok: !bad,
          expected: '200:17',
          found: bad ? '200:18' : '200:17',
          problems: bad ? [problem] : [],
        };
      }),
    ),
    settleMs: 0,
    settleWhy: '--settle',
    greenForMs: 0,
  };
}
