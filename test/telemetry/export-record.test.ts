/** One server-stats shape: a stream's running ExportStats become the ExportRecord the manifest and events carry. */
import { describe, expect, it } from 'vitest';
import { exportRecordOf } from '../../src/telemetry/provider.js';

describe('exportRecordOf', () => {
  it('counts exports and failures, and the final flush is ok only without a failure streak', () => {
    expect(exportRecordOf({ exports: 5, failures: 2, consecutiveFailures: 0, lastError: undefined })).toEqual(
      {
        exports: 5,
        failedExports: 2,
        finalFlushOk: true,
      },
    );
    expect(exportRecordOf({ exports: 5, failures: 2, consecutiveFailures: 1, lastError: 'down' })).toEqual({
      exports: 5,
      failedExports: 2,
      finalFlushOk: false,
    });
  });
});
