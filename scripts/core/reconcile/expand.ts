import { daysBetween, type IsoDate } from '../dates.js';
import type { Flag, Grant } from '../model/flag.js';
import type { Organization } from '../model/organization.js';
import type { Policy } from '../model/policy.js';

/** The environments that receive contract grants: the policy's, or the last (production). */
export const contractEnvironments = (policy: Pick<Policy, 'contracts' | 'environments'>): string[] =>
  policy.contracts?.environments ?? policy.environments.slice(-1);

/**
 * Expands organizations' subscriptions into the grants they stand for, so that the bundle, the
 * `feature_flags` claims, `flags who` and the report answer exactly as if every grant were written
 * out in the flag files (test/reconcile/equivalence.test.ts holds the two together).
 *
 * An organization that holds several plans including one flag gets one grant for it: citing every
 * agreement behind those plans, expiring with the last of them (never, when one never expires),
 * with the highest of their variants (variants count upwards in the order the flag declares them:
 * declare tiers from the lowest). A grant is made in each environment of `contracts.environments`
 * that the flag configures.
 */

export interface PlanGrant {
  org: string;
  key: string;
  env: string;
  grant: Grant;
  /** The plans the grant comes from, in policy order. */
  plans: string[];
  /** The subscription file. */
  file: string;
}

export interface SubscriptionSource {
  file: string;
  organization: Organization;
}

export function planGrants(
  policy: Policy,
  organizations: readonly SubscriptionSource[],
  flagsByKey: ReadonlyMap<string, Flag>,
): PlanGrant[] {
  const plans = policy.plans ?? {};
  const order = Object.keys(plans);
  const environments = contractEnvironments(policy);
  const out: PlanGrant[] = [];
  for (const { file, organization } of organizations) {
    const org = organization.organization;
    const merged = new Map<string, PlanGrant & { open: boolean }>();
    for (const subscription of organization.subscriptions) {
      const plan = plans[subscription.plan];
      if (!plan) continue; // reported by the contract rules
      for (const [key, granted] of Object.entries(plan.flags)) {
        const flag = flagsByKey.get(key);
        if (!flag) continue;
        for (const env of environments) {
          if (!flag.environments[env]) continue;
          const id = `${key}\0${env}`;
          const variant = granted === true ? undefined : granted;
          const entry = merged.get(id);
          if (!entry) {
            const grant: Grant = { org, agreements: [...subscription.agreements] };
            if (subscription.expires !== undefined) grant.expires = subscription.expires;
            if (variant !== undefined) grant.variant = variant;
            merged.set(id, {
              org,
              key,
              env,
              file,
              plans: [subscription.plan],
              grant,
              open: subscription.expires === undefined,
            });
            continue;
          }
          if (!entry.plans.includes(subscription.plan)) entry.plans.push(subscription.plan);
          for (const a of subscription.agreements)
            if (!entry.grant.agreements!.includes(a)) entry.grant.agreements!.push(a);
          if (subscription.expires === undefined) {
            entry.open = true;
            delete entry.grant.expires;
          } else if (!entry.open && later(subscription.expires, entry.grant.expires)) {
            entry.grant.expires = subscription.expires;
          }
          if (variant !== undefined && higher(flag, variant, entry.grant.variant))
            entry.grant.variant = variant;
        }
      }
    }
    for (const entry of merged.values()) {
      const { open: _open, ...planGrant } = entry;
      planGrant.plans.sort((a, b) => order.indexOf(a) - order.indexOf(b));
      out.push({ ...planGrant, grant: normalized(planGrant.grant) });
    }
  }
  return out;
}

/** One agreement is written as `agreement`, several as `agreements`, as a flag file would. */
function normalized(grant: Grant): Grant {
  const { agreements, ...rest } = grant;
  if (!agreements || agreements.length === 0) return rest;
  if (agreements.length === 1) return { org: rest.org, agreement: agreements[0]!, ...withoutOrg(rest) };
  return { org: rest.org, agreements, ...withoutOrg(rest) };
}

const withoutOrg = ({ org: _org, ...rest }: Grant) => rest;

const later = (a: IsoDate, b: IsoDate | undefined): boolean => b === undefined || daysBetween(b, a) > 0;

function higher(flag: Flag, variant: string, than: string | undefined): boolean {
  if (than === undefined) return true;
  const names = Object.keys(flag.variants ?? {});
  return names.indexOf(variant) > names.indexOf(than);
}

/**
 * The flags with their plan grants added to the grants their files write. Where a flag file grants
 * the organization in that environment already, the file's grant stands (and `flags check` reports
 * the overlap as contracts/grant-conflict). Flags no subscription touches are returned as they are.
 */
export function withPlanGrants<T extends { flag: Flag }>(
  flags: readonly T[],
  policy: Policy,
  organizations: readonly SubscriptionSource[],
): T[] {
  if (organizations.length === 0 || !policy.plans) return [...flags];
  const byKey = new Map(flags.map((f) => [f.flag.key, f.flag]));
  const extra = new Map<string, PlanGrant[]>();
  for (const g of planGrants(policy, organizations, byKey)) {
    const list = extra.get(g.key);
    if (list) list.push(g);
    else extra.set(g.key, [g]);
  }
  return flags.map((entry) => {
    const added = extra.get(entry.flag.key);
    if (!added) return entry;
    const environments: Flag['environments'] = { ...entry.flag.environments };
    for (const env of new Set(added.map((g) => g.env))) {
      const config = environments[env]!;
      const written = new Set((config.grants ?? []).map((g) => g.org));
      const grants = [...(config.grants ?? [])];
      for (const g of added) if (g.env === env && !written.has(g.org)) grants.push(g.grant);
      environments[env] = { ...config, grants };
    }
    return { ...entry, flag: { ...entry.flag, environments } };
  });
}
