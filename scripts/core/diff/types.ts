import type { Flag, FlagType, Grant, Rollout } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import type { CodeownersChange } from '../codeowners/changes.js';

/**
 * What `flags diff` compares and what it says. A snapshot is the flags of one side (a commit or the
 * working tree), restricted to the files that changed; the diff is a flat, ordered list of changes
 * that reporters group into sections. Everything here is plain data, so it is also the JSON output.
 */

export type Side = 'base' | 'head';

export interface FlagAt {
  file: string;
  flag: Flag;
}

/** A changed file that could not be compared at one side, and why. */
export interface FileProblem {
  side: Side;
  file: string;
  line: number;
  col: number;
  code: string;
  message: string;
}

export interface Snapshot {
  policy: Policy;
  flags: FlagAt[];
  problems: FileProblem[];
}

/** The state of one environment, for environments that appear or disappear. */
export interface EnvironmentState {
  enabled: boolean;
  default?: boolean | string;
  rollout?: Rollout;
  grants: number;
}

/** How a date moved: `days` is positive when the date moved later. */
export interface DateChange {
  from?: string;
  to?: string;
  days?: number;
}

export type GrantField = 'agreement' | 'expires' | 'variant' | 'ticket' | 'note';

export interface GrantFieldChange extends DateChange {
  field: GrantField;
}

export type FlagField = 'description' | 'ticket' | 'tags' | 'reviewed';

export type ChangeDetail =
  | { kind: 'flag-added'; file: string; type: FlagType; owner: string }
  | { kind: 'flag-removed'; file: string; type: FlagType; owner: string }
  | { kind: 'flag-moved'; from: string; to: string }
  | { kind: 'type-changed'; from: FlagType; to: FlagType }
  | { kind: 'owner-changed'; from: string; to: string }
  | { kind: 'contract-changed'; from?: string; to?: string }
  | ({ kind: 'expiry-changed' } & DateChange)
  | { kind: 'field-changed'; field: FlagField; from?: string; to?: string }
  | { kind: 'variants-changed'; added: string[]; removed: string[]; changed: string[] }
  | { kind: 'default-variant-changed'; from?: string; to?: string }
  | { kind: 'environment-added'; state: EnvironmentState }
  | { kind: 'environment-removed'; state: EnvironmentState }
  | { kind: 'enabled-changed'; from: boolean; to: boolean }
  | { kind: 'default-changed'; from?: boolean | string; to?: boolean | string }
  | { kind: 'rollout-changed'; from?: Rollout; to?: Rollout }
  | { kind: 'grant-added'; org: string; grant: Grant }
  | { kind: 'grant-revoked'; org: string; grant: Grant }
  | { kind: 'grant-changed'; org: string; before: Grant; after: Grant; fields: GrantFieldChange[] };

export type ChangeKind = ChangeDetail['kind'];

export type Change = ChangeDetail & {
  /** The flag's key. */
  key: string;
  /** The flag's type at head (at base for a removed flag). */
  flagType: FlagType;
  /** The environment the change applies to; absent for changes to the flag as a whole. */
  env?: string;
  /** Whether it changes which customers get what: reviewers of entitlements look here first. */
  access: boolean;
};

export interface PolicyChange {
  /** Top-level policy sections whose values differ, e.g. `types`, `limits`. */
  sections: string[];
  environmentsAdded: string[];
  environmentsRemoved: string[];
}

export interface DiffSummary {
  flagsAdded: number;
  flagsRemoved: number;
  /** Flags present at both sides with at least one change. */
  flagsChanged: number;
  accessChanges: number;
  problems: number;
}

export interface FlagsDiff {
  /** Every environment in display order: the head policy's, then the base policy's, then any others. */
  environments: string[];
  changes: Change[];
  problems: FileProblem[];
  policy?: PolicyChange;
  summary: DiffSummary;
}

/** One side of the comparison as the user named it. */
export interface RefInfo {
  /** As given on the command line, or `working tree`. */
  label: string;
  /** The commit, absent for the working tree. */
  commit?: string;
}

export interface DiffReport {
  base: RefInfo;
  head: RefInfo;
  /** Set when the comparison started from the merge base rather than the base commit itself. */
  mergeBase?: string;
  diff: FlagsDiff;
  /** Set when CODEOWNERS differs between the sides: the flag files whose code owners it changes. */
  codeowners?: CodeownersChange;
}
