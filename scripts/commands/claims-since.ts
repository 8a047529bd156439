import { changedFlagFiles, commitOfSerial, headOf } from '../adapters/claim-history.js';
import { readPolicyFile } from '../adapters/trusted-files.js';
import { diffClaims, parseChangedFiles } from '../core/claims/changes.js';
import { startOfDayMs } from '../core/claims/claim.js';
import { POLICY_FILE } from '../core/check/analyze-policy.js';
import { InputError, UsageError } from '../errors.js';
import { resolveFlagsRoot, resolveToday } from './common.js';

/**
 * `flags claims --since <serial> --env <env>`: whose `feature_flags` claim the commits since a
 * bundle's serial changed, from git history. Serial N is the first-parent commit whose count is N
 * (as `flags build` numbers bundles); both sides are evaluated at the start of `today`, so only the
 * commits make a difference, never the clock.
 */

export interface ClaimsSinceOptions {
  repo: string;
  since: string;
  env?: string[];
  today?: string;
  json?: boolean;
}

export interface ClaimsSinceAnswer {
  since: number;
  serial: number;
  environment: string;
  organizations: { organization: string; added: string[]; removed: string[] }[];
  /** Flags whose change reaches organizations without a grant (switched, default or rollout). */
  everyone: string[];
}

export async function runClaimsSince(options: ClaimsSinceOptions): Promise<number> {
  const root = resolveFlagsRoot(options.repo);
  const today = resolveToday(options.today);
  const since = Number(options.since);
  if (!/^\d+$/.test(options.since) || !Number.isSafeInteger(since) || since < 1)
    throw new UsageError(
      `--since ${options.since} is not a serial`,
      'give the serial of a bundle, a whole number of at least 1 (flags verify shows it)',
    );
  const envs = options.env ?? [];
  if (envs.length !== 1)
    throw new UsageError('--since needs exactly one --env', 'e.g. flags claims --since 41 --env production');
  const environment = envs[0]!;
  const { policy, findings } = readPolicyFile(root);
  const error = findings.find((f) => f.severity === 'error');
  if (error)
    throw new InputError(`${POLICY_FILE} has errors: ${error.message}`, {
      location: { file: error.file, line: error.line, col: error.col },
      hint: error.hint ?? 'flags check lists every problem',
    });
  if (!policy.environments.includes(environment))
    throw new UsageError(
      `unknown environment "${environment}"`,
      `the policy declares ${policy.environments.join(', ')}`,
    );
  const head = await headOf(root);
  if (since > head.serial)
    throw new UsageError(
      `serial ${since} is in the future: HEAD is serial ${head.serial}`,
      'give the serial of a bundle built from this history, or fetch the newer commits (git pull)',
    );
  const answer: ClaimsSinceAnswer = {
    since,
    serial: head.serial,
    environment,
    organizations: [],
    everyone: [],
  };
  if (since < head.serial) {
    const base = await commitOfSerial(root, since, head.serial);
    const files = await changedFlagFiles(root, base, head.commit, Number.POSITIVE_INFINITY);
    const { flags, broken } = parseChangedFiles(files === 'everyone' ? [] : files, policy);
    if (broken.length > 0) {
      const { path, side } = broken[0]!;
      throw new InputError(
        `${path} does not load ${side === 'before' ? `at serial ${since}` : 'at HEAD'}, so its claims cannot be compared`,
        {
          location: { file: path },
          hint:
            side === 'before' ? 'give a serial whose flags passed flags check' : 'run flags check and fix it',
        },
      );
    }
    const diff = diffClaims(flags, environment, startOfDayMs(today));
    answer.everyone = diff.everyone;
    for (const [organization, delta] of diff.organizations)
      answer.organizations.push({ organization, ...delta });
  }
  process.stdout.write(options.json ? `${JSON.stringify(answer, null, 2)}\n` : renderText(answer, today));
  return 0;
}

function renderText(answer: ClaimsSinceAnswer, today: string): string {
  const out = [
    `feature_flags claims in ${answer.environment} changed since serial ${answer.since} (HEAD is serial ${answer.serial}), evaluated on ${today}`,
  ];
  if (answer.organizations.length === 0 && answer.everyone.length === 0) out.push('  no claim changed');
  for (const { organization, added, removed } of answer.organizations)
    out.push(
      `  ${organization}: ${[...added.map((k) => `+${k}`), ...removed.map((k) => `-${k}`)].join(' ')}`,
    );
  if (answer.everyone.length > 0)
    out.push(
      `  every organization may have changed: ${answer.everyone.join(', ')} (switched on or off, its default or its rollout changed); refresh every session`,
    );
  return `${out.join('\n')}\n`;
}
