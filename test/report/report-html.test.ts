/** The HTML report as a string: escaping of embedded data, nothing fetched from elsewhere, what it shows. */
import { describe, expect, it } from 'vitest';
import { loadReportAssets } from '../../src/report/assets.js';
import { embedJson, renderReportHtml } from '../../src/report/html.js';
import { combinedTimeline } from '../../src/report/timeline.js';
import { realLoadManifest } from '../verify/fixtures.js';
import { realRunManifest, redVerify } from './fixtures.js';

const HOSTILE = '</script><script>alert(1)</script><!-- \u2028\u2029 & "\'';

function embedded(html: string): unknown {
  const m = /<script type="application\/json" id="otelpoc-data">([^<]*)<\/script>/.exec(html);
  if (!m) throw new Error('no embedded data');
  return JSON.parse(m[1]!);
}

describe('embedJson', () => {
  it('escapes what could end or change a script element, and reads back the same', () => {
    const text = embedJson({ s: HOSTILE });
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual({ s: HOSTILE });
  });
});

describe('renderReportHtml', () => {
  it('a hostile Client-ID stays data: escaped in the tables, intact in the embedded JSON', async () => {
    const m = realRunManifest();
    m.tenants[0]!.clientId = HOSTILE;
    const verify = redVerify([HOSTILE, 'tenant-2'], HOSTILE, `count of ${HOSTILE}`);
    const html = renderReportHtml(
      { command: 'run', manifests: [m], verify, generatedAt: 'now' },
      await loadReportAssets(),
    );
    // Exactly the report's own three scripts: the data, uPlot, the page's.
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(html).not.toContain('alert(1)</script>');
    expect(html).not.toMatch(/[\u2028\u2029]/);
    expect(html).toContain('&#60;/script&#62;&#60;script&#62;alert(1)');
    const data = embedded(html) as { manifests: { tenants: { clientId: string }[] }[] };
    expect(data.manifests[0]!.tenants[0]!.clientId).toBe(HOSTILE);
  });

  it('refers to nothing outside the file, and forbids the page any request', async () => {
    const html = renderReportHtml(
      {
        command: 'run',
        manifests: [realRunManifest()],
        verify: redVerify(['tenant-1'], 'tenant-1', 'x'),
        generatedAt: 'now',
      },
      await loadReportAssets(),
    );
    expect(html).not.toMatch(/\b(src|href|action|srcset|poster|data)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    expect(html).toContain(
      `content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"`,
    );
    // uPlot is inlined, not linked.
    expect(html).toContain('var uPlot=');
  });

  it('a red verify: the matrix marks the failing tenant and lists the reason; never visible', async () => {
    const html = renderReportHtml(
      {
        command: 'run',
        manifests: [realRunManifest()],
        verify: redVerify(['tenant-1', 'tenant-2'], 'tenant-2', 'count of status 200 is 18, expected 17'),
        generatedAt: 'now',
      },
      await loadReportAssets(),
    );
    expect(html).toContain('verify FAILED');
    expect(html).toMatch(/<tr class="failed"><th class="tenant">tenant-2<\/th>/);
    expect(html).toMatch(/<tr class="ok"><th class="tenant">tenant-1<\/th>/);
    expect(html).toContain(
      '<b>tenant-2</b> · exact counts per status: count of status 200 is 18, expected 17',
    );
    expect(html).toContain('never (no poll had every check green)');
  });

  it('the title names the command that wrote the report', async () => {
    const assets = await loadReportAssets();
    const verify = renderReportHtml(
      {
        command: 'verify',
        manifests: [realRunManifest()],
        verify: redVerify(['tenant-1'], 'x', 'x'),
        generatedAt: 'now',
      },
      assets,
    );
    expect(verify).toContain('<title>otelpoc verify report: ');
    expect(verify).toMatch(/<h1>otelpoc verify · run <code>/);
    expect(verify).not.toContain('<h1>otelpoc run');
    const load = renderReportHtml(
      { command: 'load', manifests: [realRunManifest()], generatedAt: 'now' },
      assets,
    );
    expect(load).toMatch(/<h1>otelpoc load · run <code>/);
  });

  it('every tenant with a result has a row in the matrix: a failed stray tenant (anonymous) too', async () => {
    const verify = redVerify(['tenant-1'], 'none', 'x');
    verify.ok = false;
    verify.results.push({
      tenant: 'anonymous',
      check: 'isolation',
      ok: false,
      expected: 'nothing of this run',
      found: '3 series',
      problems: ['3 series of run "r" went to tenant "anonymous"'],
    });
    const html = renderReportHtml(
      { command: 'verify', manifests: [realRunManifest()], verify, generatedAt: 'now' },
      await loadReportAssets(),
    );
    expect(html).toMatch(/<tr class="ok"><th class="tenant">tenant-1<\/th>/);
    expect(html).toMatch(/<tr class="failed"><th class="tenant">anonymous<\/th>/);
  });

  it('a manifest of schema version 2 (no timeline): says so, draws no chart', async () => {
    const html = renderReportHtml(
      { command: 'load', manifests: [await realLoadManifest()], generatedAt: 'now' },
      await loadReportAssets(),
    );
    expect(html).toContain(
      'No timeline: this manifest was written by an otelpoc before manifest schema version 3.',
    );
    expect(html).not.toContain('id="chart-rate"');
    expect(html).toContain('verify did not run');
    expect((embedded(html) as { timeline: unknown }).timeline).toBeNull();
  });
});

describe('combinedTimeline', () => {
  it('one manifest: rates per second from its entries; the drain bucket after the schedule has none', () => {
    const m = realRunManifest();
    const t = combinedTimeline([m])!;
    // A 3 s run: seconds 0-2 are full; second 3 holds only the drain (1 ms), not a rate of 0.
    expect(t.sent).toEqual([...m.timeline!.entries.slice(0, 3).map((e) => e.sent), null]);
    expect(t.t).toEqual(m.timeline!.entries.map((e) => e.t));
    expect(t.drain).toEqual({ fromS: 3, seconds: 0.001, answered: 0, failed: 0 });
  });

  it('a partial last bucket: rates per second of the schedule it covers; the drain is counted, not drawn', async () => {
    // A 2.5 s run at 50/s: second 2 covers 0.5 s of schedule; 30 ms of drain spill into second 3.
    const m = realRunManifest();
    m.config.durationMs = 2500;
    m.config.stages = [{ durationMs: 2500, fromPerSec: 50, toPerSec: 50 }];
    m.endedAt = new Date(Date.parse(m.startedAt) + 3030).toISOString();
    const [, , last, drain] = m.timeline!.entries;
    Object.assign(last!, { scheduled: 25, sent: 25, answered: 23, dropped: 0 });
    Object.assign(drain!, { answered: 2, errors: { ...drain!.errors, timeout: 1 } });
    const t = combinedTimeline([m])!;
    expect(t.scheduled).toEqual([50, 50, 50, null]);
    expect(t.sent).toEqual([50, 50, 50, null]);
    expect(t.answered).toEqual([50, 50, 46, null]);
    expect(t.errors.timeout[3]).toBeNull();
    expect(t.drain).toEqual({ fromS: 2.5, seconds: 0.53, answered: 2, failed: 1 });
    const html = renderReportHtml(
      { command: 'run', manifests: [m], generatedAt: 'now' },
      await loadReportAssets(),
    );
    expect(html).toContain(
      'The schedule ended at 2.5 s; the 530 ms after it, the drain of the requests still in flight (2 answered, 1 failed), is in the totals and the table but has no rate to draw.',
    );
  });

  it('an interrupted run: the schedule ends with the last bucket that had any', () => {
    const m = realRunManifest();
    m.interrupted = true;
    m.endedAt = new Date(Date.parse(m.startedAt) + 1400).toISOString();
    m.timeline!.entries.splice(2);
    Object.assign(m.timeline!.entries[1]!, { scheduled: 20, sent: 20, answered: 20 });
    const t = combinedTimeline([m])!;
    expect(t.sent).toEqual([50, 50]);
    expect(t.drain).toBeNull();
  });

  it('shards: summed bucket by bucket, percentiles the largest', () => {
    const a = realRunManifest();
    const b = realRunManifest();
    b.timeline!.entries[0]!.service = { p50Ms: 1, p90Ms: 2, p99Ms: 3, maxMs: 999 };
    const t = combinedTimeline([a, b])!;
    expect(t.sent).toEqual([...a.timeline!.entries.slice(0, 3).map((e) => 2 * e.sent), null]);
    expect(t.service.max[0]).toBe(999);
  });
});

describe('the header of a sharded run', () => {
  it("sets the whole run's target (the shards' shares added up) against the shards' achieved rates", async () => {
    const shards = [0, 1, 2].map(() => realRunManifest());
    for (const m of shards) Object.assign(m.rate, { targetPerSec: 50, achievedPerSec: 49.5 });
    const html = renderReportHtml(
      { command: 'verify', manifests: shards, generatedAt: 'now' },
      await loadReportAssets(),
    );
    expect(html).toContain('target 150 /s, achieved 148.5 /s');
  });
});

describe('--report', () => {
  it.each([['load'], ['verify'], ['run']])(
    '%s: a path that cannot be written is refused up front (exit 2)',
    async (cmd) => {
      const { mainInProcess } = await import('../helpers/main-in-process.js');
      const r = await mainInProcess([cmd, '--report', 'no-such-dir/r.html'], { cwd: process.cwd() });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^otelpoc: --report: the directory of "no-such-dir\/r\.html" .* does not exist/m,
      );
    },
  );
});
