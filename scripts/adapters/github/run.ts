import type { AliasForm } from '../../core/refs/aliases.js';
import type { ExistingPullRequest, PlanInput, RetirePlan } from '../../core/retire/model.js';
import { planRetirement } from '../../core/retire/plan.js';
import type { GitHubClient } from './client.js';
import { parseMarker } from '../../core/retire/marker.js';
import { closedWithItsBranch, listClosedPullsOfBranch, listOpenBotPulls, type RepoRef } from './pulls.js';

/**
 * Plans against GitHub's state: every open bot pull request, plus the closed ones of the branches
 * the plan would open (to honour snoozes, asking GitHub's issue events whether a person closed the
 * latest one or GitHub did when its branch was deleted). Closed history is looked up lazily, only for the few
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
      const closed = (await listClosedPullsOfBranch(client, repo, pull.branch)).filter(
        (p) => !known.has(p.number),
      );
      // The planner judges the latest close of the branch; ask how it happened only when it would snooze.
      const latest = closed.sort((a, b) => b.number - a.number)[0];
      const marker = latest && !latest.merged ? parseMarker(latest.body) : undefined;
      if (latest && marker && !marker.closed)
        latest.closedWithBranch = await closedWithItsBranch(client, repo, latest.number);
      pulls.push(...closed);
    }
  }
}
