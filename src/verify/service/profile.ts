/**
 * The description of the service under test, for verifying a service otelpoc did not instrument:
 * which histogram counts its requests (as stored in the backend), which labels carry the status,
 * method and route, how the tenant is told, which extra matchers select the service, and which
 * request header carries the tenant when `load` sends it. Built-in profiles for common libraries, or
 * a YAML file of the same shape, checked up front (a bad profile is a UsageError before any traffic).
 * What each built-in was checked against: docs/verify.md#prove-your-own-service.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  type ServiceProfile,
  type ServiceProfileInput,
  ServiceProfileSchema,
} from '../../manifest/service.js';
import { UsageError } from '../../util/errors.js';

/**
 * The built-in profiles. Each was checked against the real library's output in VictoriaMetrics
 * with -opentelemetry.usePrometheusNaming (test/verify/own-service*.e2e.test.ts, docs/verify.md).
 */
const BUILT_IN: Record<string, ServiceProfileInput> = {
  /** otelpoc serve: the stable histogram plus its own counter, tenant in client_id. */
  otelpoc: {
    metric: 'http_server_request_duration_seconds',
    labels: { status: 'http_response_status_code', method: 'http_request_method', route: 'http_route' },
    tenant: { label: 'client_id' },
    requestCounter: 'http_server_request_total',
  },
  /**
   * @opentelemetry/instrumentation-http 0.223 (stable semconv only; 0.54–0.220 with
   * OTEL_SEMCONV_STABILITY_OPT_IN=http or http/dup). It has no hook that adds
   * metric attributes, so the tenant comes from a resource attribute: one process per tenant with
   * service.namespace = the tenant, which VictoriaMetrics stores as the service_namespace label.
   */
  'otel-http-stable': {
    metric: 'http_server_request_duration_seconds',
    labels: { status: 'http_response_status_code', method: 'http_request_method', route: 'http_route' },
    tenant: { label: 'service_namespace' },
  },
  /**
   * instrumentation-http up to 0.221 by default (semconv 1.7: http.server.duration in ms,
   * http.status_code, http.method; also with OTEL_SEMCONV_STABILITY_OPT_IN=http/dup in 0.54–0.220).
   * Checked with 0.57.2 + SDK 1.30.1 (not a project dependency: a one-off install, docs/verify.md).
   */
  'otel-http-old': {
    metric: 'http_server_duration_milliseconds',
    labels: { status: 'http_status_code', method: 'http_method', route: 'http_route' },
    tenant: { label: 'service_namespace' },
  },
  /** prom-client + express-prom-bundle 8 (includeMethod, includePath, customLabels client_id). */
  'prom-client-express': {
    metric: 'http_request_duration_seconds',
    labels: { status: 'status_code', method: 'method', route: 'path' },
    tenant: { label: 'client_id' },
  },
};

export const BUILT_IN_PROFILES = Object.keys(BUILT_IN);

/** Parses a profile (a built-in's or a file's content); `where` names it in the one-line error. */
export function parseServiceProfile(input: unknown, where: string): ServiceProfile {
  const parsed = ServiceProfileSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message;
    throw new UsageError(`${where}: ${field}: ${message}`);
  }
  return { ...parsed.data, name: parsed.data.name ?? where };
}

/**
 * A built-in profile by name, or a YAML (or JSON) file of the same shape. `flag` names the input in
 * errors (--service-profile).
 */
export async function loadServiceProfile(
  nameOrFile: string,
  flag = '--service-profile',
  /** A relative file is read from here (default: the process's working directory); named as given. */
  cwd?: string,
): Promise<ServiceProfile> {
  const builtIn = BUILT_IN[nameOrFile];
  if (builtIn) return parseServiceProfile({ name: nameOrFile, ...builtIn }, `${flag} ${nameOrFile}`);
  let text: string;
  try {
    text = await readFile(cwd ? resolve(cwd, nameOrFile) : nameOrFile, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `${flag} ${nameOrFile}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code})`}; give a file or one of ${BUILT_IN_PROFILES.join(', ')}`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    const line = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new UsageError(`${flag} ${nameOrFile}: not YAML${line ? ` (line ${line})` : ''}`);
  }
  return parseServiceProfile(doc, `${flag} ${nameOrFile}`);
}

/** The PromQL label matchers that select the service (no tenant, no status). */
export function serviceSelector(profile: ServiceProfile, extra: Record<string, string> = {}): string {
  const all = { ...profile.matchers, ...extra };
  const parts = Object.entries(all).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `{${parts.join(',')}}`;
}
