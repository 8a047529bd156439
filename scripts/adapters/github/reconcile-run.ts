import { eventEdits, filesOf } from '../../core/reconcile/apply.js';
import {
  type ReconcilePull,
  type ReconcilePullInput,
  type ReconcilePullPlan,
  planReconcilePulls,
  RECONCILE_PREFIX,
  reconcileBranch,
} from '../../core/reconcile/pulls.js';
import type { ExistingPullRequest } from '../../core/retire/model.js';
import { parseMarker } from '../../core/retire/marker.js';
import type { BotPlan, BotPull } from './apply.js';
import type { GitHubClient } from './client.js';
import {
  closedWithItsBranch,
  findOpenPullOfBranch,
  listClosedPullsOfBranch,
  listOpenBotPulls,
  type RepoRef,
} from './pulls.js';

/**
 * Plans the reconciliation's pull requests against GitHub's state, as planWithGitHub does for
 * retirement. A run for one organization (`only`) looks up that organization's branch alone, so it
 * reads (and can touch) no other organization's pull request, in one request; a full run lists the
 * open reconcile pull requests. Closed history is looked up only for the pull requests the plan
 * would open. Reads only; applyPlan writes.
 */
export async function reconcilePullsWithGitHub(
  input: Omit<ReconcilePullInput, 'pulls' | 'historyFor'>,
  client: GitHubClient,
  repo: RepoRef,
  only?: string,
): Promise<ReconcilePullPlan> {
  const pulls: ExistingPullRequest[] =
    only === undefined
      ? await listOpenBotPulls(client, repo, RECONCILE_PREFIX)
      : [await findOpenPullOfBranch(client, repo, reconcileBranch(only))].filter(
          (p): p is ExistingPullRequest => p !== undefined,
        );
  const history = new Set<string>();
  for (;;) {
    const plan = planReconcilePulls({ ...input, pulls, historyFor: history, repositoryOwner: repo.owner });
    const unchecked = plan.open.filter((p) => !p.historyChecked);
    if (unchecked.length === 0) return plan;
    for (const pull of unchecked) {
      history.add(pull.organization);
      const known = new Set(pulls.map((p) => p.number));
      const closed = (await listClosedPullsOfBranch(client, repo, pull.branch)).filter(
        (p) => !known.has(p.number),
      );
      const latest = closed.sort((a, b) => b.number - a.number)[0];
      const marker = latest && !latest.merged ? parseMarker(latest.body) : undefined;
      if (latest && marker && !marker.closed && marker.snooze === pull.event.facts)
        latest.closedWithBranch = await closedWithItsBranch(client, repo, latest.number);
      pulls.push(...closed);
    }
  }
}

/** The reconciliation's pull requests as the bot machinery (applyPlan) carries them out. */
export function reconcileBotPlan(plan: ReconcilePullPlan): BotPlan {
  const asPull = (pull: ReconcilePull): BotPull => ({
    key: pull.organization,
    branch: pull.branch,
    title: pull.title,
    body: pull.body,
    foreignBody: pull.foreignBody,
    commitMessage: pull.commitMessage,
    labels: pull.labels,
    reviewers: pull.reviewers,
    files: async (read) => {
      const texts = new Map<string, string | undefined>();
      for (const file of filesOf(pull.event)) texts.set(file, await read(file));
      const edits = eventEdits(pull.event, (file) => texts.get(file));
      return new Map(edits.map((e) => [e.file, e.text ?? null]));
    },
  });
  return {
    open: plan.open.map(asPull),
    update: plan.update.map((u) => ({ pull: asPull(u.pull), existing: u.existing })),
    close: plan.close,
  };
}
