/**
 * The kind check's vocabulary as plain data (no import of the verify types, so that types.ts can
 * name a KindVerdict without an import circle): the changes a user can accept, the three outcomes,
 * the forms a histogram can arrive in, and one tenant's verdict as VerifyReport.kinds carries it.
 */

/** The form a run's duration histogram arrived in (kinds/forms.ts tells them apart). */
export type HistogramForm = 'classic' | 'native' | 'vmrange' | 'none';

/** The changes of form a user can accept (acceptChanges), each named in the verdict. */
export const KIND_CHANGES = [
  'vmrange-buckets',
  'classic-buckets',
  'native-custom-buckets',
  'delta-to-cumulative',
] as const;
export type KindChange = (typeof KIND_CHANGES)[number];
export type KindOutcome = 'exact' | 'changed' | 'missing';

export interface KindVerdict {
  tenant: string;
  outcome: KindOutcome;
  /** The form the duration histogram arrived in. */
  arrived: HistogramForm;
  /** Set when outcome is changed. */
  change?: KindChange;
  /** Every change, when more than one (the form's first, then delta-to-cumulative): all must be accepted. */
  changes?: KindChange[];
  /** True when the change is one the user accepted (the check then passes). */
  accepted?: boolean;
  /** One line: what arrived, how it differs from what was sent. */
  how: string;
  /** Where the change or the loss can happen. */
  hop?: string;
  /** Settings that would make it exact, each with where it is set. */
  fixes?: string[];
  /** Per status: what the manifest says, the counter and the histogram's count as found. */
  byStatus: { status: number; expected: string; counter: number; histogram: number }[];
}

/**
 * The per-tenant kind verdicts as the text report shows them, compactly: one line per tenant whose
 * data did not arrive exact, or one line "kind: exact for N tenants" (none when nothing was judged).
 */
export function kindSummaryLines(kinds: { tenants: readonly KindVerdict[] } | undefined): string[] {
  const judged = kinds?.tenants ?? [];
  const notExact = judged.filter((v) => v.outcome !== 'exact');
  if (judged.length === 0) return [];
  if (notExact.length === 0) return [`kind: exact for ${judged.length} tenant(s)`];
  return notExact.map((v) => {
    const what =
      v.outcome === 'changed' ? `changed (${v.change}${v.accepted ? ', accepted' : ''})` : v.outcome;
    return `kind: ${v.tenant} ${what}: ${v.how}`;
  });
}
