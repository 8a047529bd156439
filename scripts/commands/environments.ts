import type { Command } from 'commander';
import { readPolicyFile } from '../adapters/trusted-files.js';
import { FlagsError } from '../errors.js';
import { resolveFlagsRoot, withRepo } from './common.js';

/**
 * `flags environments`: the environments the policy declares, in its order. The policy is the one
 * list of them; CI takes its build matrix from here (`--json` is one line, for `$GITHUB_OUTPUT` and
 * `fromJSON`) instead of keeping a copy that drifts.
 */

interface EnvironmentsOptions {
  repo: string;
  json?: boolean;
}

export function registerEnvironments(program: Command): void {
  const command = program
    .command('environments')
    .description('the environments the policy declares, in its order (for CI matrices)')
    .option('--json', 'a JSON array on one line');
  withRepo(command);
  command.action((options: EnvironmentsOptions) => {
    process.exitCode = runEnvironments(options);
  });
}

export function runEnvironments(options: EnvironmentsOptions): number {
  const root = resolveFlagsRoot(options.repo);
  const { policy, findings } = readPolicyFile(root);
  const errors = findings.filter((f) => f.severity === 'error');
  const first = errors[0];
  if (first)
    throw new FlagsError(
      `the policy has ${errors.length === 1 ? 'an error' : `${errors.length} errors`}, so its environments are not known: ${first.message}`,
      {
        location: { file: first.file, line: first.line, col: first.col },
        hint: first.hint ?? 'flags check lists every problem',
      },
    );
  process.stdout.write(
    options.json ? `${JSON.stringify(policy.environments)}\n` : `${policy.environments.join('\n')}\n`,
  );
  return 0;
}
