/** A loopback HTTP server on port 0 that answers 200 to everything and counts connections. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingServer {
  /** http://127.0.0.1:PORT */
  url: string;
  readonly connections: number;
  reset(): void;
  close(): Promise<void>;
}

export async function startCountingServer(): Promise<CountingServer> {
  let connections = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"status":200}');
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    reset: () => {
      connections = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
