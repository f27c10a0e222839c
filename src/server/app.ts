import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { API_ROUTE, HEADERS } from '../telemetry/names.js';
import type { DelayRange } from '../util/duration.js';
import { UsageError } from '../util/errors.js';
import type { Random } from '../util/random.js';
import type { RequestRecorder } from './request-metrics.js';
import { parseApiRequest, rawHeaderValues, splitTarget } from './request-parsing.js';

/** The request headers /api reads, lower case as rawHeaderValues wants them. */
const ID_HEADERS = [HEADERS.clientId.toLowerCase(), HEADERS.runId.toLowerCase()] as const;

export interface ApiServerOptions {
  host: string;
  port: number;
  delay: DelayRange;
  random: Random;
  metrics: RequestRecorder;
}

export interface ApiServer {
  /** e.g. http://127.0.0.1:8088 (no path). */
  url: string;
  port: number;
  /** Requests whose responses are not done yet. */
  readonly inFlight: number;
  /** Requests still unanswered when close()'s drain timed out: cut, and recorded as such. */
  readonly cutAtDrain: number;
  /**
   * Stops accepting, lets in-flight requests finish (at most `timeoutMs`, then their connections are
   * cut), and resolves when the server is closed. Safe to call twice.
   */
  close(timeoutMs: number): Promise<void>;
}

/**
 * error.type of a request that ended before its response was sent. The semantic conventions leave
 * http.response.status_code out when none was sent (the status it was going to send is unknown, so
 * we record none rather than guess) and ask for a low-cardinality, component-specific error.type.
 */
export const CUT_ERROR_TYPES = {
  /** Its connection went away first: the client left, a socket error, a parser error on that socket. */
  aborted: 'aborted',
  /** Still unanswered when the graceful stop's drain timed out: the server cut it. */
  drainTimeout: 'drain_timeout',
} as const;
type CutErrorType = (typeof CUT_ERROR_TYPES)[keyof typeof CUT_ERROR_TYPES];

/**
 * The instrumented API of the original proof of concept: GET /api answers after a random delay with
 * the status code asked for in ?sc=, and records one measurement per request. GET /healthz is for
 * readiness probes and is not measured.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  let inFlight = 0;
  let cutAtDrain = 0;
  let closing = false;
  /**
   * The requests not recorded yet, by socket, each with the function that cuts it. A pipelined
   * request queued behind another gets neither 'finish' nor 'close' when its socket dies (Node only
   * closes the response it is writing), so the socket's own 'close' cuts whatever is left on it.
   * An array, not a Set: one entry in practice, and a Set would hash every request's new function
   * (measured: 0.7 µs of a request's 12 in serve, bench/RESULTS.md).
   */
  const live = new Map<Socket, ((cause: CutErrorType | undefined) => void)[]>();
  const cutAll = (socket: Socket, cause: CutErrorType) => {
    const cuts = live.get(socket);
    live.delete(socket);
    for (const cut of cuts ?? []) cut(cause);
  };
  const idle = new Set<() => void>();
  const pendingTimers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((req, res) => {
    const { path, search } = splitTarget(req.url);
    if (path === '/healthz')
      return sendJson(res, closing ? 503 : 200, { status: closing ? 'closing' : 'ok' });
    if (path !== API_ROUTE)
      return sendJson(res, 404, { error: `no route for ${path}; try GET ${API_ROUTE}` });

    const started = performance.now();
    inFlight++;
    const [clientIdHeader, runIdHeader] = rawHeaderValues(req.rawHeaders, ID_HEADERS);
    const parsed = parseApiRequest(search, clientIdHeader, runIdHeader);
    const method = req.method ?? 'GET';
    const end = opts.metrics.begin(method, 'http', parsed.clientId);
    if (closing) res.setHeader('Connection', 'close');
    let timer: NodeJS.Timeout | undefined;
    const { socket } = req;
    // Recorded exactly once: when the response closes having finished, or when the request is cut
    // first (its response closed unfinished, its socket closed, or the drain timed out).
    let recorded = false;
    const done = (cause: CutErrorType | undefined) => {
      if (recorded) return;
      recorded = true;
      const cuts = live.get(socket);
      if (cuts !== undefined) removeFrom(cuts, done);
      if (timer && pendingTimers.delete(timer)) clearTimeout(timer);
      end();
      opts.metrics.record((performance.now() - started) / 1000, {
        method,
        scheme: 'http',
        route: API_ROUTE,
        // A cut request has no status: each response is written whole, in one end(), so an unfinished
        // one never reached the client complete (a pipelined one queued behind another has its head
        // set, headersSent, and still nothing of it went out).
        statusCode: cause === undefined ? res.statusCode : undefined,
        errorType: cause,
        clientId: parsed.clientId,
        runId: parsed.runId,
      });
      inFlight--;
      if (inFlight === 0) for (const wake of idle) wake();
    };
    if (socket.destroyed) {
      done(CUT_ERROR_TYPES.aborted); // gone before we got here: its socket's 'close' has been and gone
    } else {
      let onSocket = live.get(socket);
      if (onSocket === undefined) {
        onSocket = [];
        live.set(socket, onSocket);
      }
      onSocket.push(done);
    }
    // One listener, not 'finish' and 'close' (the per-request cost): by 'close', a finished response
    // is detached from its socket and writableFinished says whether it went out whole. `on`, not
    // `once`: a response closes once, and `once` wraps every listener in a closure of its own.
    res.on('close', () => done(res.writableFinished ? undefined : CUT_ERROR_TYPES.aborted));

    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendJson(res, 405, {
        error: `method ${method} is not allowed on ${API_ROUTE}; allowed: GET, HEAD`,
      });
    }
    if (!parsed.ok) return sendJson(res, 400, { status: 400, error: parsed.error });

    const delayMs = opts.delay.minMs + opts.random() * (opts.delay.maxMs - opts.delay.minMs);
    const respond = () => {
      if (timer) pendingTimers.delete(timer);
      sendJson(res, parsed.statusCode, {
        status: parsed.statusCode,
        client_id: parsed.clientId ?? null,
        run_id: parsed.runId ?? null,
        delay_ms: Math.round(delayMs * 10) / 10,
      });
    };
    // No timer for a zero delay: even setTimeout(0) waits a millisecond, which would cap throughput.
    if (delayMs <= 0) return respond();
    if (recorded) return; // cut already: nothing to answer
    timer = setTimeout(respond, delayMs);
    pendingTimers.add(timer);
    req.once('close', () => {
      // Client gone before we answered: stop waiting. `res` closes too and records the request.
      if (timer && !res.writableEnded && pendingTimers.delete(timer)) clearTimeout(timer);
    });
  });
  server.on('connection', (socket: Socket) => {
    socket.once('close', () => cutAll(socket, CUT_ERROR_TYPES.aborted));
  });
  server.keepAliveTimeout = 65_000; // longer than common client idle timeouts, to avoid reset races

  server.listen(opts.port, opts.host);
  try {
    await once(server, 'listening');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new UsageError(
        `--port: ${opts.host}:${opts.port} is already in use; pick another port, or --port 0 for a free one`,
      );
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      throw new UsageError(`--host: "${opts.host}" is not an address of this machine`);
    }
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closed: Promise<void> | undefined;

  return {
    url: `http://${host}:${port}`,
    port,
    get inFlight() {
      return inFlight;
    },
    get cutAtDrain() {
      return cutAtDrain;
    },
    close(timeoutMs: number) {
      closed ??= (async () => {
        closing = true;
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          let timeout: NodeJS.Timeout | undefined;
          await Promise.race([
            new Promise<void>((resolve) => idle.add(resolve)),
            new Promise<void>((resolve) => {
              timeout = setTimeout(resolve, timeoutMs);
            }),
          ]);
          clearTimeout(timeout);
        }
        // Whatever is left (keep-alive sockets, requests past the timeout) is cut. The requests are
        // recorded here, before the connections go: their sockets' 'close' events may come only after
        // the server has closed, and so after the caller's final export.
        for (const socket of [...live.keys()]) {
          const before = inFlight;
          cutAll(socket, CUT_ERROR_TYPES.drainTimeout);
          cutAtDrain += before - inFlight;
        }
        server.closeAllConnections();
        await stopped;
      })();
      return closed;
    },
  };
}

/** Removes `item` from `list` (order not kept). */
function removeFrom<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at === -1) return;
  const last = list.pop() as T;
  if (at < list.length) list[at] = last;
}

function sendJson(res: ServerResponse<IncomingMessage>, status: number, body: object): void {
  if (status === 204 || status === 304) {
    res.writeHead(status); // these may not carry a body
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
