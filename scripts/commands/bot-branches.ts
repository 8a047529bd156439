import { BotBranches, DEFAULT_BOT_IDENTITY, parseIdentity } from '../adapters/git-branch.js';
import { ensureRepository } from '../adapters/git.js';
import { FLAGS_DIR } from '../adapters/repo-files.js';
import { UsageError } from '../errors.js';

/**
 * The bot's branches for `flags retire` and `flags reconcile`: its identity (--author, else
 * FLAGS_BOT_AUTHOR, else the default), a repository whose flags/ has no uncommitted changes (the
 * bot plans from the files and commits on top of HEAD), and the base branch its pull requests target.
 */
export async function openBotBranches(
  root: string,
  options: { author?: string; remote?: string; base?: string },
  env: NodeJS.ProcessEnv,
  prefix?: string,
): Promise<{ branches: BotBranches; base: string }> {
  const identityText = options.author ?? (env.FLAGS_BOT_AUTHOR || undefined);
  const identity = identityText ? parseIdentity(identityText) : DEFAULT_BOT_IDENTITY;
  if (!identity) throw new UsageError(`"${identityText}" is not an identity`, 'write it as "Name <email>"');
  // An undefined prefix takes BotBranches' default: retire's branches.
  const branches = new BotBranches(root, identity, options.remote ?? 'origin', prefix);
  await ensureRepository(branches.git, root);
  if (!(await branches.isClean(FLAGS_DIR)))
    throw new UsageError(
      `${FLAGS_DIR}/ has uncommitted changes`,
      'commit or stash them: the bot plans from the files and commits on top of HEAD',
    );
  const base = options.base ?? (await branches.currentBranch());
  if (!base)
    throw new UsageError(
      'HEAD is detached, so the base branch is unknown',
      'pass --base <branch>, e.g. --base main',
    );
  return { branches, base };
}
