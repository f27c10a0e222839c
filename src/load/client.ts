import { type Dispatcher, Pool } from 'undici';
import { HEADERS } from '../telemetry/names.js';
import { classifyNetError } from '../util/net-errors.js';

/**
 * Why a request got no response, as the manifest counts it (util/net-errors.ts classifies). Timeouts
 * and resets are never retried.
 */
export type ErrorCategory = 'refused' | 'reset' | 'timeout' | 'other';

/** A response's status code, or why there was none. */
export type Outcome =
  | { status: number; error?: undefined }
  | { status?: undefined; error: ErrorCategory; message: string };

/** The request being sent: which tenant (null: no Client-ID) and which status to ask for with ?sc=. */
export interface LoadRequest {
  clientId: string | null;
  status: number;
}

/** What the runner needs from HTTP; tests may pass their own. */
export interface LoadClient {
  /** Sends one request; `done` is called exactly once. Never throws. */
  send(req: LoadRequest, done: (outcome: Outcome) => void): void;
  /**
   * Before the run: opens `connections` keep-alive connections and sends `requests` GET /healthz
   * over them (otelpoc serve does not measure that path), so that the first scheduled requests pay
   * neither connection setup nor cold (unoptimised) code, which would put the sender behind its
   * schedule for the first few hundred milliseconds. Bounded by `limits.maxMs`, stops at the first
   * error and when `limits.signal` aborts. Never throws.
   */
  warmUp?(
    connections: number,
    requests: number,
    limits: { maxMs: number; signal?: AbortSignal | undefined },
  ): Promise<void>;
  /** Closes idle keep-alive connections, waiting for in-flight requests at most `timeoutMs`, then cuts them. */
  close(timeoutMs: number): Promise<void>;
}

export interface HttpClientOptions {
  targetUrl: string;
  runId: string;
  /** Keep-alive connections to open at most. */
  connections: number;
  /** Per request: connect, response headers and body each bounded by this. */
  timeoutMs: number;
  /** The header that names the tenant; default Client-ID (a service of the user's may read another). */
  tenantHeader?: string | undefined;
}

/** Not measured by otelpoc serve (its readiness endpoint). */
export const WARM_UP_PATH = '/healthz';

/**
 * The manifest's categories: DNS and TLS failures count as `other` (sent, unanswered), as before the
 * shared classifier named them.
 */
function classifyError(err: unknown): ErrorCategory {
  const { category } = classifyNetError(err);
  return category === 'dns' || category === 'tls' ? 'other' : category;
}

/**
 * undici keep-alive Pool with one raw dispatch handler per request (no response stream objects): the
 * body is read and discarded, the status is what counts. Precomputes paths and headers.
 */
export function createHttpClient(opts: HttpClientOptions): LoadClient {
  const url = new URL(opts.targetUrl);
  const pool = new Pool(url.origin, {
    connections: opts.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    connect: { timeout: opts.timeoutMs },
  });
  const sep = url.search ? '&' : '?';
  const paths = new Map<number, string>();
  const pathFor = (status: number) => {
    let p = paths.get(status);
    if (!p) {
      p = `${url.pathname}${url.search}${sep}sc=${status}`;
      paths.set(status, p);
    }
    return p;
  };
  // Flat [name, value, …] arrays: undici's cheapest header form.
  const headers = new Map<string | null, string[]>();
  const headersFor = (clientId: string | null) => {
    let h = headers.get(clientId);
    if (!h) {
      h =
        clientId === null
          ? [HEADERS.runId, opts.runId]
          : [opts.tenantHeader ?? HEADERS.clientId, clientId, HEADERS.runId, opts.runId];
      headers.set(clientId, h);
    }
    return h;
  };

  return {
    send(req, done) {
      let status = 0;
      let finished = false;
      const finish = (o: Outcome) => {
        if (finished) return;
        finished = true;
        done(o);
      };
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart() {},
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData() {},
        onResponseEnd() {
          finish({ status });
        },
        onResponseError(_controller, err) {
          finish({ error: classifyError(err), message: err.message });
        },
      };
      try {
        pool.dispatch(
          { path: pathFor(req.status), method: 'GET', headers: headersFor(req.clientId) },
          handler,
        );
      } catch (err) {
        finish({ error: classifyError(err), message: (err as Error).message });
      }
    },
    async warmUp(connections, requests, limits) {
      const deadline = performance.now() + limits.maxMs;
      let left = Math.max(requests, connections);
      let failed = false;
      const one = () =>
        new Promise<void>((resolve) => {
          const handler: Dispatcher.DispatchHandler = {
            onRequestStart() {},
            onResponseStart() {},
            onResponseData() {},
            onResponseEnd: () => resolve(),
            onResponseError: () => {
              failed = true; // refused, reset…: the run itself will count what happens
              resolve();
            },
          };
          try {
            pool.dispatch({ path: WARM_UP_PATH, method: 'GET', headers: [] }, handler);
          } catch {
            failed = true;
            resolve();
          }
        });
      const loop = async () => {
        while (left-- > 0 && !failed && !limits.signal?.aborted && performance.now() < deadline) await one();
      };
      let timer: NodeJS.Timeout | undefined;
      const stop = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, limits.maxMs);
        limits.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      await Promise.race([Promise.all(Array.from({ length: connections }, loop)), stop]);
      clearTimeout(timer);
    },
    async close(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const closed = pool.close().then(
        () => true,
        () => true,
      );
      const timedOut = new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), timeoutMs);
      });
      const ok = await Promise.race([closed, timedOut]);
      clearTimeout(timer);
      if (!ok) await pool.destroy().catch(() => {});
    },
  };
}
