/**
 * The model's plain constants. They live apart from the zod schemas so that the code a check runs
 * after the cache (lifecycle, claim budget, reporting) can use them without loading zod.
 */

export const FLAG_TYPES = ['entitlement', 'release', 'experiment', 'operational'] as const;
export type FlagType = (typeof FLAG_TYPES)[number];

/** Temporary flags must expire; long-lived ones are reviewed on a cadence instead. */
export const TEMPORARY_TYPES: ReadonlySet<FlagType> = new Set(['release', 'experiment']);
export const isTemporary = (type: FlagType): boolean => TEMPORARY_TYPES.has(type);

export const FLAG_KEY_PATTERN = '^[a-z0-9]+(?:-[a-z0-9]+)*$';
export const ISO_DATE_PATTERN = '^[0-9]{4}-[0-9]{2}-[0-9]{2}$';
export const OWNER_PATTERN = '^@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9][A-Za-z0-9._-]*)?$';
export const VARIANT_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$';

/** Where the policy lives, relative to the repository root. */
export const POLICY_FILE = 'flags/_policy.yaml';

/** Where organizations' subscription files live (model/organization.ts): not flag files. */
export const ORGANIZATIONS_DIR = 'flags/_organizations';
