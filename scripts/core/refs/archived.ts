/**
 * Whether a flag is archived (`archived: true`: kept for the audit trail, no longer live). Read
 * here in one place, so the refs scan agrees with the rest of the toolkit on what a live flag is.
 */
export const isArchived = (flag: object): boolean => (flag as { archived?: unknown }).archived === true;
