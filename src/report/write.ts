/** The one-file HTML report written to its file (load, verify, run): rendered, then written atomically. */
import { writeFileAtomic } from '../util/output-file.js';
import type { ReportInput } from './html.js';

/** `path` was checked writable before any work started (checkOutputPath, --report). */
export async function writeReportFile(path: string, input: Omit<ReportInput, 'generatedAt'>): Promise<void> {
  const [{ renderReportHtml }, { loadReportAssets }] = await Promise.all([
    import('./html.js'),
    import('./assets.js'),
  ]);
  const html = renderReportHtml(
    { ...input, generatedAt: new Date().toISOString() },
    await loadReportAssets(),
  );
  await writeFileAtomic(path, html, '--report');
}
