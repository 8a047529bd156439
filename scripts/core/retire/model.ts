import type { Agreement } from '../agreements/model.js';
import type { IsoDate } from '../dates.js';
import type { Flag, FlagType } from '../model/flag.js';
import type { CodeReference } from '../refs/find.js';
import type { UsageExport } from '../usage/model.js';

/** What the retirement planner reads and writes. Plain data: the planner is a pure function. */

export type Reason =
  | { kind: 'flag-expired'; expires: IsoDate }
  | { kind: 'grant-expired'; env: string; org: string; expires: IsoDate; agreement?: string; ticket?: string }
  | {
      kind: 'agreement-ended';
      env: string;
      org: string;
      agreement: string;
      /** The status as the export wrote it. */
      status: string;
      endDate?: IsoDate;
    }
  | { kind: 'review-overdue'; reviewed?: IsoDate; due?: IsoDate; everyDays: number }
  /** Every environment serves one variant to everyone (a rollout at 100% or 0%, or off): deprecate. */
  | { kind: 'rollout-settled'; environments: { env: string; variant: string }[] }
  /**
   * No code reference left in the trees searched and no evaluation in the usage export for the
   * policy's days: archive. `lastSeen` undefined: never evaluated in the export.
   */
  | { kind: 'flag-unused'; lastSeen?: IsoDate; afterDays: number; usageFile: string };

export type ReasonKind = Reason['kind'];

/** Order in which due flags get the limited pull-request budget: ended agreements first. */
export const REASON_RANK: Readonly<Record<ReasonKind, number>> = {
  'agreement-ended': 0,
  'flag-expired': 1,
  'grant-expired': 2,
  'review-overdue': 3,
  'flag-unused': 4,
  'rollout-settled': 5,
};

export interface GrantRemoval {
  env: string;
  /** Position in the environment's grants list of the file. */
  index: number;
  org: string;
  agreement?: string;
  expires?: IsoDate;
  ticket?: string;
  why: ('expired' | 'agreement-ended')[];
}

export type Change =
  | { kind: 'delete-file' }
  | { kind: 'edit-file'; removeGrants: GrantRemoval[]; setReviewed?: IsoDate }
  /** The next lifecycle state, docs/lifecycle.md: one line added to the flag file. */
  | { kind: 'set-state'; state: 'deprecated' | 'archived' };

/** One flag due for retirement work: one pull request. */
export interface DueItem {
  key: string;
  file: string;
  flag: Flag;
  reasons: Reason[];
  change: Change;
  /**
   * What a pull request closed without merge snoozes: the facts that made the flag due (its expiry,
   * the grants and their dates, the review date). When they change, the flag is due anew.
   */
  snooze: string;
  rank: number;
  /** First day the flag was due; older work goes first. */
  dueSince: IsoDate;
}

export type DriftKind =
  | 'missing-grant'
  | 'unreferenced-agreement'
  | 'unknown-agreement'
  | 'org-mismatch'
  | 'not-in-force';

/** A difference between the agreements export and the grants, reported and never fixed by the bot. */
export interface Drift {
  kind: DriftKind;
  org: string;
  agreement: string;
  /** The flag concerned, when there is one. */
  key?: string;
  env?: string;
  contract?: string;
  /** Line of the agreement in the export, when it is there. */
  line?: number;
  message: string;
}

/** A bot pull request as GitHub reports it. */
export interface ExistingPullRequest {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  branch: string;
  title: string;
  body: string;
  labels: string[];
  requestedUsers: string[];
  requestedTeams: string[];
  url?: string;
  /**
   * Closed by GitHub because its head branch was deleted, not by a person: no snooze. Looked up
   * (issue events) only for a closed pull request that would otherwise snooze its flag.
   */
  closedWithBranch?: boolean;
}

export interface Reviewers {
  users: string[];
  teams: string[];
  /** Why the owner could not be asked, e.g. a team of another organization. */
  note?: string;
}

export interface ReferenceContext {
  /** References by key; undefined when code was not searched. */
  references?: ReadonlyMap<string, readonly CodeReference[]>;
  /** The paths searched, for "no references left in …". */
  searched: readonly string[];
}

export interface PlannedPullRequest {
  key: string;
  file: string;
  branch: string;
  title: string;
  body: string;
  commitMessage: string;
  labels: string[];
  reviewers: Reviewers;
  item: DueItem;
  /** Whether pull requests of this branch closed in the past were looked up (for snoozes). */
  historyChecked: boolean;
}

export type MetadataChange = 'title' | 'body' | 'labels';

export interface PlannedUpdate {
  pull: PlannedPullRequest;
  existing: ExistingPullRequest;
  /** Title, body or labels that differ; the branch content is compared when the plan is applied. */
  changes: MetadataChange[];
}

export interface PlannedClose {
  key: string;
  existing: ExistingPullRequest;
  reason: 'revived' | 'gone';
  comment: string;
  /** The body with the marker saying the bot closed it, so the close is never taken for a snooze. */
  body: string;
}

export interface Snoozed {
  key: string;
  number: number;
  snooze: string;
}

/**
 * - unreadable: the flag file does not pass the schema at the moment (broken is not gone);
 * - no-agreements: the pull request revokes grants of ended agreements and this run has no
 *   agreements export, so whether they ended is unknown (missing input is not a revival);
 * - reconcile: it revokes grants of ended agreements, opened before `flags reconcile` took those
 *   over; a person closes it once reconcile's pull request stands.
 */
export interface Untouched {
  key: string;
  number: number;
  reason: 'unreadable' | 'no-agreements' | 'no-usage' | 'reconcile';
}

export interface Deferred {
  key: string;
  title: string;
  limit: 'per-run' | 'open-at-once';
}

export interface RetirePlan {
  today: IsoDate;
  open: PlannedPullRequest[];
  update: PlannedUpdate[];
  close: PlannedClose[];
  snoozed: Snoozed[];
  deferred: Deferred[];
  /** Open pull requests the bot leaves as they are this run, and why. */
  untouched: Untouched[];
  drift: Drift[];
  summary: {
    flags: number;
    due: number;
    openBefore: number;
    openAfter: number;
    maxPerRun: number;
    maxOpen: number;
  };
}

export interface PlanInput {
  flags: readonly { file: string; flag: Flag }[];
  policy: {
    types: Record<FlagType, { reviewEveryDays?: number }>;
    environments: readonly string[];
    retire: { maxPullRequestsPerRun: number; maxOpenPullRequests: number; labels: readonly string[] };
    stale?: { unevaluatedAfterDays: number };
  };
  /** A usage export: with code references, what shows a flag unused (and so ready to archive). */
  usage?: UsageExport;
  today: IsoDate;
  agreements?: readonly Agreement[];
  /**
   * Whether grants of ended agreements are revoked here (default true). `flags retire` passes false:
   * `flags reconcile` owns every change the export drives, so no grant is handled by two pull
   * requests; the export still feeds the drift report.
   */
  agreementRevocations?: boolean;
  /** Bot pull requests known from GitHub: all open ones, and closed ones of the keys in `historyFor`. */
  pulls?: readonly ExistingPullRequest[];
  /** Keys whose closed pull requests were looked up; `'all'` when `pulls` holds every one. */
  historyFor?: ReadonlySet<string> | 'all';
  references?: ReferenceContext;
  /** The repository owner, to tell a team of this organization from one of another. */
  repositoryOwner?: string;
  /**
   * Keys of flag files that exist but did not pass the schema. Their pull requests are left alone:
   * a file broken for a moment is not a flag that is gone.
   */
  unreadable?: readonly string[];
}
