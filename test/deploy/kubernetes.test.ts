/**
 * deploy/kubernetes cannot be applied here (no cluster); this checks everything that runs without
 * one: every file parses, every object has its kind's required fields, the pieces agree with each
 * other (shard count, run id, volume, the path the shards write and verify reads), every otelpoc flag
 * in them exists and its value parses, and `kubectl create --dry-run=client` accepts them.
 *
 * kubectl (Debian's, fetched by scripts/install-test-backends.sh) cannot run a client-side dry run
 * fully offline: it first asks a server which kinds exist (discovery). A loopback HTTP server answers
 * that with the handful of resources the manifests use, nothing else: so the dry run checks that the
 * files decode as Kubernetes objects of kinds kubectl maps, not the API server's schema.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Command, Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createContext } from '../../src/cli/context.js';
import { buildProgram } from '../../src/cli/main.js';
import { parseStartAt } from '../../src/load/values.js';
import { defaultShardManifestPath } from '../../src/manifest/write.js';
import { toolAvailable } from '../helpers/backends.js';
import { ROOT } from '../helpers/cli.js';

const DIR = join(ROOT, 'deploy/kubernetes');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects, checked field by field below.
type K8s = any;
const objects: { file: string; obj: K8s }[] = FILES.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    return { file, obj: doc.toJS() as K8s };
  }),
);
const byKindName = (kind: string, name: string) =>
  objects.find((o) => o.obj.kind === kind && o.obj.metadata.name === name)?.obj;

/** The kinds the manifests may use and their apiVersion: a typo in either is caught here. */
const KINDS: Record<string, string> = {
  ConfigMap: 'v1',
  PersistentVolumeClaim: 'v1',
  Job: 'batch/v1',
  Deployment: 'apps/v1',
};

function program(): Command {
  const sink = { write: () => true };
  const ctx = createContext(
    { env: {}, cwd: ROOT, stdout: sink, stderr: sink, signal: new AbortController().signal },
    { debug: false, noColor: true },
  );
  return buildProgram(ctx);
}

function podSpecOf(obj: K8s): K8s {
  return obj.spec.template.spec;
}

interface OtelpocContainer {
  file: string;
  obj: K8s;
  container: K8s;
  args: string[];
  env: Map<string, string>;
}

/** Every otelpoc container: the object, its container, and the args with $(VAR) resolved from its env. */
function otelpocContainers(): OtelpocContainer[] {
  const config = byKindName('ConfigMap', 'otelpoc-run');
  return objects
    .filter((o) => o.obj.spec?.template)
    .flatMap(({ file, obj }) =>
      podSpecOf(obj).containers.map((c: K8s) => {
        const env = new Map<string, string>();
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.configMapKeyRef;
          env.set(e.name, ref ? config.data[ref.key] : e.value);
        }
        const args = (c.args as string[]).map((a) =>
          a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_m, name: string) => {
            if (!env.has(name)) throw new Error(`${file}: $(${name}) in args is not in the container's env`);
            return env.get(name)!;
          }),
        );
        return { file, obj, container: c, args, env };
      }),
    );
}

describe('deploy/kubernetes', () => {
  it('every object has an apiVersion of its kind, a name, and what its kind requires', () => {
    expect(FILES.sort()).toEqual([
      'canary-deployment.yaml',
      'config.yaml',
      'load-job.yaml',
      'verify-job.yaml',
    ]);
    for (const { file, obj } of objects) {
      expect(KINDS[obj.kind], `${file}: kind ${obj.kind}`).toBe(obj.apiVersion);
      expect(obj.metadata?.name, file).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      if (obj.kind === 'Job' || obj.kind === 'Deployment') {
        const pod = podSpecOf(obj);
        expect(pod.containers.length, file).toBeGreaterThan(0);
        for (const c of pod.containers) {
          expect(c.name, file).toBeTruthy();
          // The image is the repository's Dockerfile's (ENTRYPOINT otelpoc): args are otelpoc's.
          expect(c.image, file).toBe('otelpoc:latest');
          expect(Array.isArray(c.args), file).toBe(true);
          for (const a of c.args) expect(typeof a, `${file}: ${a}`).toBe('string');
        }
      }
      if (obj.kind === 'Job') expect(podSpecOf(obj).restartPolicy).toMatch(/^(Never|OnFailure)$/);
      if (obj.kind === 'Deployment') {
        expect(obj.spec.template.metadata.labels).toMatchObject(obj.spec.selector.matchLabels);
      }
      if (obj.kind === 'PersistentVolumeClaim') expect(obj.spec.resources.requests.storage).toBeTruthy();
    }
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(
      /ENTRYPOINT \["node", "\/app\/bin\/otelpoc"\]/,
    );
  });

  it('every otelpoc flag used exists and its value parses', () => {
    const commands = program().commands;
    let checked = 0;
    for (const { file, args } of otelpocContainers()) {
      const [name, ...rest] = args;
      const cmd = commands.find((c) => c.name() === name);
      expect(cmd, `${file}: otelpoc ${name}`).toBeDefined();
      for (let i = 0; i < rest.length; i++) {
        const flag = rest[i]!;
        const option: Option | undefined = cmd!.options.find((o) => o.long === flag || o.short === flag);
        expect(option, `${file}: otelpoc ${name} ${flag}`).toBeDefined();
        if (option!.required || option!.optional) {
          const value = rest[++i]!;
          // The option's own parser: a bad value throws the UsageError the user would see.
          expect(
            () => option!.parseArg?.(value, option!.defaultValue),
            `${file}: ${flag} ${value}`,
          ).not.toThrow();
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
    // The canary is checked against its real command, as load and verify are.
    expect(otelpocContainers().map((c) => c.args[0])).toContain('canary');
  });

  it("the canary's metrics are reachable from outside its pod, on the port the container declares", () => {
    const c = otelpocContainers().find((x) => x.args[0] === 'canary')!;
    const flag = (f: string) => (c.args.includes(f) ? c.args[c.args.indexOf(f) + 1] : undefined);
    const canary = program().commands.find((x) => x.name() === 'canary')!;
    const declared = (long: string) => canary.options.find((o) => o.long === long)!.defaultValue;
    // The default, 127.0.0.1, would be unreachable for a scraper in another pod.
    expect(declared('--metrics-host')).toBe('127.0.0.1');
    expect(flag('--metrics-host')).toBe('0.0.0.0');
    const port = Number(flag('--metrics-port') ?? declared('--metrics-port'));
    expect(c.container.ports.find((p: K8s) => p.name === 'metrics')?.containerPort).toBe(port);
    // The OTLP endpoint and the backend come from the ConfigMap, like the Jobs'.
    expect(c.env.get('OTEL_EXPORTER_OTLP_ENDPOINT')).toMatch(/^http/);
    expect(flag('--url')).toMatch(/^http/);
  });

  it('every shard reads one start time, computed once when the run is created (OTELPOC_START_AT)', async () => {
    const l = otelpocContainers().find((c) => c.obj.metadata.name === 'otelpoc-load')!;
    const ref = l.container.env.find((e: K8s) => e.name === 'OTELPOC_START_AT')?.valueFrom?.configMapKeyRef;
    expect(ref).toEqual({ name: 'otelpoc-run', key: 'OTELPOC_START_AT' });
    // load reads that variable as --start-at (declared on its option, like every OTELPOC_* one).
    const load = program().commands.find((c) => c.name() === 'load')!;
    expect(load.options.find((o) => o.envVar === 'OTELPOC_START_AT')?.long).toBe('--start-at');
    // Empty until the run sets it: an empty variable is unset (each shard starts when ready), never
    // a stale instant that would count the whole run as dropped.
    expect(byKindName('ConfigMap', 'otelpoc-run').data.OTELPOC_START_AT).toBe('');
    // The README's sequence computes it once and patches it in before the load Job is created.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = readme.slice(readme.indexOf('### On Kubernetes'), readme.indexOf('### In a CI job matrix'));
    const patch = block.indexOf('kubectl patch configmap otelpoc-run --type merge');
    expect(patch).toBeGreaterThan(-1);
    expect(patch).toBeLessThan(block.indexOf('load-job.yaml | kubectl apply'));
    expect(block).toContain('{\\"data\\":{\\"OTELPOC_START_AT\\":\\"$START\\"}}');
    const computed = /^START=\$\((.+)\)$/m.exec(block)![1]!;
    const { stdout } = await promisify(execFile)('bash', ['-c', computed]);
    const at = parseStartAt(stdout.trim());
    expect(at - Date.now()).toBeGreaterThan(30_000);
    expect(at - Date.now()).toBeLessThan(300_000);
  });

  it('the load Job is an Indexed Job whose shard count, run id and manifest directory agree with verify', () => {
    const load = byKindName('Job', 'otelpoc-load');
    const verify = byKindName('Job', 'otelpoc-verify');
    expect(load.spec.completionMode).toBe('Indexed');
    // A retried shard would send its part twice under the same run id.
    expect(load.spec.backoffLimit).toBe(0);
    const [l, v] = ['otelpoc-load', 'otelpoc-verify'].map(
      (n) => otelpocContainers().find((c) => c.obj.metadata.name === n)!,
    );
    const flag = (args: string[], f: string) => args[args.indexOf(f) + 1];
    expect(l!.args.slice(0, 2)).toEqual(['load', '--serve']);
    const shards = Number(flag(l!.args, '--shards'));
    expect(load.spec.completions).toBe(shards);
    expect(load.spec.parallelism).toBe(shards);
    expect(l!.args).not.toContain('--shard'); // the index comes from JOB_COMPLETION_INDEX
    expect(l!.args).not.toContain('--out');
    // Where a shard writes by default (relative to workingDir) is the directory verify reads.
    const runId = flag(l!.args, '--run-id')!;
    const written = join(
      l!.container.workingDir,
      defaultShardManifestPath(runId, { index: 0, count: shards }),
    );
    expect(v!.args[0]).toBe('verify');
    expect(flag(v!.args, '--manifest')).toBe(dirname(written));
    // Both mount the one claim there; the volume is shared between nodes.
    for (const job of [load, verify]) {
      const pod = podSpecOf(job);
      expect(pod.volumes[0].persistentVolumeClaim.claimName).toBe('otelpoc-manifests');
      expect(pod.containers[0].volumeMounts[0].mountPath).toBe(l!.container.workingDir);
    }
    expect(byKindName('PersistentVolumeClaim', 'otelpoc-manifests').spec.accessModes).toEqual([
      'ReadWriteMany',
    ]);
    // Metrics go to the user's OTLP endpoint, verify asks the user's backend: both from the ConfigMap.
    expect(l!.env.get('OTEL_EXPORTER_OTLP_ENDPOINT')).toMatch(/^http/);
    expect(v!.env.get('OTELPOC_VERIFY_URL')).toMatch(/^http/);
  });
});

/** The kubectl binary (Debian's), or undefined. Not the PATH's: that may be any version from anywhere. */
function kubectlBin(): string | undefined {
  const candidates = [
    process.env.OTELPOC_KUBECTL_BIN,
    join(process.env.OTELPOC_BACKENDS_DIR ?? join(ROOT, '.cache/test-backends'), 'usr/bin/kubectl'),
  ];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

const kubectl = kubectlBin();
const haveKubectl = toolAvailable(
  'kubectl dry run of deploy/kubernetes',
  kubectl !== undefined,
  'kubectl not found: run `bash scripts/install-test-backends.sh` (npm test does) or set OTELPOC_KUBECTL_BIN',
);

describe.skipIf(!haveKubectl)('kubectl create --dry-run=client (discovery answered on loopback)', () => {
  let server: Server;
  let dir: string;
  let kubeconfig: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = DISCOVERY[(req.url ?? '').split('?')[0]!];
      res.writeHead(body ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body ?? { kind: 'Status', status: 'Failure', code: 404 }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    dir = await mkdtemp(join(tmpdir(), 'otelpoc-kubectl-'));
    kubeconfig = join(dir, 'config');
    await writeFile(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: loopback, cluster: {server: "http://127.0.0.1:${port}"}}]`,
        'users: [{name: nobody, user: {}}]',
        'contexts: [{name: loopback, context: {cluster: loopback, user: nobody, namespace: default}}]',
        'current-context: loopback',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const dryRun = (path: string) =>
    promisify(execFile)(
      kubectl!,
      [
        'create',
        '--dry-run=client',
        '--validate=false',
        '-f',
        path,
        '-o',
        'name',
        '--cache-dir',
        join(dir, 'cache'),
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig }, timeout: 60_000 },
    ).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        code: e.code ?? 1,
        out: `${e.stdout ?? ''}${e.stderr ?? ''}`,
      }),
    );

  it('accepts every object of deploy/kubernetes', async () => {
    const r = await dryRun(DIR);
    expect(r.code, r.out).toBe(0);
    expect(r.out.trim().split('\n').sort()).toEqual([
      'configmap/otelpoc-run',
      'deployment.apps/otelpoc-canary',
      'job.batch/otelpoc-load',
      'job.batch/otelpoc-verify',
      'persistentvolumeclaim/otelpoc-manifests',
    ]);
  });

  it('refuses a kind it does not know (the dry run is not a rubber stamp)', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, readFileSync(join(DIR, 'load-job.yaml'), 'utf8').replace('kind: Job', 'kind: Jobs'));
    const r = await dryRun(bad);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no matches for kind "Jobs"/);
  });
});

/** Discovery documents for the resources the manifests use (the shapes of the Kubernetes API). */
const resource = (name: string, kind: string, namespaced = true) => ({
  name,
  singularName: kind.toLowerCase(),
  namespaced,
  kind,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
});
const group = (name: string, version: string) => ({
  name,
  versions: [{ groupVersion: `${name}/${version}`, version }],
  preferredVersion: { groupVersion: `${name}/${version}`, version },
});
const DISCOVERY: Record<string, unknown> = {
  '/api': { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
  '/apis': { kind: 'APIGroupList', apiVersion: 'v1', groups: [group('batch', 'v1'), group('apps', 'v1')] },
  '/api/v1': {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      resource('configmaps', 'ConfigMap'),
      resource('persistentvolumeclaims', 'PersistentVolumeClaim'),
      resource('namespaces', 'Namespace', false),
    ],
  },
  '/apis/batch/v1': {
    kind: 'APIResourceList',
    groupVersion: 'batch/v1',
    resources: [resource('jobs', 'Job')],
  },
  '/apis/apps/v1': {
    kind: 'APIResourceList',
    groupVersion: 'apps/v1',
    resources: [resource('deployments', 'Deployment')],
  },
  '/version': { major: '1', minor: '32', gitVersion: 'v1.32.3' },
};
