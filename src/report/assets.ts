/**
 * The charting library the HTML report inlines: uPlot's browser build and its stylesheet, read from
 * the installed `uplot` package (a dependency, so an installed otelpoc finds it beside itself; the
 * report never links to it). Read once per process.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { ReportAssets } from './html.js';

const require = createRequire(import.meta.url);

let cached: Promise<ReportAssets> | undefined;

export function loadReportAssets(): Promise<ReportAssets> {
  cached ??= (async () => {
    const [uplotJs, uplotCss] = await Promise.all([
      readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    ]);
    return { uplotJs, uplotCss };
  })();
  return cached;
}
