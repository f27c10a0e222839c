/**
 * `docker-compose config` (Compose v2, no engine needed) validates docker-compose.yml with and without
 * the app profile, and the resolved model has what `docker compose up -d --wait` relies on: pinned
 * images, a health signal for every long-running service, dependencies that wait for readiness.
 */
import { describe, expect, it } from 'vitest';
import { compose, composeAvailable, type ResolvedCompose, resolvedCompose } from '../helpers/compose.js';

const enabled = composeAvailable('docker-compose config');

const STACK_SERVICES = ['alloy', 'cortex-tenant', 'cortex-tenant-ready', 'grafana', 'mimir', 'mimir-ready'];
/** Images without a shell or HTTP client: their readiness is polled by a one-shot probe service. */
const PROBED = { mimir: 'mimir-ready', 'cortex-tenant': 'cortex-tenant-ready' } as const;

describe.skipIf(!enabled)('docker-compose config', () => {
  it('validates the file with every profile', async () => {
    for (const profiles of [[], ['app'], ['direct'], ['canary'], ['app', 'canary']]) {
      const res = await compose(['config', '--quiet'], { profiles });
      expect(res.code, `profiles ${profiles.join(',') || '(none)'}: ${res.stderr}`).toBe(0);
    }
  });

  it('rejects a broken file (the check is real)', async () => {
    const { mkdtemp, writeFile, readFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { COMPOSE_FILE } = await import('../helpers/compose.js');
    const dir = await mkdtemp(join(tmpdir(), 'otelpoc-compose-'));
    try {
      const broken = (await readFile(COMPOSE_FILE, 'utf8')).replace(
        'condition: service_completed_successfully',
        'condition: service_done',
      );
      await writeFile(join(dir, 'docker-compose.yml'), broken);
      const res = await compose(['config', '--quiet'], { file: join(dir, 'docker-compose.yml') });
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/service_done|condition/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  let base: ResolvedCompose;
  let withApp: ResolvedCompose;
  it('lists the stack services, and app only with --profile app', async () => {
    base = await resolvedCompose();
    withApp = await resolvedCompose(['app']);
    expect(Object.keys(base.services).sort()).toEqual(STACK_SERVICES);
    expect(Object.keys(withApp.services).sort()).toEqual([...STACK_SERVICES, 'app'].sort());
    expect(withApp.services.app!.profiles).toEqual(['app']);
    expect(withApp.services.app!.build).toBeDefined();
    const withCanary = await resolvedCompose(['canary']);
    expect(Object.keys(withCanary.services).sort()).toEqual([...STACK_SERVICES, 'canary'].sort());
    const canary = withCanary.services.canary!;
    expect(canary.profiles).toEqual(['canary']);
    expect(canary.image).toBe('otelpoc:local');
    expect(canary.build).toBeDefined();
    expect(canary.depends_on!.alloy!.condition).toBe('service_healthy');
    expect(canary.healthcheck!.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  });

  it('adds app-direct only with --profile direct: serve per tenant, straight into Mimir, after Mimir is ready', async () => {
    const direct = await resolvedCompose(['direct']);
    expect(Object.keys(direct.services).sort()).toEqual([...STACK_SERVICES, 'app-direct'].sort());
    const svc = direct.services['app-direct']!;
    expect(svc.profiles).toEqual(['direct']);
    expect(svc.image).toBe('otelpoc:local');
    expect(svc.command).toEqual([
      'serve',
      '--host',
      '0.0.0.0',
      '--port',
      '8088',
      '--tenant-header',
      'X-Scope-OrgID',
    ]);
    expect(svc.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://mimir:9009/otlp');
    expect(svc.ports?.map((p) => [Number(p.published), p.target])).toEqual([[8088, 8088]]);
    expect(svc.depends_on).toEqual({
      'mimir-ready': expect.objectContaining({ condition: 'service_completed_successfully' }),
    });
    expect(svc.healthcheck?.test.join(' ')).toContain("fetch('http://127.0.0.1:8088/healthz')");
    expect(svc.healthcheck?.interval).toBe('5s');
  });

  it('pins every image to a version tag', async () => {
    withApp ??= await resolvedCompose(['app']);
    for (const [name, svc] of Object.entries(withApp.services)) {
      if (name === 'app') {
        expect(svc.image).toBe('otelpoc:local'); // built from the Dockerfile
        continue;
      }
      expect(svc.image, name).toMatch(/:v?\d+\.\d+\.\d+$/);
      expect(svc.image, name).not.toMatch(/:latest$/);
    }
  });

  it('gives every long-running service a health signal that `up --wait` and depends_on can use', async () => {
    withApp ??= await resolvedCompose(['app']);
    const s = withApp.services;
    for (const [name, svc] of Object.entries(s)) {
      if (name in PROBED || name.endsWith('-ready')) continue;
      expect(svc.healthcheck?.test?.[0], `${name} healthcheck`).toBe('CMD');
      expect(svc.healthcheck?.interval, `${name} interval`).toBe('5s');
    }
    // Distroless Mimir and scratch cortex-tenant: a one-shot probe polls them, and what comes after
    // waits for the probe to succeed (so `up --wait` also accepts its exit 0).
    for (const [target, probe] of Object.entries(PROBED)) {
      expect(s[probe]!.depends_on![target]!.condition).toBe('service_started');
      expect(s[probe]!.restart).toBe('no');
      const entry = s[probe]!.entrypoint!.join(' ');
      expect(entry).toContain(`http://${target}:`);
      expect(entry).toMatch(/exit 1/); // bounded: gives up instead of waiting forever
      const adopters = Object.entries(s).filter(
        ([, svc]) => svc.depends_on?.[probe]?.condition === 'service_completed_successfully',
      );
      expect(adopters.length, `${probe} is adopted`).toBeGreaterThan(0);
    }
    expect(s.alloy!.depends_on!['cortex-tenant-ready']!.condition).toBe('service_completed_successfully');
    expect(s['cortex-tenant']!.depends_on!['mimir-ready']!.condition).toBe('service_completed_successfully');
    expect(s.grafana!.depends_on!['mimir-ready']!.condition).toBe('service_completed_successfully');
    expect(s.app!.depends_on!.alloy!.condition).toBe('service_healthy');
  });

  it('probes the readiness endpoints doctor checks', async () => {
    base ??= await resolvedCompose();
    const s = base.services;
    expect(s['mimir-ready']!.entrypoint!.join(' ')).toContain('http://mimir:9009/ready');
    expect(s['cortex-tenant-ready']!.entrypoint!.join(' ')).toContain('http://cortex-tenant:8085/alive');
    expect(s.alloy!.healthcheck!.test.join(' ')).toContain('GET /-/ready');
    expect(s.grafana!.healthcheck!.test.join(' ')).toContain('http://127.0.0.1:3000/api/health');
    withApp ??= await resolvedCompose(['app']);
    const appCheck = withApp.services.app!.healthcheck!.test;
    expect(appCheck.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(appCheck[3]).toContain("fetch('http://127.0.0.1:8088/healthz')");
    // The script is valid JavaScript (it is not run here: nothing listens on 8088).
    expect(() => new Function(appCheck[3]!)).not.toThrow();
  });

  it('publishes the ports of the original (4317, 4318, 9464, 8085, 9009, 3000) and Alloy UI 12345', async () => {
    withApp ??= await resolvedCompose(['app']);
    const published = Object.values(withApp.services).flatMap((svc) =>
      (svc.ports ?? []).map((p) => Number(p.published)),
    );
    expect(published.sort((a, b) => a - b)).toEqual([3000, 4317, 4318, 8085, 8088, 9009, 9464, 12345]);
  });

  it('mounts every config read-only from stack/', async () => {
    base ??= await resolvedCompose();
    const binds = Object.values(base.services).flatMap((svc) =>
      (svc.volumes ?? []).filter((v) => v.type === 'bind'),
    );
    expect(binds.length).toBe(5);
    for (const b of binds) {
      expect(b.source, b.target).toMatch(/\/stack\//);
      expect(b.read_only, b.target).toBe(true);
    }
  });
});
