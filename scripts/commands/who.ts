import type { Command } from 'commander';
import { explainFor, type OrgAnswer, type WhoEnvironment, whoGets } from '../core/claims/who.js';
import { relativeDays } from '../core/report/format.js';
import type { JsonValue } from '../runtime/bundle-format.js';
import { UsageError } from '../errors.js';
import { collect, environmentsFrom, loadFlags } from './claims.js';
import { resolveFlagsRoot, resolveToday, withRepo, withToday } from './common.js';

interface WhoOptions {
  repo: string;
  today?: string;
  env: string[];
  org?: string;
  json?: boolean;
}

export function registerWho(program: Command): void {
  const command = program
    .command('who')
    .description('which organizations get a flag and why: grants and agreements, rollout, default')
    .argument('<key>', 'the flag key')
    .option(
      '--env <env>',
      'an environment; repeat for more (default: every environment of the policy)',
      collect,
      [],
    )
    .option('--org <id>', 'explain the answer for one organization')
    .option('--json', 'machine-readable output');
  withRepo(command);
  withToday(command);
  command.action(async (key: string, options: WhoOptions) => {
    process.exitCode = await runWho(key, options);
  });
}

const show = (value: JsonValue): string => (typeof value === 'string' ? value : JSON.stringify(value));
const served = (env: WhoEnvironment, pick: { variant: string; value: JsonValue }) =>
  env.boolean ? (pick.value === true ? 'on' : 'off') : `${pick.variant} = ${show(pick.value)}`;

export async function runWho(key: string, options: WhoOptions): Promise<number> {
  const root = resolveFlagsRoot(options.repo);
  const today = resolveToday(options.today);
  const { repo, flags, sources } = await loadFlags(root);
  const found = flags.find((f) => f.flag.key === key);
  if (!found) {
    const near = flags
      .map((f) => f.flag.key)
      .filter((k) => k.includes(key) || key.includes(k))
      .slice(0, 5);
    throw new UsageError(
      `no flag "${key}"`,
      near.length > 0 ? `did you mean ${near.join(', ')}?` : 'list the flags with flags report',
    );
  }
  const environments = environmentsFrom(options.env, repo.policy.environments);
  const answer = whoGets(found.file, found.flag, environments, today, sources);
  const explained: OrgAnswer[] = options.org
    ? answer.environments.map((env) =>
        explainFor(flags, repo.policy, key, options.org!, env.environment, today, env),
      )
    : [];
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ today, ...answer, ...(options.org ? { organization: explained } : {}) }, null, 2)}\n`,
    );
    return 0;
  }
  const out: string[] = [
    `${answer.key} (${answer.type}, owner ${answer.owner}${answer.contract ? `, contract ${answer.contract}` : ''}) on ${today}`,
    `  ${answer.file}`,
  ];
  for (const env of answer.environments) {
    out.push('');
    if (!env.configured) {
      out.push(`${env.environment}: not configured: every organization gets ${served(env, env.off)}`);
      continue;
    }
    if (!env.enabled) {
      out.push(`${env.environment}: disabled: every organization gets ${served(env, env.off)}`);
      continue;
    }
    out.push(`${env.environment}:`);
    const applying = env.grants.filter((g) => g.applies);
    out.push(env.grants.length === 0 ? '  granted: none' : `  granted (${applying.length}):`);
    const rows = env.grants.map((g) => [
      g.organization,
      served(env, g),
      `${g.agreement ? `agreement ${g.agreement}` : g.ticket ? `ticket ${g.ticket}` : 'no agreement'}${g.plans ? ` (plan ${g.plans.join(' + ')})` : ''}`,
      `${
        g.expires
          ? g.applies
            ? `until ${g.expires} (${relativeDays(g.daysLeft ?? 0)})`
            : `EXPIRED ${g.expires}, not applied`
          : 'no end date'
      }${g.note ? `  (${g.note})` : ''}`,
    ]);
    const widths = [0, 1, 2].map((i) => Math.max(0, ...rows.map((r) => r[i]!.length)));
    for (const r of rows)
      out.push(
        `    ${r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ')}`.replace(
          /[\u0000-\u001f\u007f-\u009f]/g,
          '?',
        ),
      );
    if (env.rollout)
      out.push(
        `  rollout: ${env.rollout.percentage}% of the other organizations get ${served(env, env.rollout)} (bucketed by flag key and organization id, as flagd's fractional)`,
      );
    out.push(`  everyone else: ${served(env, env.fallback)} (default)`);
  }
  if (options.org) {
    out.push('', `${options.org}:`);
    for (const a of explained) {
      const env = answer.environments.find((e) => e.environment === a.environment)!;
      out.push(
        `  ${a.environment}: ${served(env, { variant: a.variant ?? '', value: a.value })}, because ${a.because} (${a.reason})`,
      );
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
