/**
 * One check for every header the tool sends on a user's behalf (verify's --header and
 * --tenant-header, doctor's --tenant-header, the OTLP exporter's OTEL_EXPORTER_OTLP_*HEADERS).
 * Node's http and undici refuse a bad name or value only when the request is made, which turned a
 * typo into an export that failed every interval, or a verify that died without a word. Checked
 * at start instead, the same way both clients check (see test/util/http-headers.test.ts, which
 * compares these rules with node:http's validateHeaderName / validateHeaderValue).
 */
import { UsageError } from './errors.js';

/** RFC 9110 §5.6.2 token: what a field name is made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 9110 §5.5 field-value characters as Node and undici accept them: HTAB, SP, VCHAR, obs-text. */
const BAD_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

export const HEADER_NAME_RULE = "letters, digits and !#$%&'*+-.^_`|~ only (no spaces or colons)";
export const HEADER_VALUE_RULE = 'no control characters (CR, LF, NUL, …) and no characters above U+00FF';

/** Why `name` cannot be a header name, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (!TOKEN.test(name)) return `is not a valid header name: ${HEADER_NAME_RULE}`;
  return undefined;
}

/** Why `value` cannot be a header value, or undefined when it can. */
export function headerValueProblem(value: string): string | undefined {
  const bad = BAD_VALUE_CHAR.exec(value);
  if (!bad) return undefined;
  const code = bad[0].codePointAt(0)!;
  return `has character U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${bad.index + 1}: a header value has ${HEADER_VALUE_RULE}`;
}

/**
 * Throws a one-line UsageError naming `what` (a flag or variable) when the header cannot be sent.
 * Inputs are shown JSON-quoted, so a CR or LF in them cannot break the message into two lines.
 */
export function checkHeader(name: string, value: string, what: string): void {
  const nameProblem = headerNameProblem(name);
  if (nameProblem) throw new UsageError(`${what}: header name ${JSON.stringify(name)} ${nameProblem}`);
  const valueProblem = headerValueProblem(value);
  if (valueProblem) {
    throw new UsageError(`${what}: the value of header ${JSON.stringify(name)} ${valueProblem}`);
  }
}

/** A header name alone (--tenant-header): returns it, or throws naming `what`. */
export function parseHeaderName(text: string, what: string): string {
  const problem = headerNameProblem(text);
  if (problem) throw new UsageError(`${what}: header name ${JSON.stringify(text)} ${problem}`);
  return text;
}

/** "Name: value" (--header): returns [name, value] with the value's surrounding blanks trimmed. */
export function parseHeaderLine(text: string, what: string): [string, string] {
  const colon = text.indexOf(':');
  if (colon < 0) throw new UsageError(`${what}: expected "Name: value", got ${JSON.stringify(text)}`);
  const name = text.slice(0, colon);
  const value = text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
  checkHeader(name, value, what);
  return [name, value];
}
