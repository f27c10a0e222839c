/** `--report <file.html>` (load, verify, run): its path checked before any work, the file written at the end. */
import type { RunManifest } from '../manifest/schema.js';
import { writeFileAtomic } from '../util/output-file.js';
import type { VerifyReport } from '../verify/types.js';
import type { ReportCommand } from './html.js';

/** Renders the one-file HTML report and writes it atomically to `absPath` (already checked). */
export async function writeHtmlReport(
  absPath: string,
  input: { command: ReportCommand; manifests: readonly RunManifest[]; verify?: VerifyReport | undefined },
): Promise<void> {
  const [{ renderReportHtml }, { loadReportAssets }] = await Promise.all([
    import('./html.js'),
    import('./assets.js'),
  ]);
  const html = renderReportHtml(
    { ...input, generatedAt: new Date().toISOString() },
    await loadReportAssets(),
  );
  await writeFileAtomic(absPath, html, '--report');
}
