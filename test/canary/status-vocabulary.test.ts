/**
 * The canary's check statuses are states of the one vocabulary (src/verify/status.ts), mapped the
 * way doctor maps its own (DOCTOR_STATES): each outcome's `ok` is the shared one, pending is no-data
 * (never a pass), and a tenant is green exactly when the shared verdict passes.
 */
import { describe, expect, it } from 'vitest';
import { CANARY_STATES, type CheckStatus, checkOutcome } from '../../src/canary/window.js';
import { DOCTOR_STATES } from '../../src/doctor/types.js';
import { CHECK_STATUSES, okOfStatus } from '../../src/verify/status.js';

const CANARY_STATUSES: CheckStatus[] = ['pass', 'fail', 'not-testable', 'pending'];

describe('canary check statuses in the shared vocabulary', () => {
  it('maps each canary status onto a shared state, pending onto no-data', () => {
    expect(CANARY_STATES).toEqual({
      pass: 'pass',
      fail: 'fail',
      'not-testable': 'not-testable',
      pending: 'no-data',
    });
    for (const s of Object.values(CANARY_STATES)) expect(CHECK_STATUSES).toContain(s);
    // The same shared states doctor's skip and verify's not-testable land on.
    expect(CANARY_STATES['not-testable']).toBe(DOCTOR_STATES.skip);
  });

  it("gives each outcome the shared state's ok: pass and not-testable hold nothing back, pending does", () => {
    const oks = CANARY_STATUSES.map((s) => checkOutcome('names', s, '').ok);
    expect(oks).toEqual([true, false, true, false]);
    expect(oks).toEqual(CANARY_STATUSES.map((s) => okOfStatus(CANARY_STATES[s])));
  });
});
