import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { isValidDate, type IsoDate, todayUtc } from '../core/dates.js';
import { UsageError } from '../errors.js';

/** Options and helpers shared by the commands. */

export interface RepoOptions {
  repo: string;
}

export interface TodayOptions {
  today?: string;
}

export const withRepo = (command: Command): Command =>
  command.option('-C, --repo <dir>', 'root of the flags repository', process.env.FLAGS_REPO ?? '.');

export const withToday = (command: Command): Command =>
  command.addOption(
    new Option('--today <date>', "today's date, YYYY-MM-DD (default: $FLAGS_TODAY, else the UTC date)"),
  );

/** Time is an input: tests and reproducible runs pin it; everyone else gets the UTC date. */
export function resolveToday(option: string | undefined, env = process.env, now = new Date()): IsoDate {
  const value = option ?? env.FLAGS_TODAY;
  if (value === undefined || value === '') return todayUtc(now);
  if (!isValidDate(value)) {
    throw new UsageError(
      `"${value}" is not a date`,
      `give --today or FLAGS_TODAY as YYYY-MM-DD, e.g. ${todayUtc(now)}`,
    );
  }
  return value;
}

/** The root of a repository that holds flags: run in the wrong folder, a check must not pass on nothing. */
export function resolveFlagsRoot(repo: string): string {
  const root = resolveRoot(repo);
  if (!existsSync(join(root, 'flags'))) {
    throw new UsageError(
      `${root} has no flags/ folder`,
      'run the command at the root of the flags repository, or pass --repo <dir>',
    );
  }
  return root;
}

export function resolveRoot(repo: string): string {
  const root = resolve(repo);
  if (!existsSync(root))
    throw new UsageError(
      `repository folder ${root} does not exist`,
      'pass --repo <dir> pointing at the repository root',
    );
  return root;
}

export const readText = (root: string) => (file: string) => {
  try {
    return readFileSync(join(root, file), 'utf8');
  } catch {
    return undefined;
  }
};

export function parseFormat<T extends string>(value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`unknown format "${value}"`, `use one of ${allowed.join(', ')}`);
}

export const inGithubActions = (env = process.env): boolean => env.GITHUB_ACTIONS === 'true';
