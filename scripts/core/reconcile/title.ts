import type { Subscription } from '../model/organization.js';
import type { OrganizationEvent } from './model.js';

/**
 * The one line a person reads first: who, what happened, under which agreement, and every flag
 * change ("org_globex7731 upgraded to PLAN-ENTERPRISE under ORD-2026-0412: +sso-saml,
 * +audit-log-export, workspace-analytics tier silver → gold").
 */

const MAX_ITEMS = 8;

export function describeEvent(
  event: Pick<OrganizationEvent, 'organization' | 'event' | 'changes' | 'agreements' | 'file' | 'moves'>,
  before: readonly Subscription[],
  after: readonly Subscription[],
): string {
  const had = new Set(before.map((s) => s.plan));
  const has = new Set(after.map((s) => s.plan));
  const added = after.filter((s) => !had.has(s.plan));
  const removed = before.filter((s) => !has.has(s.plan)).map((s) => s.plan);
  const under = (subs: readonly Subscription[]) => {
    const list = [...new Set(subs.flatMap((s) => s.agreements))];
    return list.length > 0 ? ` under ${list.join(' + ')}` : '';
  };
  const changedUnder = under(after.filter((s) => event.changes.some((c) => c.plans.includes(s.plan))));
  const ended = event.agreements.filter((a) => !a.inForce && a.status !== 'pending').map((a) => a.agreement);
  const org = event.organization;
  const plansOf = (list: readonly string[]) => list.join(' + ');
  let head: string;
  switch (event.event) {
    case 'new-customer':
      head = `${org} signed ${plansOf(added.map((s) => s.plan))}${under(added)}`;
      break;
    case 'upgrade':
      head =
        added.length > 0
          ? `${org} upgraded to ${plansOf(added.map((s) => s.plan))}${under(added)}`
          : `${org} gained access${changedUnder}`;
      break;
    case 'beta-opt-in':
      head = `${org} opted in to ${plansOf(added.map((s) => s.plan)) || 'a beta'}${under(added)}`;
      break;
    case 'plan-change':
      head = `${org} changed plans${removed.length > 0 ? ` from ${plansOf(removed)}` : ''}${added.length > 0 ? ` to ${plansOf(added.map((s) => s.plan))}${under(added)}` : ''}`;
      break;
    case 'downgrade':
      head = `${org} downgraded${removed.length > 0 ? `, dropping ${plansOf(removed)}` : ''}${ended.length > 0 ? ` (${ended.join(', ')} ended)` : ''}`;
      break;
    case 'churn':
      head = `${org} churned${ended.length > 0 ? `: ${ended.join(', ')} ended` : ''}`;
      break;
    case 'renewal':
      head = `${org} renewed${changedUnder}`;
      break;
    case 'trial-converted':
      head = `${org} converted its trial${changedUnder}`;
      break;
    case 'tier-change':
      head = `${org} changed tier${changedUnder}`;
      break;
    case 'moved':
      return `${org}: grants of plan-sold flags move into ${event.file}`;
    default:
      head = `${org}: agreement terms changed`;
  }
  const items = [...new Set(event.changes.map((c) => c.summary))];
  const shown = items.slice(0, MAX_ITEMS).join(', ');
  const more = items.length > MAX_ITEMS ? ` and ${items.length - MAX_ITEMS} more` : '';
  return items.length > 0 ? `${head}: ${shown}${more}` : head;
}
