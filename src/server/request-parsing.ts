import { isValidRunId, RUN_ID_RULE, TENANT_ID_RULE, tenantIdProblem } from '../util/ids.js';

/** What a request to /api asks for, or the reason it is a 400. Pure: unit-tested with a table. */
export type ParsedApiRequest =
  | { ok: true; statusCode: number; clientId: string | undefined; runId: string | undefined }
  | { ok: false; error: string; clientId: string | undefined; runId: string | undefined };

export const STATUS_RULE = 'an integer from 200 to 599';

/**
 * `search` is the raw query string (with or without "?"); header values are as Node gives them
 * (string, string[] when repeated, or undefined).
 */
export function parseApiRequest(
  search: string,
  clientIdHeader: string | string[] | undefined,
  runIdHeader: string | string[] | undefined,
): ParsedApiRequest {
  const errors: string[] = [];

  let clientId: string | undefined;
  if (Array.isArray(clientIdHeader)) {
    errors.push('Client-ID header: sent more than once');
  } else if (clientIdHeader !== undefined) {
    const problem = tenantIdProblem(clientIdHeader);
    if (problem)
      errors.push(`Client-ID header: "${truncate(clientIdHeader)}" ${problem}; allowed: ${TENANT_ID_RULE}`);
    else clientId = clientIdHeader;
  }

  let runId: string | undefined;
  if (Array.isArray(runIdHeader)) {
    errors.push('X-Run-ID header: sent more than once');
  } else if (runIdHeader !== undefined) {
    if (isValidRunId(runIdHeader)) runId = runIdHeader;
    else errors.push(`X-Run-ID header: "${truncate(runIdHeader)}" is not allowed; allowed: ${RUN_ID_RULE}`);
  }

  let statusCode = 200;
  const sc = new URLSearchParams(search).getAll('sc');
  if (sc.length > 1) {
    errors.push(`sc: given ${sc.length} times; allowed: once, ${STATUS_RULE}`);
  } else if (sc.length === 1) {
    const raw = sc[0]!;
    if (/^\d{3}$/.test(raw) && Number(raw) >= 200 && Number(raw) <= 599) statusCode = Number(raw);
    else errors.push(`sc: "${truncate(raw)}" is not allowed; allowed: ${STATUS_RULE}`);
  }

  if (errors.length > 0) return { ok: false, error: errors.join('; '), clientId, runId };
  return { ok: true, statusCode, clientId, runId };
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}
