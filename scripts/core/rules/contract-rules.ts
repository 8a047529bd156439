import { daysBetween, type IsoDate, isValidDate } from '../dates.js';
import type { FindingCode } from '../findings/codes.js';
import { type Finding, finding, type Position } from '../findings/finding.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import { claimOverruns } from '../claims/budget.js';
import { planGrants, withPlanGrants } from '../reconcile/expand.js';
import type { OrganizationFile } from '../reconcile/organization-file.js';
import type { PathSegment } from '../yaml/load.js';

/**
 * The mapping from what customers buy to what they get, checked as a whole: the policy's plans
 * against the flags, and the organizations' subscription files against the plans and against the
 * grants the flag files write.
 */

export interface ContractInput {
  policy: Policy;
  policyFile: string;
  /** Where a value is written in the policy file. */
  locatePolicy(path: readonly PathSegment[], which?: 'key' | 'value'): Position;
  flags: readonly { file: string; flag: Flag }[];
  organizations: readonly OrganizationFile[];
  today: IsoDate;
}

export function contractFindings(input: ContractInput): Finding[] {
  const out: Finding[] = [];
  const { policy } = input;
  const plans = policy.plans;
  const byKey = new Map(input.flags.map((f) => [f.flag.key, f]));
  const inPolicy = (
    code: FindingCode,
    path: PathSegment[],
    message: string,
    hint: string,
    which: 'key' | 'value' = 'key',
  ) =>
    out.push(finding(code, input.policyFile, input.locatePolicy(path, which), message, hint, path.join('.')));

  if (plans) {
    const pattern = new RegExp(policy.agreements.contractPattern);
    const sold = new Set<string>();
    for (const [name, plan] of Object.entries(plans)) {
      if (!pattern.test(name))
        inPolicy(
          'model/invalid-agreement',
          ['plans', name],
          `plan "${name}" does not match ${policy.agreements.contractPattern}`,
          'name the plan as the CRM or billing system writes it',
        );
      const keys = Object.keys(plan.flags);
      if (keys.length === 0)
        inPolicy(
          'contracts/empty-plan',
          ['plans', name, 'flags'],
          `plan ${name} grants no flag`,
          'list the flags the plan includes, or remove the plan',
        );
      for (const key of keys) {
        sold.add(key);
        const granted = plan.flags[key]!;
        const known = byKey.get(key);
        if (!known) {
          inPolicy(
            'contracts/unknown-flag',
            ['plans', name, 'flags', key],
            `plan ${name} includes "${key}", which no flag file declares`,
            'correct the key, or add the flag first',
          );
          continue;
        }
        const variants = known.flag.variants;
        if (variants === undefined && granted !== true)
          inPolicy(
            'contracts/invalid-variant',
            ['plans', name, 'flags', key],
            `plan ${name} gives the boolean flag ${key} the variant "${granted}"`,
            `write ${key}: true`,
            'value',
          );
        else if (variants !== undefined && (granted === true || !Object.hasOwn(variants, granted)))
          inPolicy(
            'contracts/invalid-variant',
            ['plans', name, 'flags', key],
            granted === true
              ? `plan ${name} includes ${key} without saying which of its variants`
              : `plan ${name} gives ${key} the variant "${granted}", which the flag does not define`,
            `use one of ${Object.keys(variants).join(', ')}`,
            'value',
          );
      }
    }
    for (const { file, flag } of input.flags) {
      if (flag.type !== 'entitlement' || sold.has(flag.key)) continue;
      inPolicy(
        'contracts/unsold-entitlement',
        ['plans'],
        `entitlement ${flag.key} (${file}) is sold under no plan`,
        `add ${flag.key} to the plan that sells it${flag.contract ? ` (its contract is ${flag.contract})` : ''}`,
      );
    }
  }

  const org = new RegExp(policy.organizations.idPattern);
  const agreement = new RegExp(policy.agreements.referencePattern);
  for (const parsed of input.organizations) {
    const { file, organization } = parsed;
    const at = (
      code: FindingCode,
      path: PathSegment[],
      message: string,
      hint: string,
      which: 'key' | 'value' = 'value',
    ) => out.push(finding(code, file, parsed.locate(path, which), message, hint, path.join('.')));
    const id = organization.organization;
    const expected = file.slice(file.lastIndexOf('/') + 1).replace(/\.ya?ml$/, '');
    if (id !== expected)
      at(
        'contracts/file-name',
        ['organization'],
        `organization "${id}" is in ${file}`,
        `rename the file to ${id}.yaml`,
      );
    if (!org.test(id))
      at(
        'model/invalid-org-id',
        ['organization'],
        `organization id "${id}" does not match ${policy.organizations.idPattern}`,
        'copy the id from the admin console; names are not ids',
      );
    const first = new Map<string, number>();
    organization.subscriptions.forEach((subscription, i) => {
      const path: PathSegment[] = ['subscriptions', i];
      if (!plans || !Object.hasOwn(plans, subscription.plan))
        at(
          'contracts/unknown-plan',
          [...path, 'plan'],
          `plan "${subscription.plan}" is not declared in the policy`,
          plans
            ? `use one of ${Object.keys(plans).join(', ')}`
            : 'declare it under plans: in flags/_policy.yaml',
        );
      const earlier = first.get(subscription.plan);
      if (earlier !== undefined)
        at(
          'model/duplicate-grant',
          [...path, 'plan'],
          `plan ${subscription.plan} is listed twice (subscriptions ${earlier} and ${i})`,
          'list the plan once, with every agreement it is held under',
        );
      else first.set(subscription.plan, i);
      subscription.agreements.forEach((reference, j) => {
        if (!agreement.test(reference))
          at(
            'model/invalid-agreement',
            [...path, 'agreements', j],
            `agreement "${reference}" does not match ${policy.agreements.referencePattern}`,
            'use the reference as the CRM or billing system writes it',
          );
      });
      const expires = subscription.expires;
      if (expires !== undefined && !isValidDate(expires))
        at(
          'model/invalid-date',
          [...path, 'expires'],
          `${expires} is not a calendar date`,
          'write a real date, YYYY-MM-DD',
        );
      else if (expires !== undefined && daysBetween(input.today, expires) < 0)
        at(
          'lifecycle/grant-expired',
          [...path, 'expires'],
          `${id}'s ${subscription.plan} expired on ${expires}`,
          'remove the subscription, or extend it with the agreement that justifies it',
        );
    });
  }

  // The two forms must never both grant one organization a flag in one environment.
  if (plans && input.organizations.length > 0) {
    const flagsByKey = new Map(input.flags.map((f) => [f.flag.key, f.flag]));
    const parsedByFile = new Map(input.organizations.map((o) => [o.file, o]));
    for (const g of planGrants(policy, input.organizations, flagsByKey)) {
      const { file, flag } = byKey.get(g.key)!;
      const index = (flag.environments[g.env]?.grants ?? []).findIndex((w) => w.org === g.org);
      if (index < 0) continue;
      const parsed = parsedByFile.get(g.file)!;
      const i = parsed.organization.subscriptions.findIndex((s) => s.plan === g.plans[0]);
      out.push(
        finding(
          'contracts/grant-conflict',
          g.file,
          parsed.locate(['subscriptions', i, 'plan']),
          `${g.plans.join(' and ')} grant${g.plans.length > 1 ? '' : 's'} ${g.key} to ${g.org} in ${g.env}, which ${file} grants already (environments.${g.env}.grants.${index})`,
          `keep one: remove the grant from ${file}, or the plan from this file`,
          `subscriptions.${i}.plan`,
        ),
      );
    }
  }
  out.push(...subscriptionClaimBudget(input));
  return out;
}

/**
 * `policy/claim-budget` with the subscriptions' grants counted as flag-file grants are: a claim is
 * what the bundle answers, and the bundle has every plan grant written out. The flag files' own
 * overruns are the check's (claim-budget.ts); here are the ones the subscriptions tip over, at the
 * subscription file, where the change that did it is reviewed.
 */
function subscriptionClaimBudget(input: ContractInput): Finding[] {
  if (input.organizations.length === 0 || !input.policy.plans) return [];
  const expanded = withPlanGrants(input.flags, input.policy, input.organizations);
  const over = claimOverruns(expanded, input.policy, input.today).filter((o) => o.organization !== undefined);
  if (over.length === 0) return [];
  const already = new Set(
    claimOverruns(input.flags, input.policy, input.today).map((o) => `${o.organization}\0${o.environment}`),
  );
  const fileOf = new Map(input.organizations.map((o) => [o.organization.organization, o]));
  const budget = input.policy.limits.maxClaimBytes;
  return over.flatMap((o) => {
    const parsed = fileOf.get(o.organization!);
    if (!parsed || already.has(`${o.organization}\0${o.environment}`)) return [];
    return [
      finding(
        'policy/claim-budget',
        parsed.file,
        parsed.locate(['organization'], 'value'),
        `the feature_flags claim of ${o.organization} in ${o.environment} is ${o.bytes} bytes (${o.keys} flags, its subscriptions' plans included), over the budget of ${budget}`,
        `see it with flags claims --org ${o.organization} --env ${o.environment}; drop a plan it no longer holds, retire flags it no longer needs, or raise limits.maxClaimBytes`,
        'organization',
      ),
    ];
  });
}
