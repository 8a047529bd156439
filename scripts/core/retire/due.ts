import { type Agreement, hasEnded } from '../agreements/model.js';
import { addDays, daysBetween, type IsoDate, isValidDate } from '../dates.js';
import { type Flag, isTemporary } from '../model/flag.js';
import { type DueItem, type GrantRemoval, type PlanInput, REASON_RANK, type Reason } from './model.js';

/**
 * Finds the flags due for retirement work on a day:
 * - a flag past its `expires` (temporary flags always have one): delete the file;
 * - grants past their own `expires`: remove them;
 * - grants whose agreement the export reports ended: revoke them;
 * - long-lived flags whose review is overdue: bump `reviewed` in a pull request the owner merges to
 *   confirm the flag, or closes to let it retire another way.
 * A flag to delete needs nothing else, so deletion subsumes the rest. One item per flag.
 */

export function findDue(
  input: Pick<PlanInput, 'flags' | 'policy' | 'today' | 'agreements' | 'agreementRevocations'>,
): DueItem[] {
  // `flags reconcile` owns the revocations the export drives; `flags retire` leaves them to it.
  const agreements = indexAgreements(input.agreementRevocations === false ? [] : (input.agreements ?? []));
  const items: DueItem[] = [];
  for (const { file, flag } of input.flags) {
    const item = dueItem(file, flag, input.policy, input.today, agreements);
    if (item) items.push(item);
  }
  return items.sort(compareDue);
}

export const compareDue = (a: DueItem, b: DueItem): number =>
  a.rank - b.rank ||
  (a.dueSince < b.dueSince ? -1 : a.dueSince > b.dueSince ? 1 : 0) ||
  (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export type AgreementIndex = ReadonlyMap<string, readonly Agreement[]>;

export function indexAgreements(agreements: readonly Agreement[]): AgreementIndex {
  const index = new Map<string, Agreement[]>();
  for (const a of agreements) {
    const list = index.get(a.agreement);
    if (list) list.push(a);
    else index.set(a.agreement, [a]);
  }
  return index;
}

const past = (date: IsoDate | undefined, today: IsoDate): date is IsoDate =>
  date !== undefined && isValidDate(date) && daysBetween(today, date) < 0;

function dueItem(
  file: string,
  flag: Flag,
  policy: PlanInput['policy'],
  today: IsoDate,
  agreements: AgreementIndex,
): DueItem | undefined {
  if (past(flag.expires, today)) {
    return {
      key: flag.key,
      file,
      flag,
      reasons: [{ kind: 'flag-expired', expires: flag.expires }],
      change: { kind: 'delete-file' },
      snooze: `expires=${flag.expires}`,
      rank: REASON_RANK['flag-expired'],
      dueSince: addDays(flag.expires, 1),
    };
  }
  const reasons: Reason[] = [];
  const removals: GrantRemoval[] = [];
  const dueDays: IsoDate[] = [];
  for (const env of Object.keys(flag.environments).sort()) {
    const grants = flag.environments[env]?.grants ?? [];
    grants.forEach((grant, index) => {
      const why: GrantRemoval['why'] = [];
      if (past(grant.expires, today)) {
        why.push('expired');
        dueDays.push(addDays(grant.expires, 1));
        reasons.push({
          kind: 'grant-expired',
          env,
          org: grant.org,
          expires: grant.expires,
          ...(grant.agreement ? { agreement: grant.agreement } : {}),
          ...(grant.ticket ? { ticket: grant.ticket } : {}),
        });
      }
      const ended = grant.agreement
        ? endedAgreement(agreements, grant.org, grant.agreement, today)
        : undefined;
      if (ended) {
        why.push('agreement-ended');
        dueDays.push(ended.endDate && isValidDate(ended.endDate) ? addDays(ended.endDate, 1) : today);
        reasons.push({
          kind: 'agreement-ended',
          env,
          org: grant.org,
          agreement: ended.agreement,
          status: ended.rawStatus,
          ...(ended.endDate ? { endDate: ended.endDate } : {}),
        });
      }
      if (why.length > 0) {
        removals.push({
          env,
          index,
          org: grant.org,
          ...(grant.agreement ? { agreement: grant.agreement } : {}),
          ...(grant.expires ? { expires: grant.expires } : {}),
          ...(grant.ticket ? { ticket: grant.ticket } : {}),
          why,
        });
      }
    });
  }
  let setReviewed: IsoDate | undefined;
  const review = reviewDue(flag, policy, today);
  if (review) {
    reasons.push(review);
    dueDays.push(review.due ?? today);
    setReviewed = today;
  }
  if (reasons.length === 0) return undefined;
  const snoozeParts: string[] = [];
  if (removals.length > 0)
    snoozeParts.push(
      `grants=${removals
        .map((r) => `${r.env}/${r.org}/${r.agreement ?? ''}@${r.expires ?? ''}:${r.why.join('+')}`)
        .join(',')}`,
    );
  if (review) snoozeParts.push(`reviewed=${flag.reviewed ?? 'never'}`);
  return {
    key: flag.key,
    file,
    flag,
    reasons,
    change: {
      kind: 'edit-file',
      removeGrants: removals,
      ...(setReviewed ? { setReviewed } : {}),
    },
    snooze: snoozeParts.join(';'),
    rank: Math.min(...reasons.map((r) => REASON_RANK[r.kind])),
    dueSince: dueDays.sort()[0]!,
  };
}

function endedAgreement(
  index: AgreementIndex,
  org: string,
  reference: string,
  today: IsoDate,
): Agreement | undefined {
  const rows = index.get(reference);
  const row = rows?.find((a) => a.org === org);
  return row && hasEnded(row, today) ? row : undefined;
}

function reviewDue(
  flag: Flag,
  policy: PlanInput['policy'],
  today: IsoDate,
): Extract<Reason, { kind: 'review-overdue' }> | undefined {
  if (isTemporary(flag.type)) return undefined;
  const everyDays = policy.types[flag.type]?.reviewEveryDays;
  if (everyDays === undefined) return undefined;
  if (flag.reviewed === undefined) return { kind: 'review-overdue', everyDays };
  if (!isValidDate(flag.reviewed) || daysBetween(today, flag.reviewed) > 0) return undefined;
  const due = addDays(flag.reviewed, everyDays);
  if (daysBetween(due, today) <= 0) return undefined;
  return { kind: 'review-overdue', reviewed: flag.reviewed, due, everyDays };
}
