/**
 * The one-file HTML report of a run (`--report` on load, verify and run). Pure: data in, one HTML
 * string out. The file needs nothing when opened: the charting library (uPlot) and its styles are
 * inlined (see ./assets.ts), the data is embedded as JSON in a <script type="application/json">, and
 * a Content-Security-Policy forbids every network request, so a report mailed or archived shows the
 * same thing forever and leaks nothing.
 *
 * What is shown: the run second by second (target vs achieved rate, drops and errors, latency
 * percentiles — service time and schedule-corrected) from the manifest's timeline, the tenant ×
 * status counts sent, and when verify ran, the per-tenant check matrix with each failure's reason
 * and how long the data took to become visible. Tables are rendered here (escaped); the charts are
 * drawn in the page from the embedded data.
 */
import type { RunManifest } from '../manifest/schema.js';
import { formatSeconds as secs } from '../util/duration.js';
import { CHECK_IDS, CHECK_TITLES, type CheckResult, statusOf, type VerifyReport } from '../verify/types.js';
import { combinedTimeline, type TimelineColumns } from './timeline.js';

export interface ReportAssets {
  /** uPlot's browser build (defines the global uPlot). */
  uplotJs: string;
  uplotCss: string;
}

/** The commands that write a report (--report): the title names the one that wrote it. */
export type ReportCommand = 'load' | 'verify' | 'run';

export interface ReportInput {
  /** Which command wrote the report: `verify --report` is not a run of `otelpoc run`. */
  command: ReportCommand;
  /** The run's manifest, or its shards' (at least one). */
  manifests: readonly RunManifest[];
  /** Present when verify ran. */
  verify?: VerifyReport | undefined;
  /** When the report was made (ISO), shown in its footer. */
  generatedAt: string;
}

/** What the page's script reads: the chart columns, and the inputs in full for anyone who saves the page. */
export interface EmbeddedData {
  timeline: TimelineColumns | null;
  manifests: readonly RunManifest[];
  verify: VerifyReport | null;
}

/**
 * The whole run's target rate: a shard records its own share (rate / shard count), so the shards'
 * targets add up, as their achieved rates do. Unknown (closed model) when any shard has none.
 */
function targetRate(manifests: readonly RunManifest[]): number | null {
  const targets = manifests.map((x) => x.rate.targetPerSec);
  if (targets.some((t) => t === null)) return null;
  const total = (targets as number[]).reduce((a, b) => a + b, 0);
  return Math.round(total * 1000) / 1000;
}

export function renderReportHtml(input: ReportInput, assets: ReportAssets): string {
  if (input.manifests.length === 0) throw new RangeError('a report needs at least one manifest');
  for (const [name, text] of [
    ['uplotJs', assets.uplotJs],
    ['uplotCss', assets.uplotCss],
  ] as const) {
    // Either would end the inline element early (or start an HTML comment state in a script).
    if (/<\/(script|style)|<!--/i.test(text)) throw new Error(`report asset ${name} cannot be inlined`);
  }
  const first = input.manifests[0]!;
  const runId = first.runId;
  const timeline = combinedTimeline(input.manifests);
  const data: EmbeddedData = { timeline, manifests: input.manifests, verify: input.verify ?? null };
  const verdict = input.verify ? (input.verify.ok ? 'pass' : 'fail') : null;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>otelpoc ${input.command} report: ${esc(runId)}</title>
<style>${assets.uplotCss}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<header>
<h1>otelpoc ${input.command} · run <code>${esc(runId)}</code>${verdict ? ` <span class="verdict ${verdict}">${verdict === 'pass' ? 'verify passed' : 'verify FAILED'}</span>` : ''}</h1>
${summaryHtml(input.manifests)}
</header>
<section id="timeline">
<h2>Second by second</h2>
${
  timeline
    ? `<p class="note">${timelineNote(input.manifests, timeline)}</p>
<div class="chart" id="chart-rate"></div>
<div class="chart" id="chart-errors"></div>
<div class="chart" id="chart-latency"></div>`
    : `<p class="note">No timeline: ${input.manifests.length > 1 ? 'these manifests were' : 'this manifest was'} written by an otelpoc before manifest schema version 3.</p>`
}
</section>
<section id="tenants">
<h2>Requests sent, tenant × status</h2>
${tenantTableHtml(input.manifests)}
</section>
${input.verify ? verifyHtml(input.verify) : '<section id="verify"><h2>Verify</h2><p class="note">verify did not run for this report.</p></section>'}
<footer>otelpoc ${esc(first.tool.version)} · report made ${esc(input.generatedAt)} · charts: uPlot (MIT), inlined</footer>
<script type="application/json" id="otelpoc-data">${embedJson(data)}</script>
<script>${assets.uplotJs}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/**
 * JSON for a <script type="application/json"> element: `<` (so no `</script>` or `<!--` in any
 * string can end or change the element), `>`, `&` and the line separators U+2028/U+2029 written as
 * \u escapes. JSON.parse reads them back as the same characters.
 */
export function embedJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Text for HTML element content and quoted attribute values (the line separators as references too). */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"'\u2028\u2029]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function summaryHtml(manifests: readonly RunManifest[]): string {
  const m = manifests[0]!;
  const sum = (f: (x: RunManifest) => number) => manifests.reduce((a, x) => a + f(x), 0);
  const t = (k: keyof RunManifest['totals']) => sum((x) => x.totals[k]);
  const e = (k: keyof RunManifest['errors']) => sum((x) => x.errors[k]);
  const durationS = (Date.parse(m.endedAt) - Date.parse(m.startedAt)) / 1000;
  const rows: [string, string][] = [
    ['started', m.startedAt],
    ['duration', `${durationS.toFixed(1)} s${m.interrupted ? ' (interrupted)' : ''}`],
    ['target', m.target],
    ['model', m.config.model === 'open' ? 'open (scheduled arrivals)' : 'closed (--rps max)'],
    [
      'rate',
      `target ${targetRate(manifests) ?? '—'} /s, achieved ${manifests.length > 1 ? sum((x) => x.rate.achievedPerSec).toFixed(1) : m.rate.achievedPerSec} /s`,
    ],
    [
      'requests',
      `scheduled ${t('scheduled')}, sent ${t('sent')}, answered ${t('answered')}, dropped ${t('dropped')}, other status ${t('mismatched')}, unanswered ${t('unanswered')}, refused ${t('refused')}`,
    ],
    [
      'errors',
      `timeout ${e('timeout')}, reset ${e('reset')}, refused ${e('refused')}, status mismatch ${e('statusMismatch')}, other ${e('other')}`,
    ],
    [
      'latency (whole run)',
      `service p50 ${m.latency.service.p50Ms} ms, p99 ${m.latency.service.p99Ms} ms; schedule-corrected p99 ${m.latency.scheduleCorrected.p99Ms} ms, max ${m.latency.scheduleCorrected.maxMs} ms`,
    ],
  ];
  if (manifests.length > 1) rows.push(['shards', String(manifests.length)]);
  return `<table class="summary">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function timelineNote(manifests: readonly RunManifest[], t: TimelineColumns): string {
  const width =
    t.bucketMs === 1000 ? 'one point per second' : `one point per ${t.bucketMs / 1000} s (a long run)`;
  const shards =
    manifests.length > 1 ? '; the shards are summed second by second, each from its own start' : '';
  const partial = t.bucketMs === 1000 ? 'a partial last second' : 'a partial last point';
  const d = t.drain;
  const drain = d
    ? ` The schedule ended at ${d.fromS.toFixed(1)} s; the ${d.seconds < 1 ? `${Math.round(d.seconds * 1000)} ms` : `${d.seconds.toFixed(1)} s`} after it, the drain of the requests still in flight (${d.answered} answered, ${d.failed} failed), is in the totals and the table but has no rate to draw.`
    : '';
  return esc(
    `${width}${shards}. Rates are per second of schedule (${partial}'s over the time it covers); latency percentiles are of the responses received in each second.${drain}`,
  );
}

function tenantName(clientId: string | null): string {
  return clientId ?? '(no Client-ID)';
}

function tenantTableHtml(manifests: readonly RunManifest[]): string {
  // Tenants in the order of the first manifest, summed across shards by Client-ID.
  const cells = new Map<string | null, Map<number, { sent: number; answered: number; dropped: number }>>();
  const statuses = new Set<number>();
  for (const m of manifests) {
    for (const t of m.tenants) {
      let row = cells.get(t.clientId);
      if (!row) {
        row = new Map();
        cells.set(t.clientId, row);
      }
      for (const c of t.byStatus) {
        statuses.add(c.status);
        const cell = row.get(c.status) ?? { sent: 0, answered: 0, dropped: 0 };
        cell.sent += c.sent;
        cell.answered += c.answered;
        cell.dropped += c.dropped;
        row.set(c.status, cell);
      }
    }
  }
  const cols = [...statuses].sort((a, b) => a - b);
  const head = `<tr><th>tenant (Client-ID)</th>${cols.map((s) => `<th>${s}</th>`).join('')}<th>total sent</th></tr>`;
  const body = [...cells.entries()]
    .map(([clientId, row]) => {
      let total = 0;
      const tds = cols.map((s) => {
        const c = row.get(s);
        if (!c) return '<td class="num">—</td>';
        total += c.sent;
        const detail = `answered ${c.answered}${c.dropped ? `, dropped ${c.dropped}` : ''}`;
        return `<td class="num" title="${esc(detail)}">${c.sent}${c.dropped ? ` <small>(+${c.dropped} dropped)</small>` : ''}</td>`;
      });
      return `<tr><th class="tenant">${esc(tenantName(clientId))}</th>${tds.join('')}<td class="num">${total}</td></tr>`;
    })
    .join('\n');
  return `<table class="grid" id="tenant-status">${head}\n${body}</table>`;
}

function cellOf(r: CheckResult | undefined): { cls: string; mark: string; title: string } {
  if (!r) return { cls: 'none', mark: '·', title: 'not checked' };
  switch (statusOf(r)) {
    case 'undecided':
      return { cls: 'undecided', mark: '?', title: 'undecided (interrupted)' };
    case 'not-testable':
      return { cls: 'skip', mark: '–', title: `not testable: ${r.found}` };
    case 'no-data':
      // Nothing to check is not a pass: never the green ✓.
      return { cls: 'nodata', mark: 'no data', title: `no data: ${r.found}` };
    case 'pass':
      return { cls: 'pass', mark: '✓', title: `passed: ${r.found}` };
    case 'fail':
      return { cls: 'fail', mark: '✗', title: r.problems[0] ?? 'failed' };
  }
}

function verifyHtml(v: VerifyReport): string {
  const byKey = new Map(v.results.map((r) => [`${r.tenant}\u0000${r.check}`, r]));
  const head = `<tr><th>tenant</th>${CHECK_IDS.map((c) => `<th>${esc(CHECK_TITLES[c])}</th>`).join('')}</tr>`;
  // The manifest's tenants, then any other tenant a result names (the default tenant or a stray one
  // where data of the run went astray): a tenant with a failure must have its row.
  const tenants = [...new Set([...v.tenants, ...v.results.map((r) => r.tenant)])];
  const rows = tenants
    .map((tenant) => {
      const tds = CHECK_IDS.map((check) => {
        const c = cellOf(byKey.get(`${tenant}\u0000${check}`));
        return `<td class="check ${c.cls}" title="${esc(c.title)}">${c.mark}</td>`;
      });
      const failed = v.results.some((r) => r.tenant === tenant && !r.ok && !r.skipped);
      return `<tr class="${failed ? 'failed' : 'ok'}"><th class="tenant">${esc(tenant)}</th>${tds.join('')}</tr>`;
    })
    .join('\n');
  const failures = v.results.filter((r) => !r.ok && !r.skipped);
  const facts: [string, string][] = [
    [
      'verdict',
      v.ok ? 'passed' : v.interrupted ? 'interrupted' : v.timedOut ? 'failed (timed out)' : 'failed',
    ],
    ['source', v.source],
    [
      'data visible after',
      v.visibleAfterMs !== undefined ? secs(v.visibleAfterMs) : 'never (no poll had every check green)',
    ],
    ['settle window', `${secs(v.settleMs)} (${v.settleWhy}); green for ${secs(v.greenForMs)} at the end`],
    ['polls', `${v.polls} in ${secs(v.elapsedMs)}`],
  ];
  if (!v.isolated) facts.push(['tenant isolation', 'not testable: one store for every tenant']);
  if (v.lastError) facts.push(['last backend error', v.lastError]);
  const failureList = failures.length
    ? `<h3>Failures</h3><ul class="failures">${failures
        .map(
          (r) =>
            `<li><b>${esc(r.tenant)}</b> · ${esc(CHECK_TITLES[r.check])}${r.undecided ? ' (undecided)' : ''}: ${esc(r.problems.join('; ') || (statusOf(r) === 'no-data' ? 'no data (nothing to check: not passed)' : 'failed'))}<br><small>expected ${esc(r.expected)} · found ${esc(r.found)}</small></li>`,
        )
        .join('\n')}</ul>`
    : '';
  const flaps = v.flaps?.length
    ? `<h3>Went red after being green</h3><ul class="failures">${v.flaps
        .map(
          (f) =>
            `<li><b>${esc(f.tenant)}</b> · ${esc(CHECK_TITLES[f.check])} at ${secs(f.atMs)} (green since ${secs(f.greenSinceMs)}): ${esc(f.problem)}</li>`,
        )
        .join('\n')}</ul>`
    : '';
  return `<section id="verify">
<h2>Verify: per-tenant checks</h2>
<table class="summary">${facts.map(([k, val]) => `<tr><th>${esc(k)}</th><td>${esc(val)}</td></tr>`).join('')}</table>
<table class="grid" id="check-matrix">${head}\n${rows}</table>
${failureList}
${flaps}
</section>`;
}

const PAGE_CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#1d2330;background:#fff}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #d8dce4;padding-bottom:4px}h3{font-size:15px}
code{font-size:90%}.note{color:#5a6270}
.verdict{font-size:14px;padding:2px 10px;border-radius:10px;vertical-align:middle;color:#fff}
.verdict.pass{background:#1a7f37}.verdict.fail{background:#cf222e}
table{border-collapse:collapse;margin:8px 0}th,td{padding:4px 10px;text-align:left}
table.summary th{color:#5a6270;font-weight:500;white-space:nowrap}
table.grid th,table.grid td{border:1px solid #d8dce4}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.check{text-align:center;font-weight:bold}td.pass{background:#dafbe1;color:#1a7f37}td.fail{background:#ffebe9;color:#cf222e}
td.skip,td.none{color:#8b929c}td.nodata{color:#9a6700;font-size:.8em}td.undecided{background:#fff8c5}tr.failed th.tenant{color:#cf222e}
th.tenant{white-space:nowrap}
ul.failures li{margin-bottom:6px}.chart{margin:12px 0}
footer{margin-top:40px;color:#8b929c;font-size:12px}
`;

/** Draws the three charts from the embedded data (runs in the page). */
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('otelpoc-data').textContent);
  var t = data.timeline;
  if (!t) return;
  var width = Math.max(480, Math.min(1068, document.body.clientWidth - 32));
  // Rates from 0: auto-ranged, a 3 % wobble would fill the chart's height.
  function fromZero(u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; }
  // Whole seconds between x ticks, never fractions: a 3 s run has ticks at 0, 1, 2, 3, not every 0.2 s.
  var SECOND_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400];
  // The x axis ends at the chart's last drawn point (at least 1 s): the drain bucket after the
  // schedule has no rate, and an axis running on to it would show an empty last second.
  function lastDrawn(columns) {
    for (var i = t.t.length - 1; i > 0; i--) {
      if (columns.some(function (c) { return c[i] !== null && c[i] !== undefined; })) return t.t[i];
    }
    return t.t[0];
  }
  // For anyone inspecting the page (and the browser test): each chart's uPlot instance by element id.
  var charts = window.otelpocCharts = {};
  function chart(id, title, yLabel, series, columns, yFromZero) {
    var el = document.getElementById(id);
    var last = lastDrawn(columns);
    var x = { time: false, range: function (u, min) { return [Math.min(0, min), Math.max(last, min + 1)]; } };
    var opts = {
      title: title, width: width, height: 260,
      scales: yFromZero ? { x: x, y: { range: fromZero } } : { x: x },
      axes: [{ label: 'seconds since the start', incrs: SECOND_INCRS }, { label: yLabel }],
      // Labels only: a live legend shows "--" for every value until the cursor is on the chart.
      legend: { live: false },
      series: [{ label: 's' }].concat(series),
    };
    charts[id] = new uPlot(opts, [t.t].concat(columns), el);
  }
  // Series of one chart often coincide (sent = answered = target in a green run; p99 = max with few
  // responses): each gets its own colour, width and dash, drawn wide first and narrow on top, so
  // a line under another still shows at its edges and in its gaps.
  function line(label, stroke, width, dash) {
    var s = { label: label, stroke: stroke, width: width, spanGaps: false };
    if (dash) s.dash = dash;
    return s;
  }
  chart('chart-rate', 'Target vs achieved rate', 'requests / s',
    [line('target (scheduled)', '#8250df', 5, [10, 5]), line('sent', '#0969da', 3, [3, 3]), line('answered', '#1a7f37', 1.5)],
    [t.scheduled, t.sent, t.answered], true);
  chart('chart-errors', 'Drops and errors', 'requests / s',
    [line('dropped', '#bf8700', 5), line('timeout', '#cf222e', 4, [10, 5]), line('reset', '#a40e26', 3.5, [2, 4]),
     line('refused', '#fa4549', 3, [6, 3, 2, 3]), line('other status', '#e16f24', 2), line('other error', '#6e7781', 1.5, [4, 2])],
    [t.dropped, t.errors.timeout, t.errors.reset, t.errors.refused, t.errors.statusMismatch, t.errors.other], true);
  chart('chart-latency', 'Latency percentiles (responses received each second)', 'ms',
    [line('schedule-corrected max', '#8250df', 5, [10, 5]), line('schedule-corrected p99', '#cf222e', 3, [3, 3]),
     line('schedule-corrected p50', '#1a7f37', 3, [8, 3, 2, 3]), line('service p99', '#54aeff', 2),
     line('service p50', '#0969da', 1.5)],
    [t.corrected.max, t.corrected.p99, t.corrected.p50, t.service.p99, t.service.p50]);
})();
`;
