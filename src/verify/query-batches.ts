/**
 * How verify splits its query of a shared store (a single-tenant backend: one store, tenants told
 * apart by client_id) when the run has many client_id values. One query for every series of a
 * 1,000-tenant run answers ~54,000 series, 27 MB of JSON, which the client holds as text, as parsed
 * JSON and as samples at once (measured: 470 MB peak RSS). Split by client_id into groups of
 * CLIENT_IDS_PER_QUERY, each answer is a fraction of that, and the backend works on several in
 * parallel. The union of the parts is exactly the one query's answer: one matcher per group
 * (`client_id=~"a|b|…"`), and one for every other series (`client_id!~"<all of them>"`: series
 * without client_id, or with one the run never sent, which the checks must still see).
 */
import { PROM } from '../telemetry/names.js';
import { NO_CLIENT_ID } from './expectations.js';

/** Client_id values per query: 50 tenants' series (~2,700, 1.4 MB) per answer; 4 answers in flight at most. */
export const CLIENT_IDS_PER_QUERY = 50;

/** An RE2 regex that matches exactly `value` (Prometheus and VictoriaMetrics anchor label regexes). */
export function regexLiteral(value: string): string {
  return value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** A PromQL double-quoted string literal's body. */
export function promqlString(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/**
 * The extra label matchers (`,client_id=~"…"`), one per query, that together select every series
 * once. A single '' (no split) when the run has at most `perQuery` client_id values.
 */
export function clientIdMatchers(clientIds: readonly string[], perQuery = CLIENT_IDS_PER_QUERY): string[] {
  const ids = [...new Set(clientIds)].filter((c) => c !== NO_CLIENT_ID).sort();
  if (ids.length <= perQuery) return [''];
  const label = PROM.labels.clientId;
  const alternation = (list: string[]) => promqlString(list.map(regexLiteral).join('|'));
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += perQuery) {
    out.push(`,${label}=~"${alternation(ids.slice(i, i + perQuery))}"`);
  }
  out.push(`,${label}!~"${alternation(ids)}"`);
  return out;
}
