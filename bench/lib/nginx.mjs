// What the benchmarks share: a static nginx target (bench/install-peers.sh fetches it: 1 worker,
// loopback, every request answered 200 with a small JSON body), a free port, readiness, a median.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PEERS = join(ROOT, '.cache/bench-peers');
const env = { ...process.env, LD_LIBRARY_PATH: join(PEERS, 'usr/lib/x86_64-linux-gnu') };

export async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Waits until `url` answers (any status); throws naming it after `timeoutMs`. */
export async function waitHttp(url, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`not reachable: ${url}`);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function startNginx() {
  const dir = await mkdtemp(join(tmpdir(), 'otelpoc-cpu-nginx-'));
  const port = await freePort();
  await writeFile(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${port};
    location / { default_type application/json; return 200 '{"status":200}'; }
  }
}
`,
  );
  // -e: nginx's start-up error log in the temporary directory too, not the system's default path.
  const child = spawn(
    join(PEERS, 'usr/sbin/nginx'),
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    { env, stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}/api`;
  await waitHttp(url);
  return {
    name: 'nginx (static, 1 worker)',
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
