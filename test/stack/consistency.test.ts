/**
 * The stack's files agree with each other and with otelpoc's defaults: ports, paths, the tenant label
 * and header, the default tenant, datasources and the metric names the dashboard queries. No Docker
 * needed: every file is parsed (YAML with the yaml package, the Alloy file with a strict text reader).
 */
import { describe, expect, it } from 'vitest';
import {
  CANARY_METRICS,
  CANARY_METRICS_PORT,
  CANARY_OPS_TENANT,
  CANARY_SCRAPE_JOB,
} from '../../src/canary/metric-names.js';
import { createContext } from '../../src/cli/context.js';
import { buildProgram, optionTables } from '../../src/cli/main.js';
import { DEMO_TENANTS, PROBE_CLIENT_ID, STACK_URLS } from '../../src/doctor/defaults.js';
import { mimirOtlpEndpoint } from '../../src/doctor/plan.js';
import { DEFAULT_PROM_URL } from '../../src/options/settings.js';
import { longFlag } from '../../src/options/table.js';
import { DEFAULT_OTLP_ENDPOINT } from '../../src/telemetry/config.js';
import { DEFAULT_TENANT, PROM, TENANT_HEADER } from '../../src/telemetry/names.js';
import { child, component, objectOf, refTarget } from './alloy-config.js';
import { dashboardExpressions, labelNames, metricNames, readStack } from './stack-files.js';

const stack = readStack();
const services = stack.composeRaw.services as Record<string, Record<string, unknown>>;

/** host port → container port of a service, from "HOST:CONTAINER" entries. */
function publishedPorts(service: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of (services[service]?.ports as string[] | undefined) ?? []) {
    const m = /^(?:[\d.]+:)?(\d+):(\d+)(?:\/tcp)?$/.exec(String(p));
    if (!m) throw new Error(`${service}: unexpected port entry ${p}`);
    out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

const portOf = (url: string) => Number(new URL(url).port);
const hostPort = (address: string) => Number(/:(\d+)$/.exec(address)![1]);

/** Defaults of otelpoc's own CLI, read from the real commander program. */
function cliDefault(command: string, flag: string): unknown {
  const sink = { write: () => true };
  const ctx = createContext(
    { env: {}, cwd: process.cwd(), stdout: sink, stderr: sink, signal: new AbortController().signal },
    { debug: false, noColor: true },
  );
  const table = optionTables(ctx)[command];
  if (table) return Object.values(table).find((s) => longFlag(s) === flag)?.default;
  const cmd = buildProgram(ctx).commands.find((c) => c.name() === command);
  return cmd?.options.find((o) => o.long === flag)?.defaultValue;
}

const receiver = component(stack.alloy, 'otelcol.receiver.otlp');
const exporter = component(stack.alloy, 'otelcol.exporter.prometheus');
const remoteWrite = component(stack.alloy, 'prometheus.remote_write', 'tenant_router');
const ct = stack.cortexTenant;
const mimir = stack.mimir;
const mimirPort: number = mimir.server.http_listen_port;

describe('Alloy ↔ compose ↔ otelpoc', () => {
  it('receives OTLP on 4317/4318, published on the host port otelpoc exports to by default', () => {
    expect(child(receiver, 'grpc').attrs.endpoint).toBe('0.0.0.0:4317');
    const httpEndpoint = child(receiver, 'http').attrs.endpoint as string;
    expect(httpEndpoint).toBe('0.0.0.0:4318');
    expect(child(receiver, 'http').attrs.metrics_url_path ?? '/v1/metrics').toBe('/v1/metrics');
    const ports = publishedPorts('alloy');
    expect(ports.get(portOf(DEFAULT_OTLP_ENDPOINT))).toBe(hostPort(httpEndpoint));
    expect(ports.get(4317)).toBe(4317);
    expect(STACK_URLS.otlpEndpoint).toBe(DEFAULT_OTLP_ENDPOINT);
  });

  it('publishes its HTTP server (12345) for doctor, and 9464 as an alias of it', () => {
    const listen = (services.alloy!.command as string[]).find((a) =>
      a.startsWith('--server.http.listen-addr='),
    );
    expect(listen).toBe('--server.http.listen-addr=0.0.0.0:12345');
    const ports = publishedPorts('alloy');
    expect(ports.get(portOf(STACK_URLS.alloy))).toBe(12345);
    expect(ports.get(9464)).toBe(12345);
    expect((services.alloy!.volumes as string[]).some((v) => v.endsWith(':/etc/alloy/config.alloy:ro'))).toBe(
      true,
    );
    expect(services.alloy!.command).toContain('/etc/alloy/config.alloy');
  });

  it('wires receiver → batch → delta-to-cumulative → prometheus exporter → remote_write', () => {
    const toBatch = refTarget((child(receiver, 'output').attrs.metrics as never[])[0]!);
    expect(toBatch.component).toBe('otelcol.processor.batch');
    const batch = component(stack.alloy, 'otelcol.processor.batch', toBatch.label);
    const toDelta = refTarget((child(batch, 'output').attrs.metrics as never[])[0]!);
    expect(toDelta.component).toBe('otelcol.processor.deltatocumulative');
    const delta = component(stack.alloy, 'otelcol.processor.deltatocumulative', toDelta.label);
    const toExporter = refTarget((child(delta, 'output').attrs.metrics as never[])[0]!);
    expect(toExporter).toMatchObject({ component: 'otelcol.exporter.prometheus', label: exporter.label });
    const toRw = refTarget((exporter.attrs.forward_to as never[])[0]!);
    expect(toRw).toMatchObject({
      component: 'prometheus.remote_write',
      label: remoteWrite.label,
      export: 'receiver',
    });
  });

  it('translates names as verify expects and emits no series without client_id', () => {
    // Suffixes on: _seconds and _total, the names in src/telemetry/names.ts.
    expect(exporter.attrs.add_metric_suffixes ?? true).toBe(true);
    // target_info and otel_scope_info carry no client_id: cortex-tenant would misroute or reject them.
    expect(exporter.attrs.include_target_info).toBe(false);
    expect(exporter.attrs.include_scope_info ?? false).toBe(false);
    // Resource attributes must not become labels either (they would add labels, not client_id).
    expect(exporter.attrs.resource_to_telemetry_conversion ?? false).toBe(false);
  });

  it('sends native histograms (exponential histograms become native ones), and Mimir ingests them', () => {
    expect(child(remoteWrite, 'endpoint').attrs.send_native_histograms).toBe(true);
    const limits = (stack.mimir as { limits: Record<string, unknown> }).limits;
    expect(limits.native_histograms_ingestion_enabled).toBe(true);
    expect(limits.max_native_histogram_buckets).toBe(160);
    // Raw delta storage changes what a query must do (sum the deltas): off, so delta fails loudly.
    expect(limits.otel_native_delta_ingestion ?? false).toBe(false);
  });

  it('remote-writes to cortex-tenant at its listen port and /push, without metadata-only requests', () => {
    const endpoint = child(remoteWrite, 'endpoint');
    const url = new URL(endpoint.attrs.url as string);
    expect(url.hostname).toBe('cortex-tenant');
    expect(Number(url.port)).toBe(hostPort(ct.listen));
    expect(url.pathname).toBe('/push');
    expect(child(endpoint, 'metadata_config').attrs.send).toBe(false);
    expect(services['cortex-tenant']).toBeDefined();
  });
});

describe('cortex-tenant ↔ Mimir ↔ otelpoc', () => {
  it('listens on all interfaces at 8085, published as such', () => {
    expect(ct.listen).toBe('0.0.0.0:8085');
    expect(publishedPorts('cortex-tenant').get(portOf(STACK_URLS.cortexTenant))).toBe(hostPort(ct.listen));
    expect(services['cortex-tenant']!.command).toEqual(['-config', '/etc/cortex-tenant/cortex-tenant.yaml']);
  });

  it('routes by client_id into X-Scope-OrgID, keeps the label, and defaults to the tenant verify uses', () => {
    expect(ct.tenant.label).toBe(PROM.labels.clientId);
    expect(ct.tenant.header).toBe(TENANT_HEADER);
    expect(ct.tenant.label_remove).toBe(false);
    expect(ct.tenant.default).toBe(DEFAULT_TENANT);
    expect(ct.tenant.accept_all).toBe(false);
  });

  it("forwards to Mimir's push endpoint", () => {
    const target = new URL(ct.target);
    expect(target.hostname).toBe('mimir');
    expect(Number(target.port)).toBe(mimirPort);
    expect(target.pathname).toBe('/api/v1/push');
  });

  it('uses only the keys cortex-tenant knows (it reads its file strictly)', () => {
    const known = [
      'listen',
      'listen_pprof',
      'listen_metrics_address',
      'metrics_include_tenant',
      'target',
      'target_loki',
      'enable_ipv6',
      'log_level',
      'timeout',
      'timeout_shutdown',
      'idle_timeout',
      'concurrency',
      'metadata',
      'log_response_errors',
      'max_connection_duration',
      'max_conns_per_host',
      'auth',
      'tenant',
    ];
    const tenantKeys = [
      'label',
      'label_list',
      'prefix',
      'prefix_prefer_source',
      'label_remove',
      'header',
      'default',
      'accept_all',
    ];
    expect(Object.keys(ct).filter((k) => !known.includes(k))).toEqual([]);
    expect(Object.keys(ct.tenant).filter((k) => !tenantKeys.includes(k))).toEqual([]);
  });

  it('does not restate the metrics listener, which defaults to 0.0.0.0:9090 and is not published', () => {
    // config.go at v2.0.0: an empty listen_metrics_address becomes 0.0.0.0:9090 (docs/stack-facts.md).
    expect(ct.listen_metrics_address).toBeUndefined();
    expect([...publishedPorts('cortex-tenant').values()]).not.toContain(9090);
  });
});

describe('Mimir ↔ compose ↔ otelpoc verify', () => {
  it('is multi-tenant with federation, on the port and prefix verify queries by default', () => {
    expect(mimir.multitenancy_enabled).toBe(true);
    expect(mimir.tenant_federation.enabled).toBe(true);
    expect(mimir.target).toBe('all');
    const verifyUrl = new URL(STACK_URLS.mimir);
    expect(publishedPorts('mimir').get(Number(verifyUrl.port))).toBe(mimirPort);
    // Mimir's default Prometheus API prefix; the config must not move it.
    expect(mimir.api?.prometheus_http_prefix ?? '/prometheus').toBe(verifyUrl.pathname);
    expect(services.mimir!.command).toEqual(['-config.file=/etc/mimir/mimir.yaml']);
  });

  it("agrees with otelpoc verify's own defaults: URL, tenant header, default tenant", () => {
    expect(DEFAULT_PROM_URL).toBe(STACK_URLS.mimir);
    expect(cliDefault('verify', '--tenant-header')).toBe(TENANT_HEADER);
    expect(cliDefault('verify', '--default-tenant')).toBe(DEFAULT_TENANT);
    expect(cliDefault('doctor', '--mimir-url')).toBe(DEFAULT_PROM_URL);
    expect(cliDefault('doctor', '--tenant-header')).toBe(TENANT_HEADER);
  });

  it('stores its data in the named volume, under the paths of its config', () => {
    // The image's own user (no USER in cmd/mimir/Dockerfile: root) writes to the root-owned volume.
    expect(services.mimir!.user).toBeUndefined();
    const volumes = services.mimir!.volumes as string[];
    expect(volumes).toContain('mimir-data:/data/mimir');
    expect(Object.keys(stack.composeRaw.volumes)).toContain('mimir-data');
    for (const dir of [
      mimir.blocks_storage.filesystem.dir,
      mimir.blocks_storage.tsdb.dir,
      mimir.blocks_storage.bucket_store.sync_dir,
      mimir.compactor.data_dir,
      mimir.ruler_storage.filesystem.dir,
    ]) {
      expect(dir.startsWith('/data/mimir/')).toBe(true);
    }
  });

  it('raises the per-tenant limits above the defaults', () => {
    expect(mimir.limits.ingestion_rate).toBeGreaterThan(10_000);
    expect(mimir.limits.ingestion_burst_size).toBeGreaterThan(200_000);
    expect(mimir.limits.max_global_series_per_user).toBeGreaterThanOrEqual(150_000);
  });
});

describe('Grafana ↔ Mimir ↔ otelpoc', () => {
  const dsList = stack.datasources;

  it('provisions Prometheus datasources on Mimir, each with the tenant header', () => {
    for (const ds of dsList) {
      expect(ds.type).toBe('prometheus');
      expect(ds.access).toBe('proxy');
      const url = new URL(ds.url);
      expect(url.hostname).toBe('mimir');
      expect(Number(url.port)).toBe(mimirPort);
      expect(url.pathname).toBe(new URL(STACK_URLS.mimir).pathname);
      expect(ds.jsonData.httpHeaderName1).toBe(TENANT_HEADER);
      expect(ds.secureJsonData.httpHeaderValue1).toBeTruthy();
    }
    expect(dsList.filter((d) => d.isDefault)).toHaveLength(1);
    expect(new Set(dsList.map((d) => d.uid)).size).toBe(dsList.length);
  });

  it('has one datasource per demo tenant and a federated one across all of them', () => {
    const single = dsList.filter((d) => !d.secureJsonData.httpHeaderValue1!.includes('|'));
    // Plus the ops tenant of the canary's own metrics, which is no demo tenant (see below).
    expect(single.map((d) => d.secureJsonData.httpHeaderValue1).sort()).toEqual(
      [...DEMO_TENANTS, CANARY_OPS_TENANT].sort(),
    );
    const federated = dsList.filter((d) => d.secureJsonData.httpHeaderValue1!.includes('|'));
    expect(federated).toHaveLength(1);
    expect(federated[0]!.secureJsonData.httpHeaderValue1!.split('|').sort()).toEqual(
      [...DEMO_TENANTS].sort(),
    );
    expect(federated[0]!.isDefault).toBe(true);
    // The demo tenants are what `otelpoc load --tenants 3` sends, plus the default tenant.
    expect(DEMO_TENANTS).toContain(DEFAULT_TENANT);
    expect(DEMO_TENANTS).not.toContain(PROBE_CLIENT_ID);
  });

  it('mounts the provisioning and the dashboards where the provider looks', () => {
    const volumes = services.grafana!.volumes as string[];
    expect(volumes).toContain('./stack/grafana/provisioning:/etc/grafana/provisioning:ro');
    const provider = stack.dashboardProviders.providers[0];
    expect(provider.type).toBe('file');
    expect(volumes).toContain(`./stack/grafana/dashboards:${provider.options.path}:ro`);
    const env = services.grafana!.environment as Record<string, string>;
    expect(env.GF_SECURITY_ADMIN_USER).toBe('admin');
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toBe('admin');
    expect(env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${provider.options.path}/otelpoc.json`);
    expect(publishedPorts('grafana').get(portOf(STACK_URLS.grafana))).toBe(3000);
  });

  it('the dashboard queries only the names otelpoc emits, by labels that exist', () => {
    const emitted: string[] = [
      PROM.requestTotal,
      PROM.durationBucket,
      PROM.durationSum,
      PROM.durationCount,
      PROM.activeRequests,
    ];
    const allowedLabels: string[] = [...Object.values(PROM.labels)];
    const exprs = dashboardExpressions(stack.dashboard);
    expect(exprs.length).toBeGreaterThanOrEqual(8);
    const used = new Set<string>();
    for (const { where, expr } of exprs) {
      const names = metricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const n of names) {
        expect(emitted, `${where} queries ${n}`).toContain(n);
        used.add(n);
      }
      for (const l of labelNames(expr)) expect(allowedLabels, `${where} uses label ${l}`).toContain(l);
    }
    // Request rate, errors, latency (histogram) and active requests are all on the dashboard.
    expect([...used].sort()).toEqual([...emitted].sort());
  });

  it("the dashboard's panels use the datasource variable, which defaults to a provisioned datasource", () => {
    const dsVar = stack.dashboard.templating.list.find((v) => v.type === 'datasource')!;
    expect(dsVar.query).toBe('prometheus');
    expect(dsList.map((d) => d.uid)).toContain(dsVar.current!.value);
    for (const p of stack.dashboard.panels) {
      expect(p.datasource.uid, p.title).toBe(`\${${dsVar.name}}`);
    }
    const runVar = stack.dashboard.templating.list.find((v) => v.name === 'run')!;
    expect(JSON.stringify(runVar.query)).toContain(PROM.labels.runId);
    expect(stack.dashboard.uid).toBe('otelpoc');
  });
});

describe('the dashboard JSON', () => {
  it('has unique panel ids and non-overlapping panels within the 24-column grid', () => {
    type Grid = { x: number; y: number; w: number; h: number };
    const panels = stack.dashboard.panels as unknown as { id: number; title: string; gridPos: Grid }[];
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      expect(p.gridPos.w * p.gridPos.h, p.title).toBeGreaterThan(0);
    }
    const overlap = (a: Grid, b: Grid) =>
      a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    for (const [i, a] of panels.entries()) {
      for (const b of panels.slice(i + 1)) {
        expect(overlap(a.gridPos, b.gridPos), `${a.title} overlaps ${b.title}`).toBe(false);
      }
    }
  });
});

describe('the app profile ↔ otelpoc serve', () => {
  it('runs serve on its default port, exporting to Alloy inside the network', () => {
    const app = services.app!;
    expect(app.profiles).toEqual(['app']);
    const servePort = cliDefault('serve', '--port');
    expect(servePort).toBe(8088);
    expect(publishedPorts('app').get(8088)).toBe(servePort);
    expect(app.command).toEqual(['serve', '--host', '0.0.0.0', '--port', String(servePort)]);
    const otlp = new URL((app.environment as Record<string, string>).OTEL_EXPORTER_OTLP_ENDPOINT!);
    expect(otlp.hostname).toBe('alloy');
    expect(Number(otlp.port)).toBe(hostPort(child(receiver, 'http').attrs.endpoint as string));
  });

  it('the Dockerfile starts the same command', () => {
    expect(stack.dockerfile).toMatch(/ENTRYPOINT \["node", "\/app\/bin\/otelpoc"\]/);
    expect(stack.dockerfile).toMatch(/CMD \["serve", "--host", "0.0.0.0", "--port", "8088"\]/);
  });
});

describe('the direct profile ↔ Mimir OTLP ↔ otelpoc serve and verify', () => {
  const direct = services['app-direct']!;
  const command = direct.command as string[];
  const flag = (name: string) => command[command.indexOf(name) + 1];

  it('runs serve on its default port with one export stream per tenant, named by the header verify queries with', () => {
    expect(direct.profiles).toEqual(['direct']);
    const servePort = cliDefault('serve', '--port');
    expect(publishedPorts('app-direct').get(8088)).toBe(servePort);
    expect(command.slice(0, 5)).toEqual(['serve', '--host', '0.0.0.0', '--port', String(servePort)]);
    // Written tenant = queried tenant: the same header, and the same default tenant (serve's default).
    expect(flag('--tenant-header')).toBe(TENANT_HEADER);
    expect(cliDefault('verify', '--tenant-header')).toBe(TENANT_HEADER);
    expect(command).not.toContain('--default-tenant');
    expect(cliDefault('serve', '--default-tenant')).toBe(DEFAULT_TENANT);
    expect(cliDefault('verify', '--default-tenant')).toBe(DEFAULT_TENANT);
  });

  it("exports straight to Mimir's OTLP path on its HTTP port, with no router in the path", () => {
    const env = direct.environment as Record<string, string>;
    const otlp = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT!);
    expect(otlp.hostname).toBe('mimir');
    expect(Number(otlp.port)).toBe(mimirPort);
    // otelpoc appends /v1/metrics: Mimir's OTLP endpoint is /otlp/v1/metrics.
    expect(`${otlp.pathname}/v1/metrics`).toBe('/otlp/v1/metrics');
    expect(Object.keys(direct.depends_on as object)).toEqual(['mimir-ready']);
    expect(JSON.stringify(direct)).not.toMatch(/alloy|cortex-tenant/);
    // doctor --topology direct looks there by default, on the port compose publishes.
    expect(mimirOtlpEndpoint(STACK_URLS.mimir)).toBe(`http://localhost:${mimirPort}/otlp`);
    expect(publishedPorts('mimir').get(portOf(STACK_URLS.mimir))).toBe(mimirPort);
  });

  it("sets Mimir's OTLP translation so the names are those verify checks, and nothing that could panic it", () => {
    // docs/stack-facts.md, "Mimir's OTLP endpoint": suffixes default off (http_server_request,
    // http_server_request_duration_bucket); on → http_server_request_total, ..._seconds_bucket.
    expect(mimir.limits.otel_metric_suffixes_enabled).toBe(true);
    expect(mimir.limits.otel_translation_strategy).toBeUndefined();
    expect(mimir.limits.name_validation_scheme ?? 'legacy').toBe('legacy');
    expect(mimir.limits.otel_convert_histograms_to_nhcb ?? false).toBe(false);
    expect(PROM.requestTotal).toBe('http_server_request_total');
    expect(PROM.durationBucket).toBe('http_server_request_duration_seconds_bucket');
  });
});

describe('the canary profile ↔ otelpoc canary ↔ Alloy ↔ Grafana', () => {
  const canary = services.canary!;
  const flagValue = (flag: string) => {
    const cmd = canary.command as string[];
    return cmd[cmd.indexOf(flag) + 1];
  };

  it('runs the canary against Alloy and Mimir, /metrics on its default port, published', () => {
    expect(canary.profiles).toEqual(['canary']);
    expect((canary.command as string[])[0]).toBe('canary');
    expect(cliDefault('canary', '--metrics-port')).toBe(CANARY_METRICS_PORT);
    expect(Number(flagValue('--metrics-port'))).toBe(CANARY_METRICS_PORT);
    expect(flagValue('--metrics-host')).toBe('0.0.0.0');
    expect(publishedPorts('canary').get(CANARY_METRICS_PORT)).toBe(CANARY_METRICS_PORT);
    const url = new URL(flagValue('--url')!);
    expect([url.hostname, Number(url.port), url.pathname]).toEqual([
      'mimir',
      mimirPort,
      new URL(STACK_URLS.mimir).pathname,
    ]);
    const otlp = new URL((canary.environment as Record<string, string>).OTEL_EXPORTER_OTLP_ENDPOINT!);
    expect([otlp.hostname, Number(otlp.port)]).toEqual(['alloy', 4318]);
    const check = (canary.healthcheck as { test: string[] }).test;
    expect(check[3]).toContain(`fetch('http://127.0.0.1:${CANARY_METRICS_PORT}/healthz')`);
  });

  it('Alloy scrapes it as job otelpoc-canary and writes it into the ops tenant of Mimir', () => {
    const scrape = component(stack.alloy, 'prometheus.scrape', 'canary');
    expect(scrape.attrs.job_name).toBe(CANARY_SCRAPE_JOB);
    const targets = scrape.attrs.targets as never[];
    expect(targets.map((t) => objectOf(t).__address__)).toEqual([`canary:${CANARY_METRICS_PORT}`]);
    const to = refTarget((scrape.attrs.forward_to as never[])[0]!);
    expect(to.component).toBe('prometheus.remote_write');
    const endpoint = child(component(stack.alloy, 'prometheus.remote_write', to.label), 'endpoint');
    const push = new URL(endpoint.attrs.url as string);
    expect([push.hostname, Number(push.port), push.pathname]).toEqual(['mimir', mimirPort, '/api/v1/push']);
    expect(objectOf(endpoint.attrs.headers)).toEqual({ [TENANT_HEADER]: CANARY_OPS_TENANT });
    expect(DEMO_TENANTS as readonly string[]).not.toContain(CANARY_OPS_TENANT);
  });

  it('the "otelpoc canary" dashboard reads the ops tenant, only the canary\'s metrics, by their labels', () => {
    const d = stack.canaryDashboard;
    expect([d.uid, d.title]).toEqual(['otelpoc-canary', 'otelpoc canary']);
    const ops = stack.datasources.find((ds) => ds.secureJsonData.httpHeaderValue1 === CANARY_OPS_TENANT)!;
    expect(ops).toBeDefined();
    const names = new Set<string>(['up']);
    const labels = new Set<string>(['job', 'instance', 'le']);
    for (const m of Object.values(CANARY_METRICS)) {
      for (const n of m.type === 'histogram'
        ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`]
        : [m.name])
        names.add(n);
      for (const l of m.labels) labels.add(l);
    }
    const exprs = dashboardExpressions(d);
    expect(exprs.length).toBeGreaterThanOrEqual(9);
    for (const p of d.panels) expect(p.datasource.uid, p.title).toBe(ops.uid);
    const used = new Set<string>();
    for (const { where, expr } of exprs) {
      expect(expr, where).toContain(`job="${CANARY_SCRAPE_JOB}"`);
      for (const n of metricNames(expr)) {
        expect([...names], `${where} queries ${n}`).toContain(n);
        used.add(n);
      }
      for (const l of labelNames(expr)) expect([...labels], `${where} uses label ${l}`).toContain(l);
    }
    // Per tenant: status, lag, failures by check.
    for (const n of [
      CANARY_METRICS.checkOk.name,
      CANARY_METRICS.deliveryLag.name,
      CANARY_METRICS.checks.name,
    ])
      expect(used).toContain(n);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
  });
});
