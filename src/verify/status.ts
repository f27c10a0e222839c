/**
 * The one vocabulary of a check's outcome, shared by verify, the canary and doctor, and by every
 * rendering of them (table, --json, JUnit, HTML). Four states a check can end in, plus undecided:
 *
 * - pass: checked on evidence (something of the run was there to check) and right;
 * - fail: checked and wrong;
 * - not-testable: the setup cannot test it (e.g. isolation with one store for every tenant), said why;
 * - no-data: nothing to check (e.g. no series of the run): NOT a pass — a check that saw nothing has
 *   proven nothing, so it never shows ✓ or green;
 * - undecided: interrupted before it was decided.
 */
export const CHECK_STATUSES = ['pass', 'fail', 'not-testable', 'no-data', 'undecided'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** How each state is named to a user (table legends, JUnit messages, HTML titles). */
export const STATUS_LABELS: Record<CheckStatus, string> = {
  pass: 'pass',
  fail: 'fail',
  'not-testable': 'not testable',
  'no-data': 'no data',
  undecided: 'undecided',
};

/**
 * The `ok` of a state, as JSON consumers have always read it: true for pass and not-testable (a check
 * the setup cannot make does not hold a verdict back), false for no-data, fail and undecided.
 */
export function okOfStatus(status: CheckStatus): boolean {
  return status === 'pass' || status === 'not-testable';
}

/**
 * A verdict over several checks passes only when every one passed or was not testable, and at least
 * one passed on evidence: all not-testable (or nothing at all) proves nothing.
 */
export function verdictPasses(statuses: readonly CheckStatus[]): boolean {
  return statuses.every(okOfStatus) && statuses.includes('pass');
}
