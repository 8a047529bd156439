import { daysBetween, type IsoDate } from '../dates.js';

/**
 * One row of an agreements export from a CRM or billing system: which organization holds which
 * agreement, whether it is in force, and until when.
 */

export type AgreementStatus = 'active' | 'pending' | 'ended';

export interface Agreement {
  org: string;
  agreement: string;
  status: AgreementStatus;
  /** The status as the export spelled it, for messages. */
  rawStatus: string;
  /** First day the agreement applies, when the export gives one (a timestamp: its UTC date). */
  startDate?: IsoDate;
  /** Last day the agreement applies (inclusive), when the export gives one (a timestamp: its UTC date). */
  endDate?: IsoDate;
  /** The plan or SKU the agreement buys, matched against a flag's `contract`, when exported. */
  contract?: string;
  /**
   * When the agreement covers several plans, SKUs or add-ons: all of them, in export order
   * (`contract` is the first). A CRM exports one line item per product, or several in one cell.
   */
  contracts?: string[];
  /** Where the row is in the export (1-based). */
  line: number;
}

export interface AgreementsExport {
  file: string;
  agreements: Agreement[];
}

export interface AgreementProblem {
  file: string;
  line: number;
  col: number;
  message: string;
  hint?: string;
}

/** Statuses as exports spell them, by meaning. Anything else is refused, never guessed. */
export const STATUS_WORDS: Readonly<Record<string, AgreementStatus>> = {
  active: 'active',
  live: 'active',
  signed: 'active',
  current: 'active',
  renewed: 'active',
  pending: 'pending',
  draft: 'pending',
  ended: 'ended',
  expired: 'ended',
  terminated: 'ended',
  cancelled: 'ended',
  canceled: 'ended',
  churned: 'ended',
  closed: 'ended',
  inactive: 'ended',
};

/** An agreement has ended when the export says so, or when its end date is past (inclusive). */
export function hasEnded(agreement: Pick<Agreement, 'status' | 'endDate'>, today: IsoDate): boolean {
  if (agreement.status === 'ended') return true;
  return agreement.endDate !== undefined && daysBetween(today, agreement.endDate) < 0;
}

/** In force: active, started (inclusive), and not past its end date. */
export function isInForce(
  agreement: Pick<Agreement, 'status' | 'startDate' | 'endDate'>,
  today: IsoDate,
): boolean {
  return agreement.status === 'active' && !notStarted(agreement, today) && !hasEnded(agreement, today);
}

const notStarted = (agreement: Pick<Agreement, 'startDate'>, today: IsoDate) =>
  agreement.startDate !== undefined && daysBetween(today, agreement.startDate) > 0;

/**
 * Not in force yet: pending or draft, or starting after today, and not ended. A grant under it gives
 * a customer access that nothing signed backs yet.
 */
export function isNotYetInForce(
  agreement: Pick<Agreement, 'status' | 'startDate' | 'endDate'>,
  today: IsoDate,
): boolean {
  if (hasEnded(agreement, today)) return false;
  return agreement.status === 'pending' || notStarted(agreement, today);
}

/** Every plan, SKU or add-on the agreement covers. */
export const contractsOf = (agreement: Pick<Agreement, 'contract' | 'contracts'>): readonly string[] =>
  agreement.contracts ?? (agreement.contract === undefined ? [] : [agreement.contract]);
