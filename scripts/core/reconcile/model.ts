import type { AgreementStatus } from '../agreements/model.js';
import type { IsoDate } from '../dates.js';
import type { Subscription } from '../model/organization.js';

/**
 * What `flags reconcile` plans: per organization, the subscriptions its agreements call for and
 * every flag change that follows, with the event a revenue-operations team would name it by.
 */

export type ChangeAction = 'grant' | 'revoke' | 'change';

export interface GrantState {
  variant: string;
  agreements: string[];
  expires?: IsoDate;
  plans: string[];
}

export interface Change {
  organization: string;
  flag: string;
  environment: string;
  action: ChangeAction;
  /** The agreement(s) behind the change: granted or changed under, or revoked with. */
  agreement: string;
  agreements: string[];
  plans: string[];
  /** The file the change is written to. */
  file: string;
  /** For a grant a flag file writes: its position in the environment's grants list. */
  index?: number;
  before?: GrantState;
  after?: GrantState;
  /** In words: "+sso-saml", "workspace-analytics tier silver → gold". */
  summary: string;
}

/** A grant the plan form takes over from a flag file: access stays as it was. */
export interface Move {
  organization: string;
  flag: string;
  environment: string;
  from: string;
  index: number;
}

export type EventKind =
  | 'new-customer'
  | 'upgrade'
  | 'downgrade'
  | 'plan-change'
  | 'churn'
  | 'renewal'
  | 'trial-converted'
  | 'tier-change'
  | 'beta-opt-in'
  | 'term-change'
  | 'moved';

export interface AgreementFact {
  agreement: string;
  status: AgreementStatus;
  rawStatus: string;
  startDate?: IsoDate;
  endDate?: IsoDate;
  contracts: string[];
  inForce: boolean;
}

export interface OrganizationEvent {
  organization: string;
  event: EventKind;
  title: string;
  /** The export's facts about the organization, for the pull request body and the snooze. */
  agreements: AgreementFact[];
  /** A digest of those facts: a closed pull request stays closed until it changes. */
  facts: string;
  file: string;
  /** The subscriptions the file should hold; none means the file goes. */
  subscriptions: Subscription[];
  /** Whether the subscription file changes. */
  fileChanges: boolean;
  changes: Change[];
  moves: Move[];
}

export interface Reconciliation {
  today: IsoDate;
  /** Organizations whose files change, in id order. */
  organizations: OrganizationEvent[];
  /** Every flag change, in organization, flag and environment order. */
  changes: Change[];
  /** Agreements of reconciled organizations that are not in force yet: no grant follows them yet. */
  pending: { organization: string; agreement: string; contracts: string[]; rawStatus: string }[];
  /** Products the export names that no plan declares: they grant nothing. */
  unmapped: { organization: string; agreement: string; contract: string }[];
  /** Organizations the export lists: reconciled. Others are left alone. */
  reconciled: number;
}
