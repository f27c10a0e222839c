/**
 * Headless Chromium for the report's browser test: Debian's `chromium-headless-shell` (installed by
 * .ci/run in CI), or OTELPOC_CHROMIUM_BIN. Like the other external tools: skipped loudly without it,
 * an error in CI.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Browser, chromium } from 'playwright-core';
import { toolAvailable } from './backends.js';

/** Where the Debian package puts the binary (/usr/bin/chromium-headless-shell is a shell wrapper of it). */
const DEBIAN_PATHS = ['/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium-headless-shell'];

export function chromiumBin(): string | undefined {
  const fromEnv = process.env.OTELPOC_CHROMIUM_BIN;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return DEBIAN_PATHS.find((p) => existsSync(p));
}

export function chromiumAvailable(suite: string): boolean {
  return toolAvailable(
    suite,
    chromiumBin() !== undefined,
    'headless Chromium not found: `apt-get install --no-install-recommends chromium-headless-shell` (Debian; .ci/run does it in CI) or set OTELPOC_CHROMIUM_BIN to a Chromium binary',
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumBin()! });
}

/** The page's address: any request to another one is a request the report must not make. */
const REPORT_URL = 'http://report.invalid/report.html';

export interface OpenedReport {
  consoleErrors: string[];
  /** Every request other than the report itself (each was refused). */
  otherRequests: string[];
  /** Per chart element id: pixels of its canvas in one of `colors` (its series' strokes). */
  seriesPixels: Record<string, number>;
  /** The check matrix: one row per tenant, [tenant, row class, cell classes]. */
  matrix: [string, string, string[]][];
  /** The text of verify's failure list ('' when none). */
  failures: string;
  /** Per chart element id: its legend's entries as shown with no cursor on the chart. */
  legends: Record<string, string[]>;
  /** Per chart element id (window.otelpocCharts): how each series is drawn, and the x axis. */
  charts: Record<string, ChartFacts>;
  /** Per tenant row of the check matrix: how many lines its name takes. */
  matrixNameLines: Record<string, number>;
  /** `run --matrix`'s table (#kind-matrix): per row, its class and its cells' text. */
  kindMatrix: [string, string[]][];
}

export interface ChartFacts {
  series: { label: string; stroke: string; width: number; dash: number[] }[];
  /** The x axis' tick values and its range. */
  xTicks: number[];
  xMin: number;
  xMax: number;
  /** Data points per series (x values). */
  points: number;
  /** The largest x at which some series has a value. */
  lastDrawnX: number;
}

/**
 * Opens the report file in Chromium. Every request is intercepted: the report's own address gets the
 * file, anything else is recorded and aborted.
 */
export async function openReport(
  browser: Browser,
  file: string,
  charts: Record<string, string[]>,
  opts: { screenshot?: string } = {},
): Promise<OpenedReport> {
  const html = await readFile(file, 'utf8');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors: string[] = [];
  const otherRequests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url === REPORT_URL) return route.fulfill({ body: html, contentType: 'text/html; charset=utf-8' });
    otherRequests.push(url);
    return route.abort();
  });
  await page.goto(REPORT_URL, { waitUntil: 'load' });
  const seriesPixels = await page.evaluate((charts) => {
    const hex = (h: string) => [1, 3, 5].map((i) => Number.parseInt(h.slice(i, i + 2), 16));
    // Runs in the page; the test tsconfig has no DOM types, so the little it uses is typed here.
    type Canvas = {
      width: number;
      height: number;
      getContext(kind: '2d'): {
        getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      };
    };
    const doc = (globalThis as unknown as { document: { querySelector(sel: string): Canvas | null } })
      .document;
    const out: Record<string, number> = {};
    for (const [id, colors] of Object.entries(charts)) {
      const canvas = doc.querySelector(`#${id} canvas`);
      if (!canvas) continue;
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const rgbs = colors.map(hex);
      let n = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3]! < 200) continue;
        if (
          rgbs.some(
            ([r, g, b]) => Math.abs(d[i]! - r!) + Math.abs(d[i + 1]! - g!) + Math.abs(d[i + 2]! - b!) < 24,
          )
        )
          n++;
      }
      out[id] = n;
    }
    return out;
  }, charts);
  const matrix = await page.$$eval('#check-matrix tr', (rows) =>
    rows
      .slice(1)
      .map((r) => [
        r.querySelector('th')?.textContent ?? '',
        r.className,
        [...r.querySelectorAll('td')].map((td) => td.className),
      ]),
  );
  const failures = await page.$$eval('#verify ul.failures', (lists) =>
    lists.map((l) => l.textContent).join('\n'),
  );
  const legends = Object.fromEntries(
    await Promise.all(
      Object.keys(charts).map(async (id) => [
        id,
        await page.$$eval(`#${id} .u-legend .u-series`, (rows) =>
          rows.map((r) => (r.textContent ?? '').replace(/\s+/g, ' ').trim()),
        ),
      ]),
    ),
  ) as Record<string, string[]>;
  const drawn = (await page.evaluate(() => {
    type Plot = {
      series: { label: string; _stroke?: string; width: number; dash?: number[] }[];
      axes: { _splits?: number[] }[];
      scales: { x: { min: number; max: number } };
      data: number[][];
    };
    const all = (globalThis as unknown as { otelpocCharts?: Record<string, Plot> }).otelpocCharts ?? {};
    return Object.fromEntries(
      Object.entries(all).map(([id, u]) => [
        id,
        {
          series: u.series.slice(1).map((s) => ({
            label: s.label,
            stroke: String(s._stroke),
            width: s.width,
            dash: s.dash ?? [],
          })),
          xTicks: u.axes[0]!._splits ?? [],
          xMin: u.scales.x.min,
          xMax: u.scales.x.max,
          points: u.data[0]!.length,
          lastDrawnX: Math.max(
            ...u.data[0]!.filter((_, i) =>
              u.data.slice(1).some((col) => col[i] !== null && col[i] !== undefined),
            ),
          ),
        },
      ]),
    );
  })) as Record<string, ChartFacts>;
  const matrixNameLines = Object.fromEntries(
    await page.$$eval('#check-matrix th.tenant', (cells) =>
      cells.map((th) => {
        // Runs in the page: each line box of the name's text is one client rect of its range.
        const doc = (
          globalThis as unknown as {
            document: {
              createRange(): { selectNodeContents(n: unknown): void; getClientRects(): { length: number } };
            };
          }
        ).document;
        const range = doc.createRange();
        range.selectNodeContents(th);
        return [th.textContent ?? '', range.getClientRects().length as number];
      }),
    ),
  ) as Record<string, number>;
  const kindMatrix = (await page.$$eval('#kind-matrix tr:not(:first-child)', (rows) =>
    rows.map((tr) => [
      tr.getAttribute('class') ?? '',
      [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
    ]),
  )) as [string, string[]][];
  if (opts.screenshot) await page.screenshot({ path: opts.screenshot, fullPage: true });
  await page.close();
  return {
    consoleErrors,
    otherRequests,
    seriesPixels,
    matrix: matrix as OpenedReport['matrix'],
    failures,
    legends,
    charts: drawn,
    matrixNameLines,
    kindMatrix,
  };
}
