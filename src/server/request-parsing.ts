import { isValidRunId, RUN_ID_RULE, TENANT_ID_RULE, tenantIdProblem } from '../util/ids.js';

/** What a request to /api asks for, or the reason it is a 400. Pure: unit-tested with a table. */
export type ParsedApiRequest =
  | { ok: true; statusCode: number; clientId: string | undefined; runId: string | undefined }
  | { ok: false; error: string; clientId: string | undefined; runId: string | undefined };

export const STATUS_RULE = 'an integer from 200 to 599';

/**
 * `search` is the raw query string (with or without "?"); header values are as received: a string, a
 * string[] when the header was sent more than once (see headerValues), or undefined.
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
      errors.push(`Client-ID header: "${shown(clientIdHeader)}" ${problem}; allowed: ${TENANT_ID_RULE}`);
    else clientId = clientIdHeader;
  }

  let runId: string | undefined;
  if (Array.isArray(runIdHeader)) {
    errors.push('X-Run-ID header: sent more than once');
  } else if (runIdHeader !== undefined) {
    if (isValidRunId(runIdHeader)) runId = runIdHeader;
    else errors.push(`X-Run-ID header: "${shown(runIdHeader)}" is not allowed; allowed: ${RUN_ID_RULE}`);
  }

  let statusCode = 200;
  const sc = queryValues(search, 'sc');
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

/**
 * Every value of `name` in a query string, as `new URLSearchParams(search).getAll(name)` gives them.
 * Without "%" or "+" nothing needs decoding, and the split is done here: building a URLSearchParams
 * is a measurable part of a request's cost in serve (issue 21), and load's targets are plain `sc=404`.
 */
export function queryValues(search: string, name: string): string[] {
  const raw = search.startsWith('?') ? search.slice(1) : search;
  if (raw === '') return [];
  if (raw.includes('%') || raw.includes('+')) return new URLSearchParams(raw).getAll(name);
  const out: string[] = [];
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = eq === -1 ? pair : pair.slice(0, eq);
    if (key === name) out.push(eq === -1 ? '' : pair.slice(eq + 1));
  }
  return out;
}

function truncate(value: string): string {
  return value.length > 60 ? `${value.slice(0, 57)}...` : value;
}

/**
 * A header's value(s) from Node's `headersDistinct`: Node joins a repeated custom header into one
 * string with ", " (req.headers), which would then be judged as one odd value. One value → a string,
 * more → all of them.
 */
export function headerValues(values: string[] | undefined): string | string[] | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return values.length === 1 ? values[0] : values;
}

/**
 * The values of the headers `names` (lower case) in Node's `rawHeaders` (name, value, name, value, …),
 * each as headerValues gives them from `headersDistinct`: one pass over what Node has already parsed,
 * instead of the per-request `headersDistinct` object of every header (issue 21: serve's cost).
 */
export function rawHeaderValues<const N extends readonly string[]>(
  rawHeaders: readonly string[],
  names: N,
): { [K in keyof N]: string | string[] | undefined } {
  const found: (string | string[] | undefined)[] = names.map(() => undefined);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const header = rawHeaders[i]!;
    for (let n = 0; n < names.length; n++) {
      const name = names[n]!;
      if (header.length !== name.length || header.toLowerCase() !== name) continue;
      const value = rawHeaders[i + 1]!;
      const before = found[n];
      found[n] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
    }
  }
  return found as { [K in keyof N]: string | string[] | undefined };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A header value for a message. Node decodes header bytes as latin1, so "ténant" sent as UTF-8
 * arrives as "tÃ©nant": decode the bytes as UTF-8 again, or, when they are not UTF-8, show the
 * bytes above 0x7f as \xNN.
 */
function shown(value: string): string {
  const bytes = Buffer.from(value, 'latin1');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = value.replace(/[\u0080-\u00ff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
  }
  return truncate(text);
}

/**
 * The path and query of a request target. Origin form (`/api?sc=200`) is the usual one; absolute form
 * (`http://host/api?sc=200`, RFC 9112 §3.2.2, sent to proxies and allowed to any server) is routed by
 * its path too. The path is not normalised, as in origin form.
 */
export function splitTarget(url: string | undefined): { path: string; search: string } {
  let raw = url ?? '/';
  // Origin form, the usual one, needs no regex (a per-request cost).
  const absolute = raw.startsWith('/') ? null : /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(raw);
  if (absolute) {
    raw = raw.slice(absolute[0].length);
    if (!raw.startsWith('/')) raw = `/${raw}`;
  }
  const q = raw.indexOf('?');
  return q === -1 ? { path: raw, search: '' } : { path: raw.slice(0, q), search: raw.slice(q + 1) };
}
