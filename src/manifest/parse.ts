import { UsageError } from '../util/errors.js';
import { formatPath } from '../util/format-path.js';
import { TENANT_ID_RULE, tenantIdProblem } from '../util/ids.js';
import { assertManifestConsistent } from './consistency.js';
import { MANIFEST_SCHEMA_VERSION, ManifestSchema, OLDER_SERVER_KIND, type RunManifest } from './schema.js';
import { isManifestV1, manifestV1ToV2 } from './v1.js';

/** The versions parseManifest reads (older ones are converted on reading). */
const READABLE_VERSIONS: readonly unknown[] = [1, 2, 3, MANIFEST_SCHEMA_VERSION];

/**
 * Validates untrusted JSON as a manifest. Throws a UsageError naming the source and every failing
 * path, e.g. `run.json: tenants[0].byStatus[1].sent: expected number, received string`, or, for a
 * well-formed manifest whose numbers contradict each other, the first broken equation
 * (manifest/consistency.ts).
 */
export function parseManifest(data: unknown, source: string): RunManifest {
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (data && typeof data === 'object' && version !== undefined && !READABLE_VERSIONS.includes(version)) {
    // A string "2" is not a newer or older version: say which type is expected.
    throw new UsageError(
      typeof version === 'number'
        ? `${source}: manifest schemaVersion ${version} is not supported; this otelpoc reads versions 1 to ${MANIFEST_SCHEMA_VERSION}`
        : `${source}: schemaVersion: expected the number ${MANIFEST_SCHEMA_VERSION} (or 1 to 3), got ${typeof version === 'string' ? 'the string ' : ''}${JSON.stringify(version)}`,
    );
  }
  if (isManifestV1(data)) data = manifestV1ToV2(data, source);
  data = olderAsCurrent(data);
  const result = ManifestSchema.safeParse(data);
  if (result.success) {
    assertClientIds(result.data, source);
    assertManifestConsistent(result.data, source);
    return result.data;
  }
  const problems = result.error.issues.map(
    (issue) => `${source}: ${formatPath(issue.path)}: ${issue.message}`,
  );
  throw new UsageError(problems.join('\n'));
}

/**
 * Version 2 is version 3 without a timeline (optional in the schema); version 3 is version 4 whose
 * server exported the one kind otelpoc had then (OLDER_SERVER_KIND). A server that records a kind
 * of its own is left alone, for the schema to judge.
 */
function olderAsCurrent(data: unknown): unknown {
  if (!data || typeof data !== 'object') return data;
  const m = data as { schemaVersion?: unknown; server?: unknown };
  if (m.schemaVersion !== 2 && m.schemaVersion !== 3) return data;
  const server =
    m.server && typeof m.server === 'object' && !('kind' in m.server)
      ? { ...m.server, kind: OLDER_SERVER_KIND }
      : m.server;
  return { ...m, schemaVersion: MANIFEST_SCHEMA_VERSION, ...(server !== undefined ? { server } : {}) };
}

/**
 * The Client-ID values of a manifest become header values (X-Scope-OrgID, Client-ID) and PromQL
 * label matchers in verify: one with CR/LF would be refused by every request (retried until the
 * timeout), one with `<script>` lands in the HTML report. Load sends only valid tenant IDs, so any
 * other one was edited in: refused on reading, naming where.
 */
function assertClientIds(m: RunManifest, source: string): void {
  const ids: [string, string | null][] = [
    ...m.config.tenants.map((t, i): [string, string | null] => [`config.tenants[${i}].clientId`, t.clientId]),
    ...m.tenants.map((t, i): [string, string | null] => [`tenants[${i}].clientId`, t.clientId]),
  ];
  for (const [where, id] of ids) {
    const problem = id === null ? undefined : tenantIdProblem(id);
    if (problem) {
      throw new UsageError(
        `${source}: ${where}: ${JSON.stringify(id)} ${problem}; a Client-ID is ${TENANT_ID_RULE}`,
      );
    }
  }
}
