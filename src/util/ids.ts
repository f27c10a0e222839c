/**
 * Tenant and run identifiers. Client-ID values become Grafana Mimir tenant IDs (through cortex-tenant's
 * X-Scope-OrgID), so they follow Mimir's tenant ID rules: a bad one would otherwise be dropped silently
 * further down the pipeline.
 */
const TENANT_CHARS = /^[A-Za-z0-9!\-_.*'()]+$/;
export const TENANT_ID_RULE =
  "1–150 characters of letters, digits and !-_.*'(), not '.' or '..', not '__mimir_cluster'";

/** Returns why `value` is not a valid tenant ID, or undefined when it is. */
export function tenantIdProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > 150) return `is ${value.length} characters long`;
  if (!TENANT_CHARS.test(value)) return "has characters other than letters, digits and !-_.*'()";
  if (value === '.' || value === '..') return `is "${value}"`;
  if (value === '__mimir_cluster') return 'is reserved';
  return undefined;
}

const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const RUN_ID_RULE = '1–64 characters of A-Z a-z 0-9 _ -';

export function isValidRunId(value: string): boolean {
  return RUN_ID.test(value);
}

/** A sortable, unique-enough run id: 20261125-151800-a1b2c3 (UTC time + random suffix). */
export function newRunId(now = new Date(), random: () => number = Math.random): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const suffix = Math.floor(random() * 0xffffff)
    .toString(16)
    .padStart(6, '0');
  return `${stamp}-${suffix}`;
}
