import type { ExistingPullRequest, Reviewers } from '../../core/retire/model.js';
import { BRANCH_PREFIX } from '../../core/retire/render.js';
import type { GitHubClient } from './client.js';
import { GitHubAPIError, github } from './errors.js';

/**
 * The few GitHub REST calls the retirement bot makes, each wrapped so that its failure is a
 * GitHubAPIError. The client comes in as a parameter.
 */

export interface RepoRef {
  owner: string;
  repo: string;
}

interface PullLike {
  number: number;
  state: string;
  merged_at?: string | null;
  title: string;
  body?: string | null;
  html_url?: string;
  head: { ref: string; repo?: { full_name?: string } | null };
  labels?: ({ name?: string } | string)[];
  requested_reviewers?: ({ login?: string } | null)[] | null;
  requested_teams?: ({ slug?: string } | null)[] | null;
}

export function toExisting(pull: PullLike): ExistingPullRequest {
  return {
    number: pull.number,
    state: pull.state === 'open' ? 'open' : 'closed',
    merged: Boolean(pull.merged_at),
    branch: pull.head.ref,
    title: pull.title,
    body: pull.body ?? '',
    labels: (pull.labels ?? []).map((l) => (typeof l === 'string' ? l : (l.name ?? ''))).filter(Boolean),
    requestedUsers: (pull.requested_reviewers ?? []).flatMap((u) => (u?.login ? [u.login] : [])),
    requestedTeams: (pull.requested_teams ?? []).flatMap((t) => (t?.slug ? [t.slug] : [])),
    ...(pull.html_url ? { url: pull.html_url } : {}),
  };
}

/** Pull requests from forks can name a branch like ours; only the repository's own branches count. */
const ours =
  (repo: RepoRef, prefix = BRANCH_PREFIX) =>
  (pull: PullLike) =>
    pull.head.ref.startsWith(prefix) &&
    (pull.head.repo?.full_name ?? '').toLowerCase() === `${repo.owner}/${repo.repo}`.toLowerCase();

/** The open pull requests of the bot's branches (`prefix`: the retirement bot's by default). */
export function listOpenBotPulls(
  client: GitHubClient,
  repo: RepoRef,
  prefix = BRANCH_PREFIX,
): Promise<ExistingPullRequest[]> {
  return github('GET /repos/{owner}/{repo}/pulls', async () => {
    const pulls = await client.paginate(client.rest.pulls.list, { ...repo, state: 'open', per_page: 100 });
    return pulls.filter(ours(repo, prefix)).map(toExisting);
  });
}

/** The most recent closed pull requests of one branch (enough to know whether it was snoozed). */
export function listClosedPullsOfBranch(
  client: GitHubClient,
  repo: RepoRef,
  branch: string,
): Promise<ExistingPullRequest[]> {
  return github('GET /repos/{owner}/{repo}/pulls', async () => {
    const { data } = await client.rest.pulls.list({
      ...repo,
      state: 'closed',
      head: `${repo.owner}:${branch}`,
      per_page: 10,
    });
    return data.filter(ours(repo, branch)).map(toExisting);
  });
}

export function findOpenPullOfBranch(
  client: GitHubClient,
  repo: RepoRef,
  branch: string,
): Promise<ExistingPullRequest | undefined> {
  return github('GET /repos/{owner}/{repo}/pulls', async () => {
    const { data } = await client.rest.pulls.list({
      ...repo,
      state: 'open',
      head: `${repo.owner}:${branch}`,
      per_page: 10,
    });
    const found = data.filter(ours(repo, branch)).map(toExisting);
    return found.sort((a, b) => a.number - b.number)[0];
  });
}

export function getPull(client: GitHubClient, repo: RepoRef, number: number): Promise<ExistingPullRequest> {
  return github('GET /repos/{owner}/{repo}/pulls/{pull_number}', async () => {
    const { data } = await client.rest.pulls.get({ ...repo, pull_number: number });
    return toExisting(data);
  });
}

export function createPull(
  client: GitHubClient,
  repo: RepoRef,
  pull: { title: string; body: string; head: string; base: string },
): Promise<ExistingPullRequest> {
  return github('POST /repos/{owner}/{repo}/pulls', async () => {
    const { data } = await client.rest.pulls.create({ ...repo, ...pull, maintainer_can_modify: true });
    return toExisting(data);
  });
}

export function updatePull(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  changes: { title?: string; body?: string; state?: 'closed' },
): Promise<void> {
  return github('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', async () => {
    await client.rest.pulls.update({ ...repo, pull_number: number, ...changes });
  });
}

export function addLabels(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  labels: string[],
): Promise<void> {
  return github('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', async () => {
    await client.rest.issues.addLabels({ ...repo, issue_number: number, labels });
  });
}

/**
 * Asks for review. GitHub refuses (422) reviewers who are not collaborators, teams without access, or
 * the author; the pull request stands anyway, so that refusal is returned, not thrown.
 */
export async function requestReviewers(
  client: GitHubClient,
  repo: RepoRef,
  number: number,
  reviewers: Reviewers,
): Promise<GitHubAPIError | undefined> {
  try {
    await github('POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', async () => {
      await client.rest.pulls.requestReviewers({
        ...repo,
        pull_number: number,
        ...(reviewers.users.length > 0 ? { reviewers: reviewers.users } : {}),
        ...(reviewers.teams.length > 0 ? { team_reviewers: reviewers.teams } : {}),
      });
    });
    return undefined;
  } catch (error) {
    if (error instanceof GitHubAPIError && error.status === 422) return error;
    throw error;
  }
}

export function hasReviews(client: GitHubClient, repo: RepoRef, number: number): Promise<boolean> {
  return github('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', async () => {
    const { data } = await client.rest.pulls.listReviews({ ...repo, pull_number: number, per_page: 1 });
    return data.length > 0;
  });
}

export function listCommentBodies(client: GitHubClient, repo: RepoRef, number: number): Promise<string[]> {
  return github('GET /repos/{owner}/{repo}/issues/{issue_number}/comments', async () => {
    const comments = await client.paginate(client.rest.issues.listComments, {
      ...repo,
      issue_number: number,
      per_page: 100,
    });
    return comments.map((c) => c.body ?? '');
  });
}

export function comment(client: GitHubClient, repo: RepoRef, number: number, body: string): Promise<void> {
  return github('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', async () => {
    await client.rest.issues.createComment({ ...repo, issue_number: number, body });
  });
}

/**
 * Whether GitHub closed the pull request because its head branch was deleted, rather than a person
 * closing it: its issue events show the branch deleted no later than the (last) close. A person who
 * closes and then deletes the branch leaves head_ref_deleted after the close, and that close stands.
 */
export function closedWithItsBranch(client: GitHubClient, repo: RepoRef, number: number): Promise<boolean> {
  return github('GET /repos/{owner}/{repo}/issues/{issue_number}/events', async () => {
    const events = await client.paginate(client.rest.issues.listEvents, {
      ...repo,
      issue_number: number,
      per_page: 100,
    });
    // By time, not by list order: GitHub records the deletion and the close it causes in the same
    // second, in either order.
    const last = (name: string, until = '\uffff') =>
      events
        .filter((e) => e.event === name && e.created_at <= until)
        .reduce<string | undefined>(
          (at, e) => (at === undefined || e.created_at > at ? e.created_at : at),
          undefined,
        );
    const closedAt = last('closed');
    if (closedAt === undefined) return false;
    const deletedAt = last('head_ref_deleted', closedAt);
    const restoredAt = last('head_ref_restored', closedAt);
    const closedWithBranch = deletedAt !== undefined && (restoredAt === undefined || restoredAt < deletedAt);
    return closedWithBranch;
  });
}
