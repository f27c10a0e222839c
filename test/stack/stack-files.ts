/** Reads the stack's files once for the stack tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from '../helpers/cli.js';
import { type AlloyBlock, parseAlloy } from './alloy-config.js';

export const STACK = join(ROOT, 'stack');

const text = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

export interface DashboardTarget {
  refId: string;
  expr: string;
  instant?: boolean;
}

export interface DashboardPanel {
  id: number;
  title: string;
  type: string;
  datasource: { type: string; uid: string };
  targets: DashboardTarget[];
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating: {
    list: {
      name: string;
      type: string;
      query: unknown;
      allValue?: string;
      current?: { value: string };
      datasource?: unknown;
    }[];
  };
}

export interface Datasource {
  name: string;
  uid: string;
  type: string;
  access: string;
  url: string;
  isDefault?: boolean;
  jsonData: Record<string, unknown>;
  secureJsonData: Record<string, string>;
}

// biome-ignore lint/suspicious/noExplicitAny: raw YAML documents, asserted on field by field
type Yaml = any;

export function readStack() {
  return {
    composeRaw: parse(text('docker-compose.yml')) as Yaml,
    alloy: parseAlloy(text('stack/alloy/config.alloy')) as AlloyBlock[],
    cortexTenant: parse(text('stack/cortex-tenant/cortex-tenant.yaml')) as Yaml,
    mimir: parse(text('stack/mimir/mimir.yaml')) as Yaml,
    datasources: (parse(text('stack/grafana/provisioning/datasources/mimir.yaml')) as Yaml)
      .datasources as Datasource[],
    datasourcesFile: parse(text('stack/grafana/provisioning/datasources/mimir.yaml')) as Yaml,
    dashboardProviders: parse(text('stack/grafana/provisioning/dashboards/otelpoc.yaml')) as Yaml,
    dashboard: JSON.parse(text('stack/grafana/dashboards/otelpoc.json')) as Dashboard,
    canaryDashboard: JSON.parse(text('stack/grafana/dashboards/otelpoc-canary.json')) as Dashboard,
    dockerfile: text('Dockerfile'),
  };
}

/** Every PromQL expression of the dashboard, with where it came from. */
export function dashboardExpressions(d: Dashboard): { where: string; expr: string; instant: boolean }[] {
  return d.panels.flatMap((p) =>
    p.targets.map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr, instant: !!t.instant })),
  );
}

/** The metric names an expression selects: identifiers followed by `{`, `[` or `)`, outside strings and by-clauses. */
export function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""').replace(/\b(by|without) \([^)]*\)/g, '');
  const names = new Set<string>();
  const keywords = new Set([
    'sum',
    'by',
    'rate',
    'increase',
    'max_over_time',
    'histogram_quantile',
    'without',
    'on',
    'ignoring',
  ]);
  for (const m of withoutStrings.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{|\[|\))/g)) {
    if (!keywords.has(m[1]!)) names.add(m[1]!);
  }
  return [...names];
}

/** Label names used in `by (...)` clauses and selectors. */
export function labelNames(expr: string): string[] {
  const labels = new Set<string>();
  for (const m of expr.matchAll(/by \(([^)]*)\)/g)) {
    for (const l of m[1]!.split(',')) labels.add(l.trim());
  }
  for (const m of expr
    .replace(/"[^"]*"/g, '""')
    .matchAll(/[{,]\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) {
    labels.add(m[1]!);
  }
  return [...labels];
}

/**
 * Replaces Grafana's variables with concrete values, as Grafana would before sending the query:
 * $__rate_interval / $__interval / $__range, and the dashboard's template variables.
 */
export function concreteExpr(
  expr: string,
  values: { rateInterval: string; interval: string; range: string; vars: Record<string, string> },
): string {
  let out = expr
    .replaceAll('$__rate_interval', values.rateInterval)
    .replaceAll('$__interval', values.interval)
    .replaceAll('$__range', values.range);
  for (const [name, value] of Object.entries(values.vars)) {
    out = out.replaceAll(`\${${name}}`, value).replace(new RegExp(`\\$${name}\\b`, 'g'), value);
  }
  if (out.includes('$')) throw new Error(`unreplaced variable in ${out}`);
  return out;
}
