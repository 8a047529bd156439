import { type Agreement, contractsOf, isInForce } from '../agreements/model.js';
import { daysBetween, type IsoDate } from '../dates.js';
import { type Flag, type Grant, isTemporary } from '../model/flag.js';
import { agreementsOf } from '../model/grant-agreements.js';
import type { Subscription } from '../model/organization.js';
import { ORGANIZATIONS_DIR } from '../model/constants.js';
import type { Policy } from '../model/policy.js';
import { targetVariantOf } from '../model/variants.js';
import { planGrants, type SubscriptionSource } from './expand.js';
import type {
  AgreementFact,
  Change,
  EventKind,
  GrantState,
  Move,
  OrganizationEvent,
  Reconciliation,
} from './model.js';
import { describeEvent } from './title.js';

/**
 * Plans what the agreements export asks of the repository, in both directions. Pure: data in, data
 * out. For each organization the export lists (or the one asked for):
 * - the subscriptions its agreements in force call for: each product of each agreement that the
 *   policy declares as a plan, held under every agreement that includes it, ending with the last
 *   of them; agreements the export does not list at all (a support case, a manual deal) are kept,
 *   since an export that does not mention them says nothing about them;
 * - the grants those subscriptions expand to, against the grants in force now (subscription files
 *   and flag files): grant, revoke or change (agreement, expiry or tier);
 * - grants a flag file writes for it under agreements the export lists and none of which is in
 *   force any more: revoked (this is what `flags retire` did before reconcile owned it);
 * - grants a flag file writes where a subscription now grants the same flag: moved into the
 *   subscription file, so that one grant per organization and environment remains.
 * Organizations the export does not list are never touched.
 */

export interface ReconcileInput {
  policy: Policy;
  /** The flags as their files write them (without plan grants). */
  flags: readonly { file: string; flag: Flag }[];
  organizations: readonly SubscriptionSource[];
  agreements: readonly Agreement[];
  today: IsoDate;
  /** Only this organization (a relay's event): every other organization is left alone. */
  only?: string;
}

export function planReconciliation(input: ReconcileInput): Reconciliation {
  const { policy, today } = input;
  const plans = policy.plans ?? {};
  const planOrder = Object.keys(plans);
  const flagsByKey = new Map(input.flags.map((f) => [f.flag.key, f.flag]));
  const fileOf = new Map(input.flags.map((f) => [f.flag.key, f.file]));
  const rowsByOrg = new Map<string, Agreement[]>();
  for (const row of input.agreements) {
    if (input.only !== undefined && row.org !== input.only) continue;
    const list = rowsByOrg.get(row.org);
    if (list) list.push(row);
    else rowsByOrg.set(row.org, [row]);
  }
  const sourceByOrg = new Map(input.organizations.map((o) => [o.organization.organization, o]));
  // Flag-file grants by organization: [key, env, index, grant].
  const written = new Map<string, { key: string; env: string; index: number; grant: Grant }[]>();
  for (const { flag } of input.flags)
    for (const [env, config] of Object.entries(flag.environments))
      (config.grants ?? []).forEach((grant, index) => {
        if (!rowsByOrg.has(grant.org)) return;
        // A grant past its own expiry grants nothing, and `flags retire` removes it: not ours too.
        if (grant.expires !== undefined && grant.expires < today) return;
        const list = written.get(grant.org);
        const entry = { key: flag.key, env, index, grant };
        if (list) list.push(entry);
        else written.set(grant.org, [entry]);
      });

  const out: Reconciliation = {
    today,
    organizations: [],
    changes: [],
    pending: [],
    unmapped: [],
    reconciled: rowsByOrg.size,
  };
  for (const org of [...rowsByOrg.keys()].sort()) {
    const rows = rowsByOrg.get(org)!;
    const listed = new Set(rows.map((r) => r.agreement));
    const inForce = new Set(rows.filter((r) => isInForce(r, today)).map((r) => r.agreement));
    for (const row of rows) {
      if (row.status === 'pending')
        out.pending.push({
          organization: org,
          agreement: row.agreement,
          contracts: [...contractsOf(row)],
          rawStatus: row.rawStatus,
        });
      if (!inForce.has(row.agreement)) continue;
      for (const contract of contractsOf(row))
        if (!Object.hasOwn(plans, contract))
          out.unmapped.push({ organization: org, agreement: row.agreement, contract });
    }
    const source = sourceByOrg.get(org);
    const current = source?.organization.subscriptions ?? [];
    const desired = desiredSubscriptions(rows, current, listed, plans, planOrder, today);
    const fileGrants = written.get(org) ?? [];
    // Most organizations are as the export says: nothing to expand or compare.
    if (fileGrants.length === 0 && source && sameSubscriptions(current, desired)) continue;
    const file = source?.file ?? `${ORGANIZATIONS_DIR}/${org}.yaml`;
    const before = effective(planGrants(policy, source ? [source] : [], flagsByKey));
    const after = effective(
      planGrants(policy, [{ file, organization: { organization: org, subscriptions: desired } }], flagsByKey),
    );
    const changes: Change[] = [];
    const moves: Move[] = [];
    const writtenAt = new Map(fileGrants.map((w) => [`${w.key}\0${w.env}`, w]));
    // Grants the flag files write stand before the plan grants (as in expand.ts); they stay unless
    // the export ended every agreement they cite, or a subscription takes them over.
    for (const w of fileGrants) {
      const id = `${w.key}\0${w.env}`;
      const flag = flagsByKey.get(w.key)!;
      const state = stateOf(flag, w.grant, []);
      before.set(id, { state, file: fileOf.get(w.key)! });
      const cited = agreementsOf(w.grant);
      const ended = cited.length > 0 && cited.every((a) => listed.has(a) && !inForce.has(a));
      if (after.has(id))
        moves.push({
          organization: org,
          flag: w.key,
          environment: w.env,
          from: fileOf.get(w.key)!,
          index: w.index,
        });
      else if (!ended) after.set(id, { state, file: fileOf.get(w.key)! });
    }
    for (const id of new Set([...before.keys(), ...after.keys()])) {
      const [key, env] = id.split('\0') as [string, string];
      const was = before.get(id);
      const will = after.get(id);
      const flag = flagsByKey.get(key)!;
      const target = will?.file ?? was!.file;
      const base = { organization: org, flag: key, environment: env };
      if (!was && will) changes.push(change(base, 'grant', will.state, undefined, will.state, target, flag));
      else if (was && !will) {
        const revoked = change(base, 'revoke', was.state, was.state, undefined, was.file, flag);
        const w = writtenAt.get(id);
        if (w) revoked.index = w.index;
        changes.push(revoked);
      } else if (was && will && !sameState(was.state, will.state))
        changes.push(change(base, 'change', will.state, was.state, will.state, target, flag));
    }
    changes.sort((a, b) => cmp(a.flag, b.flag) || cmp(a.environment, b.environment));
    const fileChanges = !sameSubscriptions(current, desired) || (!source && desired.length > 0);
    if (changes.length === 0 && moves.length === 0 && !fileChanges) continue;
    const agreements = rows.map(
      (r): AgreementFact => ({
        agreement: r.agreement,
        status: r.status,
        rawStatus: r.rawStatus,
        ...(r.startDate ? { startDate: r.startDate } : {}),
        ...(r.endDate ? { endDate: r.endDate } : {}),
        contracts: [...contractsOf(r)],
        inForce: inForce.has(r.agreement),
      }),
    );
    const kind = eventKind(changes, before.size, after.size, moves.length, flagsByKey);
    const event: OrganizationEvent = {
      organization: org,
      event: kind,
      title: '',
      agreements,
      facts: factsOf(agreements),
      file,
      subscriptions: desired,
      fileChanges,
      changes,
      moves,
    };
    event.title = describeEvent(event, current, desired);
    out.organizations.push(event);
    out.changes.push(...changes);
  }
  return out;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function desiredSubscriptions(
  rows: readonly Agreement[],
  current: readonly Subscription[],
  listed: ReadonlySet<string>,
  plans: NonNullable<Policy['plans']>,
  order: readonly string[],
  today: IsoDate,
): Subscription[] {
  const byPlan = new Map<string, { agreements: string[]; expires?: IsoDate; open: boolean; note?: string }>();
  const add = (plan: string, agreement: string, expires: IsoDate | undefined) => {
    const entry = byPlan.get(plan) ?? { agreements: [], open: false };
    if (!entry.agreements.includes(agreement)) entry.agreements.push(agreement);
    if (expires === undefined) {
      entry.open = true;
      delete entry.expires;
    } else if (!entry.open && (entry.expires === undefined || daysBetween(entry.expires, expires) > 0))
      entry.expires = expires;
    byPlan.set(plan, entry);
  };
  for (const row of rows) {
    if (!isInForce(row, today)) continue;
    for (const contract of contractsOf(row))
      if (Object.hasOwn(plans, contract)) add(contract, row.agreement, row.endDate);
  }
  // What the export does not mention, it does not decide: agreements it does not list stay.
  for (const s of current)
    for (const a of s.agreements)
      if (!listed.has(a) && Object.hasOwn(plans, s.plan)) add(s.plan, a, s.expires);
  const notes = new Map(current.map((s) => [s.plan, s.note]));
  return [...byPlan.entries()]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([plan, e]) => {
      const s: Subscription = { plan, agreements: [...e.agreements].sort() };
      if (e.expires !== undefined) s.expires = e.expires;
      const note = notes.get(plan);
      if (note !== undefined) s.note = note;
      return s;
    });
}

function sameSubscriptions(a: readonly Subscription[], b: readonly Subscription[]): boolean {
  const key = (list: readonly Subscription[]) =>
    JSON.stringify(
      [...list]
        .map((s) => [s.plan, [...s.agreements].sort(), s.expires ?? null])
        .sort((x, y) => cmp(String(x[0]), String(y[0]))),
    );
  return key(a) === key(b);
}

type Effective = Map<string, { state: GrantState; file: string }>;

function effective(grants: ReturnType<typeof planGrants>): Effective {
  const out: Effective = new Map();
  for (const g of grants)
    out.set(`${g.key}\0${g.env}`, { state: { ...stateOf(undefined, g.grant, g.plans) }, file: g.file });
  return out;
}

function stateOf(flag: Flag | undefined, grant: Grant, plans: string[]): GrantState {
  const state: GrantState = {
    variant: flag ? targetVariantOf(flag, grant.variant) : (grant.variant ?? 'on'),
    agreements: [...agreementsOf(grant)].sort(),
    plans,
  };
  if (grant.expires !== undefined) state.expires = grant.expires;
  return state;
}

const sameState = (a: GrantState, b: GrantState): boolean =>
  a.variant === b.variant && a.expires === b.expires && a.agreements.join() === b.agreements.join();

function change(
  base: { organization: string; flag: string; environment: string },
  action: Change['action'],
  cited: GrantState,
  before: GrantState | undefined,
  after: GrantState | undefined,
  file: string,
  flag: Flag,
): Change {
  const c: Change = {
    ...base,
    action,
    agreement: cited.agreements.join(' + '),
    agreements: cited.agreements,
    plans: cited.plans,
    file,
    summary: '',
  };
  if (before) c.before = before;
  if (after) c.after = after;
  c.summary = summarize(c, flag);
  return c;
}

function summarize(c: Change, flag: Flag): string {
  const tiered = flag.variants !== undefined;
  if (c.action === 'grant')
    return `+${c.flag}${tiered ? ` (${c.after!.variant})` : ''}${c.after!.expires ? ` until ${c.after!.expires}` : ''}`;
  if (c.action === 'revoke') return `-${c.flag}`;
  const parts: string[] = [];
  const { before: b, after: a } = c as Required<Pick<Change, 'before' | 'after'>>;
  if (b.variant !== a.variant) parts.push(`tier ${b.variant} → ${a.variant}`);
  if (b.expires !== a.expires)
    parts.push(
      a.expires === undefined
        ? 'no longer expires'
        : `until ${a.expires}${b.expires ? ` (was ${b.expires})` : ''}`,
    );
  if (b.agreements.join() !== a.agreements.join())
    parts.push(`under ${a.agreements.join(' + ')} (was ${b.agreements.join(' + ') || 'none'})`);
  return `${c.flag} ${parts.join(', ')}`;
}

function eventKind(
  changes: readonly Change[],
  had: number,
  has: number,
  moves: number,
  flags: ReadonlyMap<string, Flag>,
): EventKind {
  const grants = changes.filter((c) => c.action === 'grant');
  const revokes = changes.filter((c) => c.action === 'revoke');
  const edits = changes.filter((c) => c.action === 'change');
  if (changes.length === 0) return moves > 0 ? 'moved' : 'term-change';
  if (grants.length > 0 && revokes.length > 0) return 'plan-change';
  if (grants.length > 0) {
    if (had === 0) return 'new-customer';
    if (grants.every((c) => isTemporary(flags.get(c.flag)!.type))) return 'beta-opt-in';
    return 'upgrade';
  }
  if (revokes.length > 0) return has === 0 ? 'churn' : 'downgrade';
  if (edits.some((c) => c.before!.variant !== c.after!.variant)) return 'tier-change';
  if (edits.some((c) => c.before!.expires !== undefined && c.after!.expires === undefined))
    return 'trial-converted';
  if (edits.some((c) => c.before!.agreements.join() !== c.after!.agreements.join())) return 'renewal';
  return 'term-change';
}

function factsOf(facts: readonly AgreementFact[]): string {
  return [...facts]
    .sort((a, b) => cmp(a.agreement, b.agreement))
    .map(
      (f) =>
        `${f.agreement}:${f.status}:${f.startDate ?? ''}:${f.endDate ?? ''}:${[...f.contracts].sort().join('+')}`,
    )
    .join(';');
}
