import { type Agreement, hasEnded } from '../agreements/model.js';
import { addDays, daysBetween, type IsoDate, isValidDate } from '../dates.js';
import { type Flag, isTemporary } from '../model/flag.js';
import { defaultVariantOf, offVariantOf, targetVariantOf } from '../model/variants.js';
import { isEvidence } from '../refs/find.js';
import { usageByKey, usageEvidence } from '../usage/model.js';
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
  input: Pick<
    PlanInput,
    'flags' | 'policy' | 'today' | 'agreements' | 'agreementRevocations' | 'usage' | 'references'
  >,
): DueItem[] {
  // `flags reconcile` owns the revocations the export drives; `flags retire` leaves them to it.
  const agreements = indexAgreements(input.agreementRevocations === false ? [] : (input.agreements ?? []));
  const unused = unusedFlags(input);
  const items: DueItem[] = [];
  for (const { file, flag } of input.flags) {
    // An archived flag is where retirement ends: nothing is due of it.
    if (flag.archived === true) continue;
    const item =
      dueItem(file, flag, input.policy, input.today, agreements) ??
      nextState(file, flag, input, unused.get(flag.key));
    if (item) items.push(item);
  }
  return items.sort(compareDue);
}

type Unused = Extract<Reason, { kind: 'flag-unused' }>;

/**
 * The flags the usage export shows unevaluated for the policy's days, with the evidence: the
 * candidates for archiving, whose code references the command then searches for.
 */
export function unusedFlags(
  input: Pick<PlanInput, 'flags' | 'policy' | 'today' | 'usage'>,
): Map<string, Unused> {
  const out = new Map<string, Unused>();
  const usage = input.usage;
  if (!usage) return out;
  const afterDays = input.policy.stale?.unevaluatedAfterDays ?? 30;
  const byKey = usageByKey(usage);
  for (const { flag } of input.flags) {
    if (flag.archived === true) continue;
    const evidence = usageEvidence(byKey.get(flag.key), usage.since, input.today, afterDays);
    if (!evidence.unused) continue;
    out.set(flag.key, {
      kind: 'flag-unused',
      afterDays,
      usageFile: usage.file,
      ...(evidence.lastSeen ? { lastSeen: evidence.lastSeen } : {}),
    });
  }
  return out;
}

/**
 * The next lifecycle state of a flag nothing else is due for (docs/lifecycle.md): archive when the
 * code trees searched hold no reference to it and the usage export shows it unevaluated; else
 * deprecate a temporary flag whose every environment serves one variant to everyone.
 */
function nextState(
  file: string,
  flag: Flag,
  input: Pick<PlanInput, 'policy' | 'references'>,
  unused: Unused | undefined,
): DueItem | undefined {
  const references = input.references?.references;
  if (unused && references && !(references.get(flag.key) ?? []).some(isEvidence))
    return {
      key: flag.key,
      file,
      flag,
      reasons: [unused],
      change: { kind: 'set-state', state: 'archived' },
      snooze: `unused=${unused.lastSeen ?? 'never'}`,
      rank: REASON_RANK['flag-unused'],
      dueSince: unused.lastSeen ?? '0000-00-00',
    };
  if (flag.deprecated === true || !isTemporary(flag.type)) return undefined;
  const environments = settled(flag, input.policy.environments);
  if (!environments) return undefined;
  return {
    key: flag.key,
    file,
    flag,
    reasons: [{ kind: 'rollout-settled', environments }],
    change: { kind: 'set-state', state: 'deprecated' },
    snooze: `settled=${environments.map((e) => `${e.env}:${e.variant}`).join(',')}`,
    rank: REASON_RANK['rollout-settled'],
    // No day is known on which the rollout settled; the flag's expiry orders these among themselves.
    dueSince: flag.expires ?? '9999-12-31',
  };
}

/** Per policy environment, the one variant everyone gets; undefined when any environment serves two. */
function settled(
  flag: Flag,
  environments: readonly string[],
): { env: string; variant: string }[] | undefined {
  const out: { env: string; variant: string }[] = [];
  for (const env of environments) {
    const config = flag.environments[env];
    if (!config?.enabled) {
      out.push({ env, variant: offVariantOf(flag) });
      continue;
    }
    if ((config.grants ?? []).length > 0) return undefined;
    const rollout = config.rollout;
    if (rollout && rollout.percentage > 0 && rollout.percentage < 100) return undefined;
    const variant =
      rollout?.percentage === 100 ? targetVariantOf(flag, rollout.variant) : defaultVariantOf(flag, config);
    out.push({ env, variant });
  }
  return out.length > 0 ? out : undefined;
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
