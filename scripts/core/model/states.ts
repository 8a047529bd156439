/**
 * A flag's lifecycle state (docs/lifecycle.md): live, deprecated (still served, marked in the
 * bundle) or archived (kept in git for the audit trail, never served, its key never reused). Kept
 * apart from the zod schema, so code that runs after the cache can ask without loading zod.
 */

export type FlagState = 'live' | 'deprecated' | 'archived';

interface Stated {
  deprecated?: true;
  archived?: true;
}

export const isArchived = (flag: Stated): boolean => flag.archived === true;

export const stateOf = (flag: Stated): FlagState =>
  flag.archived === true ? 'archived' : flag.deprecated === true ? 'deprecated' : 'live';

/** The flags that bundles, flagd documents and claims serve: every one but the archived. */
export const servedFlags = <T extends { flag: Stated }>(flags: readonly T[]): T[] =>
  flags.some((f) => isArchived(f.flag)) ? flags.filter((f) => !isArchived(f.flag)) : [...flags];
