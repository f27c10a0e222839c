/**
 * The impure side of doctor: one bounded HTTP request that never throws. Transport failures come back
 * as a short reason ("connection refused (is it running?)", "no answer within 5s"), so each check can say what it saw.
 */
import { request } from 'undici';
import { describeNetError } from '../util/net-errors.js';

export interface HttpRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface HttpOutcome {
  /** HTTP status, or undefined when no response came back. */
  status: number | undefined;
  /** Response body, truncated to a few KB. */
  body: string;
  /** Why no response came back. */
  error: string | undefined;
  durationMs: number;
}

export type HttpProbe = (req: HttpRequest) => Promise<HttpOutcome>;

const MAX_BODY = 4096;

export const httpProbe: HttpProbe = async (req) => {
  const started = performance.now();
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  try {
    const res = await request(req.url, {
      method: req.method ?? 'GET',
      headers: req.headers,
      body: req.body,
      signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      body: text.length > MAX_BODY ? `${text.slice(0, MAX_BODY)}…` : text,
      error: undefined,
      durationMs: performance.now() - started,
    };
  } catch (err) {
    return {
      status: undefined,
      body: '',
      error: describeNetError(err, { timeoutMs: req.timeoutMs, timedOut: timeout.aborted }),
      durationMs: performance.now() - started,
    };
  }
};

/** "HTTP 503: not ready" — status and the first line of the body, for a result's detail. */
export function describeResponse(o: HttpOutcome): string {
  if (o.status === undefined) return o.error ?? 'no response';
  const firstLine = o.body.trim().split('\n')[0]?.slice(0, 160) ?? '';
  return `HTTP ${o.status}${firstLine ? `: ${firstLine}` : ''}`;
}
