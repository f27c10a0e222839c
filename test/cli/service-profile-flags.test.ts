/**
 * --service-profile on load, verify and run: every refusal one line, exit 2, before any request;
 * then the real thing through the CLI against VictoriaMetrics (load --serve snapshots, verify and
 * run by the otelpoc profile, --json carries the result, exit 1 when the counts are not exact).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useVictoriaMetrics } from '../helpers/backend-suite.js';
import { backendsAvailable } from '../helpers/backends.js';
import { type CountingServer, startCountingServer } from '../helpers/counting-server.js';
import { mainInProcess, writeLoadManifest } from '../helpers/main-in-process.js';

let server: CountingServer;
let cwd: string;
beforeAll(async () => {
  server = await startCountingServer();
  cwd = await mkdtemp(join(tmpdir(), 'otelpoc-svc-flags-'));
});
afterAll(async () => {
  await server.close();
  await rm(cwd, { recursive: true, force: true });
});

const lines = (stderr: string) => stderr.trimEnd().split('\n');

describe('--service-profile refusals: one line each, exit 2, no request sent', () => {
  it("load refuses the snapshot backend's flags without --service-profile, one line each", async () => {
    server.reset();
    const r = await mainInProcess(
      ['load', '--target', server.url, '--requests', '3', '--url', 'http://127.0.0.1:1', '--header', 'A: b'],
      { cwd, env: { NO_COLOR: '1' } },
    );
    expect(lines(r.stderr)).toEqual([
      "otelpoc: --url: only used with --service-profile (the backend where load snapshots the service's counts); add --service-profile, or drop --url",
      "otelpoc: --header: only used with --service-profile (the backend where load snapshots the service's counts); add --service-profile, or drop --header",
    ]);
    expect(r.code).toBe(2);
    expect(server.requests).toBe(0);
  });

  it('load --no-tenant-header is refused without --service-profile', async () => {
    const r = await mainInProcess(['load', '--target', server.url, '--no-tenant-header'], { cwd });
    expect(r.stderr).toContain('otelpoc: --no-tenant-header: only used with --service-profile');
    expect(r.code).toBe(2);
  });

  it("OTELPOC_VERIFY_URL (verify's, often exported) is not refused on a plain load", async () => {
    server.reset();
    const r = await mainInProcess(
      ['load', '--target', server.url, '--requests', '3', '--quiet', '--out', 'a.json'],
      {
        cwd,
        env: { NO_COLOR: '1', OTELPOC_VERIFY_URL: 'http://127.0.0.1:1' },
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('load --service-profile without the backend: one line naming --url', async () => {
    server.reset();
    const r = await mainInProcess(['load', '--target', server.url, '--service-profile', 'otelpoc'], { cwd });
    expect(lines(r.stderr)).toEqual([
      "otelpoc: --service-profile: give the backend's --url (or OTELPOC_VERIFY_URL): load snapshots the service's counts there just before its first request",
    ]);
    expect(r.code).toBe(2);
    expect(server.requests).toBe(0);
  });

  it('a bad profile file from OTELPOC_SERVICE_PROFILE: one line naming the variable and the field', async () => {
    await writeFile(
      join(cwd, 'bad.yaml'),
      'labels: { status: code }\ntenant: { label: client_id }\ncolour: blue\n',
    );
    server.reset();
    const r = await mainInProcess(
      ['load', '--target', server.url, '--url', 'http://127.0.0.1:1', '--requests', '3'],
      { cwd, env: { NO_COLOR: '1', OTELPOC_SERVICE_PROFILE: 'bad.yaml' } },
    );
    expect(lines(r.stderr)).toEqual([
      'otelpoc: OTELPOC_SERVICE_PROFILE bad.yaml: (root): unknown field "colour"',
    ]);
    expect(r.code).toBe(2);
    expect(server.requests).toBe(0);
  });

  it("verify --service-profile refuses the run-labelled checks' outputs, one line each", async () => {
    const r = await mainInProcess(
      ['verify', '--service-profile', 'otelpoc', '--junit', 'x.xml', '--explain'],
      { cwd },
    );
    expect(lines(r.stderr)).toEqual([
      "otelpoc: --junit: not with --service-profile (it is of otelpoc's run-labelled checks); drop it",
      "otelpoc: --explain: not with --service-profile (it is of otelpoc's run-labelled checks); drop it",
    ]);
    expect(r.code).toBe(2);
  });

  it('verify --service-profile refuses a manifest without a snapshot', async () => {
    await writeLoadManifest(cwd, server.url, 3, 'plain.json');
    const r = await mainInProcess(
      ['verify', '--service-profile', 'otelpoc', '--manifest', 'plain.json', '--url', 'http://127.0.0.1:1'],
      { cwd },
    );
    expect(r.stderr).toMatch(/^otelpoc: --service-profile otelpoc: the manifest of run \S+ has no snapshot/);
    expect(r.code).toBe(2);
  });

  it.each([
    [
      ['--target', 'http://127.0.0.1:1'],
      '--target: give --service-profile too: the canary counts a service of yours by its profile',
    ],
    [
      ['--service-profile', 'otelpoc'],
      '--service-profile: only with --target (the service it describes); add --target, or drop it',
    ],
  ])('canary %j: one line', async (args, line) => {
    const r = await mainInProcess(['canary', '--once', ...args], { cwd });
    expect(lines(r.stderr)).toEqual([`otelpoc: ${line}`]);
    expect(r.code).toBe(2);
  });

  it('run --service-profile needs a backend: refused with --embedded', async () => {
    const r = await mainInProcess(['run', '--service-profile', 'otelpoc', '--embedded'], { cwd });
    expect(lines(r.stderr)).toEqual([
      "otelpoc: --service-profile: needs the backend's --url, without --embedded or --shard: the service's counts are read there",
    ]);
    expect(r.code).toBe(2);
  });
});

describe.runIf(backendsAvailable('--service-profile through the CLI'))(
  '--service-profile through the CLI, against VictoriaMetrics',
  () => {
    const vm = useVictoriaMetrics();
    const backend = () => ['--url', vm.url, '--no-tenant-header'];
    const serve = () => [
      '--serve',
      '--otlp-endpoint',
      vm.otlpEndpoint,
      '--export-interval',
      '500ms',
      '--delay',
      '0',
    ];

    it('load --serve snapshots; verify is exact (exit 0), then red naming the extra requests (exit 1)', async () => {
      const load = [
        'load',
        ...serve(),
        '--requests',
        '60',
        '--rps',
        '100',
        '--quiet',
        '--service-profile',
        'otelpoc',
      ];
      const first = await mainInProcess([...load, ...backend(), '--out', 'svc.json'], { cwd });
      expect(first.code, first.stderr).toBe(0);
      const verify = ['verify', '--service-profile', 'otelpoc', '--manifest', 'svc.json', ...backend()];
      const green = await mainInProcess([...verify, '--settle', '1s', '--timeout', '20s'], { cwd });
      expect(green.stdout).toContain('service profile otelpoc · exact');
      expect(green.code, green.stdout + green.stderr).toBe(0);
      // Other traffic on the same series (same tenants and statuses), after the snapshot.
      const other = await mainInProcess(
        [
          'load',
          ...serve(),
          '--requests',
          '9',
          '--rps',
          '100',
          '--quiet',
          '--status-mix',
          '200',
          '--out',
          'o.json',
        ],
        { cwd },
      );
      expect(other.code, other.stderr).toBe(0);
      const red = await mainInProcess([...verify, '--settle', '2s', '--timeout', '20s', '--json'], { cwd });
      const doc = JSON.parse(red.stdout) as { ok: boolean; problems: string[] }[];
      expect(doc[0]!.ok).toBe(false);
      expect(doc[0]!.problems.join('\n')).toMatch(/are not from this run/);
      expect(red.code).toBe(1);
    });

    it('run --service-profile otelpoc: exact, and --json carries the service result', async () => {
      const r = await mainInProcess(
        [
          'run',
          '--service-profile',
          'otelpoc',
          ...backend(),
          '--otlp-endpoint',
          vm.otlpEndpoint,
          '--settle',
          '1s',
          '--json',
          '--out',
          'run.json',
        ],
        { cwd },
      );
      const doc = JSON.parse(r.stdout) as { ok: boolean; service: { ok: boolean; cells: unknown[] }[] };
      expect(doc.service[0]!.ok, r.stdout).toBe(true);
      expect(doc.service[0]!.cells.length).toBeGreaterThan(0);
      expect(doc.ok).toBe(true);
      expect(r.code).toBe(0);
    });
  },
);
