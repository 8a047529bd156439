import { EditError } from '../../core/edit/verify.js';
import type { AliasForm } from '../../core/refs/aliases.js';
import { desiredContent } from '../../core/retire/content.js';
import type {
  ExistingPullRequest,
  PlanInput,
  PlannedPullRequest,
  RetirePlan,
} from '../../core/retire/model.js';
import { type BodyOptions, pullRequestBody } from '../../core/retire/render.js';
import { FlagsError } from '../../errors.js';
import type { BotPlan, BotPull } from './apply.js';
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

/** The retirement plan as the pull requests the bot machinery (applyPlan) carries out. */
export function retirementPulls(plan: RetirePlan, bodyOptions: BodyOptions): BotPlan {
  const asPull = (pull: PlannedPullRequest): BotPull => ({
    key: pull.key,
    branch: pull.branch,
    title: pull.title,
    body: pull.body,
    foreignBody: pullRequestBody(pull.item, { ...bodyOptions, foreignCommits: true }),
    commitMessage: pull.commitMessage,
    labels: pull.labels,
    reviewers: pull.reviewers,
    files: async (read) => {
      const text = await read(pull.file);
      if (text === undefined) throw new FlagsError(`${pull.file} is not in the base commit`);
      try {
        return new Map([[pull.file, desiredContent(text, pull.item.change)]]);
      } catch (error) {
        if (error instanceof EditError) throw new EditError(`${pull.file}: ${error.message}`);
        throw error;
      }
    },
  });
  return {
    open: plan.open.map(asPull),
    update: plan.update.map((u) => ({ pull: asPull(u.pull), existing: u.existing })),
    close: plan.close,
  };
}
