import type { ExistingPullRequest, Reviewers } from '../../core/retire/model.js';
import type { GitHubClient } from './client.js';
import type { GitHubAPIError } from './errors.js';
import {
  addLabels,
  comment,
  createPull,
  findOpenPullOfBranch,
  getPull,
  listCommentBodies,
  type RepoRef,
  requestReviewers,
  updatePull,
} from './pulls.js';
import { ensureWrite, type Written } from './write.js';

/**
 * The writes a bot makes to a pull request, each one check-then-act through ensureWrite: it says
 * what "already done" looks like on GitHub, so a rerun after any lost answer writes nothing twice.
 * They know nothing of why the bot writes (retirement, reconciliation).
 */

/** The open pull request of `head`, opened when there is none. `known`: the caller saw none open. */
export function ensureOpenPull(
  client: GitHubClient,
  repo: RepoRef,
  pull: { title: string; body: string; head: string; base: string },
  known?: { value: undefined },
): Promise<Written<ExistingPullRequest>> {
  return ensureWrite(
    client,
    {
      what: `a pull request of ${pull.head}`,
      done: () => findOpenPullOfBranch(client, repo, pull.head),
      act: () => createPull(client, repo, pull),
    },
    known,
  );
}

/** Adds the labels the pull request lacks; whether it wrote. */
export async function ensureLabels(
  client: GitHubClient,
  repo: RepoRef,
  pull: ExistingPullRequest,
  labels: readonly string[],
): Promise<boolean> {
  const hasAll = (have: readonly string[]) => labels.every((l) => have.includes(l));
  const { wrote } = await ensureWrite(
    client,
    {
      what: `labels of #${pull.number}`,
      done: async () => (hasAll((await getPull(client, repo, pull.number)).labels) ? true : undefined),
      act: async () => {
        await addLabels(
          client,
          repo,
          pull.number,
          labels.filter((l) => !pull.labels.includes(l)),
        );
        return true;
      },
    },
    { value: hasAll(pull.labels) ? true : undefined },
  );
  return wrote;
}

const includesAll = (have: readonly string[], want: readonly string[]) =>
  want.every((w) => have.some((h) => h.toLowerCase() === w.toLowerCase()));

/**
 * Asks for review (the caller decided that it should). GitHub refuses (422) reviewers who are not
 * collaborators and the like; that refusal is returned, since the pull request stands anyway.
 */
export async function ensureReviewRequest(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  reviewers: Reviewers,
): Promise<{ wrote: boolean; refused?: GitHubAPIError }> {
  const { value, wrote } = await ensureWrite<{ refused?: GitHubAPIError }>(
    client,
    {
      what: `review request of #${number}`,
      done: async () => {
        const pull = await getPull(client, repo, number);
        return includesAll(pull.requestedUsers, reviewers.users) &&
          includesAll(pull.requestedTeams, reviewers.teams)
          ? {}
          : undefined;
      },
      act: async () => {
        const refused = await requestReviewers(client, repo, number, reviewers);
        return refused ? { refused } : {};
      },
    },
    { value: undefined },
  );
  return value.refused ? { wrote: false, refused: value.refused } : { wrote };
}

export interface PullFields {
  title?: string;
  body?: string;
  state?: 'closed';
}

// GitHub stores bodies with CRLF line ends when edited in the browser.
export const normalizeBody = (body: string): string => body.replace(/\r\n/g, '\n').trimEnd();

function differing(pull: ExistingPullRequest, want: PullFields): PullFields {
  const patch: PullFields = {};
  if (want.title !== undefined && pull.title !== want.title) patch.title = want.title;
  if (want.body !== undefined && normalizeBody(pull.body) !== normalizeBody(want.body))
    patch.body = want.body;
  if (want.state !== undefined && pull.state !== want.state) patch.state = want.state;
  return patch;
}

/** Patches title, body and state where they differ from `want`; the fields it changed. */
export async function ensurePullFields(
  client: GitHubClient,
  repo: RepoRef,
  pull: ExistingPullRequest,
  want: PullFields,
): Promise<(keyof PullFields)[]> {
  const patch = differing(pull, want);
  const changed = Object.keys(patch) as (keyof PullFields)[];
  if (changed.length === 0) return [];
  await ensureWrite(
    client,
    {
      what: `${changed.join(', ')} of #${pull.number}`,
      done: async () => {
        const now = await getPull(client, repo, pull.number);
        return Object.keys(differing(now, want)).length === 0 ? true : undefined;
      },
      act: async () => {
        await updatePull(client, repo, pull.number, patch);
        return true;
      },
    },
    { value: undefined },
  );
  return changed;
}

/**
 * Posts a comment once: `marker` (an HTML comment GitHub does not render) is appended to the body
 * and is how the comment is found again. Whether it wrote.
 */
export async function ensureComment(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  marker: string,
  body: string,
): Promise<boolean> {
  const { wrote } = await ensureWrite(client, {
    what: `a comment on #${number}`,
    done: async () =>
      (await listCommentBodies(client, repo, number)).some((c) => c.includes(marker)) ? true : undefined,
    act: async () => {
      await comment(client, repo, number, `${body}\n\n${marker}`);
      return true;
    },
  });
  return wrote;
}
