import type { Command } from 'commander';
import { usesPlans } from '../adapters/plans-present.js';
import { createProgress } from '../adapters/progress.js';
import { loadRepository, type Repository, validFlags } from '../adapters/repository.js';
import { type Claim, claimOf, evaluatorFor } from '../core/claims/claim.js';
import { type GrantSources, grantSourceKey } from '../core/claims/who.js';
import type { Flag } from '../core/model/flag.js';
import { agreementLabel } from '../core/model/grant-agreements.js';
import { UsageError } from '../errors.js';
import { resolveFlagsRoot, resolveToday, withRepo, withToday } from './common.js';

interface ClaimsOptions {
  repo: string;
  today?: string;
  org?: string;
  since?: string;
  env?: string[];
  json?: boolean;
}

export function registerClaims(program: Command): void {
  const command = program
    .command('claims')
    .description("the feature_flags claim an organization's access token would carry, with its size")
    .option('--org <id>', 'organization id')
    .option(
      '--since <serial>',
      "whose claims changed since a bundle's serial, from git history (with one --env)",
    )
    .option(
      '--env <env>',
      'an environment; repeat for more (default: every environment of the policy)',
      collect,
      [],
    )
    .option('--json', 'machine-readable output');
  withRepo(command);
  withToday(command);
  command.action(async (options: ClaimsOptions) => {
    if (options.since !== undefined) {
      const { runClaimsSince } = await import('./claims-since.js');
      process.exitCode = await runClaimsSince({ ...options, since: options.since });
      return;
    }
    process.exitCode = await runClaims(options);
  });
}

/** Commander collector for repeatable options. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export interface LoadedFlags {
  repo: Repository;
  /** With the grants of the organizations' subscriptions added (as the bundle compiles them). */
  flags: { file: string; flag: Flag }[];
  /** Where each grant from a subscription comes from, by flag, environment and organization. */
  sources: GrantSources;
}

/** Loads the repository for a read-only command; files that do not load are left out, with a note. */
export async function loadFlags(root: string, label = 'reading flags'): Promise<LoadedFlags> {
  const progress = createProgress(label);
  const repo = await loadRepository(root, { onProgress: progress.update });
  progress.done();
  const flags = validFlags(repo);
  const broken = repo.files.length - flags.length;
  if (!repo.policyOk)
    process.stderr.write('note: the policy does not load, so its defaults apply; run flags check\n');
  if (broken > 0)
    process.stderr.write(
      `note: ${broken} flag file${broken === 1 ? '' : 's'} do${broken === 1 ? 'es' : ''} not load and ${broken === 1 ? 'is' : 'are'} left out; run flags check\n`,
    );
  if (!usesPlans(root, repo.policy)) return { repo, flags, sources: new Map() };
  const { readOrganizations, flagsWithPlans } = await import('../adapters/organizations.js');
  const { planGrants } = await import('../core/reconcile/expand.js');
  const organizations = readOrganizations(root, repo.policy.limits.maxFileBytes);
  const sources = new Map<string, { plans: string[]; file: string }>();
  const byKey = new Map(flags.map((f) => [f.flag.key, f.flag]));
  for (const g of planGrants(repo.policy, organizations.files, byKey))
    sources.set(grantSourceKey(g.key, g.env, g.org), { plans: g.plans, file: g.file });
  return { repo, flags: flagsWithPlans(root, repo.policy, flags), sources };
}

export function environmentsFrom(
  requested: readonly string[] | undefined,
  declared: readonly string[],
): string[] {
  if (!requested || requested.length === 0) return [...declared];
  for (const env of requested)
    if (!declared.includes(env))
      throw new UsageError(`unknown environment "${env}"`, `the policy declares ${declared.join(', ')}`);
  return [...requested];
}

export async function runClaims(options: ClaimsOptions): Promise<number> {
  const root = resolveFlagsRoot(options.repo);
  const today = resolveToday(options.today);
  const organization = options.org ?? '';
  if (organization === '')
    throw new UsageError(
      '--org needs an organization id',
      'e.g. --org org_globex7731 (or --since <serial> --env <env> for whose claims changed)',
    );
  const { repo, flags, sources } = await loadFlags(root);
  const environments = environmentsFrom(options.env, repo.policy.environments);
  const basis = (env: string, key: string) => basisOf(flags, sources, key, env, organization);
  const budget = repo.policy.limits.maxClaimBytes;
  const claims: Claim[] = environments.map((env) =>
    claimOf(evaluatorFor(flags, repo.policy, env, today), organization),
  );
  const known = flags.some(({ flag }) =>
    Object.values(flag.environments).some((e) => (e.grants ?? []).some((g) => g.org === organization)),
  );
  const over = claims.filter((c) => c.bytes > budget);
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          organization,
          today,
          budget,
          granted: known,
          claims: claims.map((c) => ({
            environment: c.environment,
            feature_flags: c.keys,
            because: Object.fromEntries(c.keys.map((k) => [k, basis(c.environment, k)])),
            bytes: c.bytes,
            overBudget: c.bytes > budget,
          })),
        },
        null,
        2,
      )}\n`,
    );
    return over.length > 0 ? 1 : 0;
  }
  const out: string[] = [`feature_flags claim of ${organization} on ${today} (budget ${budget} bytes)`];
  if (!known)
    out.push(
      `note: ${organization} has no grant in any flag; it gets what every organization gets, plus the rollouts its id falls into`,
    );
  let idPattern: RegExp | undefined;
  try {
    idPattern = new RegExp(repo.policy.organizations.idPattern);
  } catch {
    idPattern = undefined;
  }
  if (idPattern && !idPattern.test(organization))
    out.push(
      `note: "${organization}" does not match the policy's organization id pattern ${repo.policy.organizations.idPattern}`,
    );
  const width = Math.max(...environments.map((e) => e.length));
  for (const claim of claims) {
    const share = Math.round((claim.bytes / budget) * 100);
    out.push(
      '',
      `${claim.environment.padEnd(width)}  ${claim.keys.length} flag${claim.keys.length === 1 ? '' : 's'}, ${claim.bytes} bytes (${share}% of the budget)${claim.bytes > budget ? '  OVER BUDGET' : ''}`,
      `${' '.repeat(width)}  ${JSON.stringify(claim.keys)}`,
      ...claim.keys.map((k) => `${' '.repeat(width)}    ${k}: ${describeBasis(basis(claim.environment, k))}`),
    );
  }
  if (over.length > 0)
    out.push(
      '',
      `error: the claim is over the budget of ${budget} bytes in ${over.map((c) => c.environment).join(', ')}; retire flags it no longer needs, or raise limits.maxClaimBytes`,
    );
  process.stdout.write(`${out.join('\n')}\n`);
  return over.length > 0 ? 1 : 0;
}

/** Why an organization's claim holds a flag: its grant (agreement and plan), or everyone's answer. */
export interface ClaimBasis {
  granted: boolean;
  agreement?: string;
  plans?: string[];
  file?: string;
}

function basisOf(
  flags: readonly { file: string; flag: Flag }[],
  sources: GrantSources,
  key: string,
  env: string,
  organization: string,
): ClaimBasis {
  const found = flags.find((f) => f.flag.key === key);
  const grant = found?.flag.environments[env]?.grants?.find((g) => g.org === organization);
  if (!found || !grant) return { granted: false };
  const source = sources.get(grantSourceKey(key, env, organization));
  const basis: ClaimBasis = { granted: true, file: source?.file ?? found.file };
  const agreement = agreementLabel(grant);
  if (agreement !== undefined) basis.agreement = agreement;
  if (source) basis.plans = source.plans;
  return basis;
}

const describeBasis = (b: ClaimBasis): string =>
  b.granted
    ? `granted${b.agreement ? ` under ${b.agreement}` : ''}${b.plans ? ` (plan ${b.plans.join(' + ')})` : ''}, ${b.file}`
    : 'on for every organization (default or rollout)';
