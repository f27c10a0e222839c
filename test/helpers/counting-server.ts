/** A loopback HTTP server on port 0 that answers 200 to everything and counts connections and requests (the warm-up's GET /healthz apart). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingServer {
  /** http://127.0.0.1:PORT */
  url: string;
  readonly connections: number;
  /** Requests other than the warm-up's GET /healthz. */
  readonly requests: number;
  reset(): void;
  close(): Promise<void>;
}

/** `delayMs`: each answer (the warm-up's apart) waits this long; requests are counted on arrival. */
export async function startCountingServer(opts: { delayMs?: number } = {}): Promise<CountingServer> {
  let connections = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    const warmUp = req.url?.startsWith('/healthz') ?? false;
    if (!warmUp) requests++;
    const answer = () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":200}');
    };
    if (warmUp || !opts.delayMs) answer();
    else setTimeout(answer, opts.delayMs);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    reset: () => {
      connections = 0;
      requests = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
