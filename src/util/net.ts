import { connect } from 'node:net';
import { UsageError } from './errors.js';

/**
 * Whether something accepts TCP connections at the URL's host and port (within `timeoutMs`). `run`
 * uses it to choose between the pipeline and the embedded capture; a stopping server, to skip
 * waiting on export retries to a backend that is not there.
 */
export function isListening(url: string, timeoutMs = 500): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Checks that `value` is an http:// or https:// URL; the error names `what` (a flag or variable). */
export function checkHttpUrl(value: string, what: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {}
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new UsageError(`${what}: expected an http:// or https:// URL, got "${value}"`);
  }
  return value;
}
