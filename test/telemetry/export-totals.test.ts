/** One server-stats shape: a stream's running ExportStats become the ExportTotals the manifest and events carry. */
import { describe, expect, it } from 'vitest';
import { exportTotalsOf } from '../../src/telemetry/export-totals.js';

describe('exportTotalsOf', () => {
  it('counts exports and failures, and the final flush is ok only without a failure streak', () => {
    expect(exportTotalsOf({ exports: 5, failures: 2, consecutiveFailures: 0, lastError: undefined })).toEqual(
      {
        exports: 5,
        failedExports: 2,
        finalFlushOk: true,
      },
    );
    expect(exportTotalsOf({ exports: 5, failures: 2, consecutiveFailures: 1, lastError: 'down' })).toEqual({
      exports: 5,
      failedExports: 2,
      finalFlushOk: false,
    });
  });
});
