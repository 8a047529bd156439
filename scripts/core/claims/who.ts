import type { JsonValue } from '../../runtime/bundle-format.js';
import { compileFlag } from '../bundle/compile.js';
import { daysBetween, type IsoDate, isValidDate } from '../dates.js';
import type { Flag } from '../model/flag.js';
import { agreementLabel } from '../model/grant-agreements.js';
import type { Policy } from '../model/policy.js';
import { evaluatorFor } from './claim.js';

/**
 * Who gets a flag in an environment, and why: the grants (with their agreement and end), the
 * rollout share, and the default for everyone else, in the order evaluation applies them.
 */

/** Grants that come from subscriptions: their plans and subscription file. */
export type GrantSources = ReadonlyMap<string, { plans: string[]; file: string }>;
export const grantSourceKey = (key: string, env: string, org: string): string => `${key}\0${env}\0${org}`;

export interface WhoGrant {
  organization: string;
  variant: string;
  value: JsonValue;
  agreement?: string;
  /** For a grant from a subscription: the plans it comes from, and the subscription file. */
  plans?: string[];
  from?: string;
  ticket?: string;
  note?: string;
  expires?: IsoDate;
  daysLeft?: number;
  /** False once the grant has expired: evaluation skips it. */
  applies: boolean;
}

export interface WhoEnvironment {
  environment: string;
  configured: boolean;
  enabled: boolean;
  boolean: boolean;
  /** Served to everyone when the environment is disabled or not configured. */
  off: { variant: string; value: JsonValue };
  grants: WhoGrant[];
  rollout?: { percentage: number; variant: string; value: JsonValue };
  /** Served to everyone neither granted nor rolled out to. */
  fallback: { variant: string; value: JsonValue };
}

export interface WhoAnswer {
  key: string;
  file: string;
  type: Flag['type'];
  owner: string;
  contract?: string;
  environments: WhoEnvironment[];
}

export function whoGets(
  file: string,
  flag: Flag,
  environments: readonly string[],
  today: IsoDate,
  sources: GrantSources = new Map(),
): WhoAnswer {
  const answer: WhoAnswer = { key: flag.key, file, type: flag.type, owner: flag.owner, environments: [] };
  if (flag.contract !== undefined) answer.contract = flag.contract;
  for (const environment of environments) {
    const compiled = compileFlag(flag, environment);
    const config = flag.environments[environment];
    const value = (variant: string) => compiled.variants[variant] ?? null;
    const grants = (config?.grants ?? []).map((g): WhoGrant => {
      const variant = compiled.grants[g.org]?.variant ?? compiled.offVariant;
      const grant: WhoGrant = { organization: g.org, variant, value: value(variant), applies: true };
      const agreement = agreementLabel(g);
      if (agreement !== undefined) grant.agreement = agreement;
      const source = sources.get(grantSourceKey(flag.key, environment, g.org));
      if (source) {
        grant.plans = source.plans;
        grant.from = source.file;
      }
      if (g.ticket !== undefined) grant.ticket = g.ticket;
      if (g.note !== undefined) grant.note = g.note;
      if (g.expires !== undefined) {
        grant.expires = g.expires;
        if (isValidDate(g.expires)) {
          grant.daysLeft = daysBetween(today, g.expires);
          grant.applies = grant.daysLeft >= 0;
        }
      }
      return grant;
    });
    const env: WhoEnvironment = {
      environment,
      configured: config !== undefined,
      enabled: compiled.enabled,
      boolean: flag.variants === undefined,
      off: { variant: compiled.offVariant, value: value(compiled.offVariant) },
      grants,
      fallback: { variant: compiled.defaultVariant, value: value(compiled.defaultVariant) },
    };
    if (compiled.rollout && compiled.rollout.percentage > 0)
      env.rollout = { ...compiled.rollout, value: value(compiled.rollout.variant) };
    answer.environments.push(env);
  }
  return answer;
}

export interface OrgAnswer {
  organization: string;
  environment: string;
  variant?: string;
  value: JsonValue;
  reason: string;
  because: string;
}

/** One organization's answer, from the Evaluator, with the rule that gave it. */
export function explainFor(
  flags: readonly { flag: Flag }[],
  policy: Policy,
  key: string,
  organization: string,
  environment: string,
  today: IsoDate,
  who: WhoEnvironment,
): OrgAnswer {
  const resolution = evaluatorFor(flags, policy, environment, today).resolve(key, organization);
  const grant = who.grants.find((g) => g.organization === organization);
  let because: string;
  if (resolution.reason === 'DISABLED')
    because = who.configured
      ? `the flag is disabled in ${environment}`
      : `the flag does not configure ${environment}`;
  else if (resolution.reason === 'TARGETING_MATCH' && grant?.applies)
    because = `granted${grant.agreement ? ` under ${grant.agreement}` : grant.ticket ? ` for ${grant.ticket}` : ''}${grant.plans ? ` (plan ${grant.plans.join(' + ')}, ${grant.from})` : ''}${grant.expires ? ` until ${grant.expires}` : ''}`;
  else if (resolution.reason === 'TARGETING_MATCH')
    because = `in the ${who.rollout?.percentage ?? 0}% rollout (its bucket for this flag is below the percentage)`;
  else
    because = `the default for organizations without a grant${who.rollout ? ', outside the rollout' : ''}${grant && !grant.applies ? ` (its grant expired on ${grant.expires})` : ''}`;
  const out: OrgAnswer = {
    organization,
    environment,
    value: resolution.value,
    reason: resolution.reason,
    because,
  };
  if (resolution.variant !== undefined) out.variant = resolution.variant;
  return out;
}
