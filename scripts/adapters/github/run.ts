import type { AliasForm } from '../../core/refs/aliases.js';
import type { ExistingPullRequest, PlanInput, RetirePlan } from '../../core/retire/model.js';
import { planRetirement } from '../../core/retire/plan.js';
import type { GitHubClient } from './client.js';
import { listClosedPullsOfBranch, listOpenBotPulls, type RepoRef } from './pulls.js';

/**
 * Plans against GitHub's state: every open bot pull request, plus the closed ones of the branches
 * the plan would open (to honour snoozes). Closed history is looked up lazily, only for the few
 * flags that would get a pull request this run, and the plan is redone until it is settled. Reads
 * only; `applyPlan` writes.
 */
export async function planWithGitHub(
  input: Omit<PlanInput, 'pulls' | 'historyFor'> & { aliases?: readonly AliasForm[] },
  client: GitHubClient,
  repo: RepoRef,
): Promise<RetirePlan> {
  const pulls: ExistingPullRequest[] = await listOpenBotPulls(client, repo);
  const history = new Set<string>();
  for (;;) {
    const plan = planRetirement({ ...input, pulls, historyFor: history, repositoryOwner: repo.owner });
    const unchecked = plan.open.filter((p) => !p.historyChecked);
    if (unchecked.length === 0) return plan;
    for (const pull of unchecked) {
      history.add(pull.key);
      const known = new Set(pulls.map((p) => p.number));
      for (const closed of await listClosedPullsOfBranch(client, repo, pull.branch))
        if (!known.has(closed.number)) pulls.push(closed);
    }
  }
}
