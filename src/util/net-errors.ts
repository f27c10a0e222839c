/**
 * One taxonomy for "the request got no response": undici's and Node's error codes mapped onto a few
 * stable categories, and one wording for people. load counts the categories, verify and doctor
 * print the wording; before this module each kept its own list of codes, and they had drifted apart.
 */
import { formatDurationMs } from './duration.js';
import { errorMessage } from './errors.js';

/**
 * Why no response came back. `refused`: nothing listens there (the request never left);
 * `reset`: the connection broke (or was aborted) mid-request; `timeout`: no answer in time;
 * `dns`: the host name did not resolve; `tls`: the TLS handshake or certificate failed;
 * `other`: anything else (the code and message say what).
 */
export type NetErrorCategory = 'refused' | 'reset' | 'timeout' | 'dns' | 'tls' | 'other';

export interface NetError {
  category: NetErrorCategory;
  /** The code that decided the category (or the first one found), if any. */
  code: string | undefined;
  message: string;
}

const CATEGORY_OF_CODE: Readonly<Record<string, NetErrorCategory>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_CLOSED: 'reset',
  // An aborted request was cut mid-flight: it may or may not have been served, as with a reset.
  UND_ERR_ABORTED: 'reset',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EPROTO: 'tls',
};

/** OpenSSL's certificate verdicts (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT…) and Node's ERR_TLS_… and ERR_SSL_… codes. */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_)|CERT|_SIGNATURE$/;

function categoryOfCode(code: string): NetErrorCategory {
  return CATEGORY_OF_CODE[code] ?? (TLS_CODE.test(code) ? 'tls' : 'other');
}

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * The error and what it wraps: undici puts the socket's code on `cause` (fetch-style errors carry
 * none of their own), and Node's happy-eyeballs connect reports an AggregateError with one error
 * per address tried.
 */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 8) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || out.includes(e as ErrorLike)) continue;
    const like = e as ErrorLike;
    out.push(like);
    if (like.cause !== undefined) queue.push(like.cause);
    if (Array.isArray(like.errors)) queue.push(...like.errors);
  }
  return out;
}

/** Classifies a failed request: the first code in the error's chain that names a category decides. */
export function classifyNetError(err: unknown): NetError {
  const message = errorMessage(err);
  let firstCode: string | undefined;
  for (const e of chain(err)) {
    // AbortSignal.timeout()'s reason: a DOMException whose numeric `code` means nothing here.
    if (e.name === 'TimeoutError') return { category: 'timeout', code: firstCode, message };
    if (typeof e.code !== 'string') continue;
    firstCode ??= e.code;
    const category = categoryOfCode(e.code);
    if (category !== 'other') return { category, code: e.code, message };
  }
  return { category: 'other', code: firstCode, message };
}

export interface DescribeOptions {
  /** The caller's per-request timeout, to say how long it waited. */
  timeoutMs?: number | undefined;
  /** The caller's own deadline fired (an AbortSignal.timeout): a timeout, whatever the error says. */
  timedOut?: boolean | undefined;
  /** What to check when the address itself may be wrong, e.g. "--url". */
  check?: string | undefined;
}

/** One line for people: "connection refused (is it running? check --url)", "no answer within 5s"… */
export function describeNetError(err: unknown, opts: DescribeOptions = {}): string {
  const e = classifyNetError(err);
  const category = opts.timedOut ? 'timeout' : e.category;
  const check = opts.check ? `check ${opts.check}` : '';
  switch (category) {
    case 'refused':
      return `connection refused (is it running?${check ? ` ${check}` : ''})`;
    case 'reset':
      return 'connection reset';
    case 'timeout':
      return opts.timeoutMs === undefined
        ? 'no answer in time'
        : `no answer within ${formatDurationMs(opts.timeoutMs)}`;
    case 'dns':
      return `host name not found${check ? ` (${check})` : ''}`;
    case 'tls':
      return `TLS failed: ${withCode(e)}${check ? ` (${check})` : ''}`;
    case 'other':
      return withCode(e);
  }
}

function withCode(e: NetError): string {
  return e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message;
}
