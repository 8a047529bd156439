import { EditError } from '../../core/edit/verify.js';
import type { ExistingPullRequest, Reviewers } from '../../core/retire/model.js';
import { FlagsError } from '../../errors.js';
import type { BotBranches } from '../git-branch.js';
import type { GitHubClient } from './client.js';
import { GitHubAPIError } from './errors.js';
import {
  ensureComment,
  ensureLabels,
  ensureOpenPull,
  ensurePullFields,
  ensureReviewRequest,
} from './pull-writes.js';
import { findOpenPullOfBranch, hasReviews, type RepoRef } from './pulls.js';

/**
 * Carries out a bot's plan (retirement or reconciliation): branches with git, pull requests with GitHub. Every step first
 * looks at what is there and writes only what differs, so a rerun writes nothing, a run that
 * stopped halfway is completed by the next one, and a write whose answer was lost is looked up
 * before it is tried again, never repeated blindly (pull-writes.ts):
 * - a branch is pushed only when its flag file differs from what the plan wants, and never when it
 *   holds commits by someone else (--force-with-lease guards the moment between look and push);
 * - "A pull request already exists" (a concurrent run, or a list GitHub had not caught up with) is
 *   taken as "find it and update it";
 * - labels and review requests missing after an interrupted run are added on the next.
 */

export interface ApplyContext {
  client: GitHubClient;
  repo: RepoRef;
  /** The branch pull requests go into. */
  base: string;
  branches: BotBranches;
  /** Reads a file's text at the base commit. */
  readFile: (file: string) => Promise<string | undefined>;
  log?: (message: string) => void;
}

/** One pull request as a bot wants it, whatever the bot (retire, reconcile) wants it for. */
export interface BotPull {
  key: string;
  branch: string;
  title: string;
  body: string;
  /** The body when the branch holds commits by others (it says so). */
  foreignBody: string;
  commitMessage: string;
  labels: readonly string[];
  reviewers: Reviewers;
  /**
   * The files the branch changes, as the pull request wants them (null: deleted), from their
   * texts at the base commit. An EditError fails this pull request only.
   */
  files: (read: (file: string) => Promise<string | undefined>) => Promise<Map<string, string | null>>;
}

export interface BotClose {
  key: string;
  existing: ExistingPullRequest;
  reason: string;
  comment: string;
  /** The body with the marker saying the bot closed it, so the close is never taken for a snooze. */
  body: string;
}

export interface BotPlan {
  open: readonly BotPull[];
  update: readonly { pull: BotPull; existing: ExistingPullRequest }[];
  close: readonly BotClose[];
}

export type BranchState = 'pushed' | 'up-to-date' | 'foreign';

export type ItemResult =
  | { key: string; action: 'opened'; number: number; url?: string; branch: BranchState; notes: string[] }
  | { key: string; action: 'updated'; number: number; changes: string[]; notes: string[] }
  | { key: string; action: 'unchanged'; number: number; notes: string[] }
  | { key: string; action: 'closed'; number: number; reason: string }
  | { key: string; action: 'blocked'; reason: string }
  | { key: string; action: 'failed'; message: string };

export interface ApplyReport {
  results: ItemResult[];
  writes: number;
  /** The error that stopped the run early (rate limit, GitHub down, no permission), if one did. */
  stopped?: FlagsError;
}

export async function applyPlan(plan: BotPlan, ctx: ApplyContext): Promise<ApplyReport> {
  const report: ApplyReport = { results: [], writes: 0 };
  const tips = await ctx.branches.fetchAll();
  const head = await ctx.branches.head();
  const bases = [
    head,
    ...((await ctx.branches.remoteTrackingRef(ctx.base))
      ? [`refs/remotes/${ctx.branches.remote}/${ctx.base}`]
      : []),
  ];
  const step = { ctx, report, tips, head, bases };
  const work: (() => Promise<ItemResult>)[] = [
    ...plan.close.map((c) => () => closePull(step, c)),
    ...plan.update.map((u) => () => updatePullRequest(step, u.pull, u.existing)),
    ...plan.open.map((p) => () => openPullRequest(step, p)),
  ];
  const keys = [
    ...plan.close.map((c) => c.key),
    ...plan.update.map((u) => u.pull.key),
    ...plan.open.map((p) => p.key),
  ];
  for (let i = 0; i < work.length; i++) {
    try {
      report.results.push(await work[i]!());
    } catch (error) {
      const failure = error instanceof FlagsError ? error : new FlagsError(String(error));
      report.results.push({ key: keys[i]!, action: 'failed', message: failure.message });
      // A refusal about one pull request, or a file the bot cannot edit safely, does not stop the
      // others; anything else (rate limits, GitHub down, no permission, git failing) would fail them too.
      const itemOnly =
        (error instanceof GitHubAPIError && error.status === 422) || error instanceof EditError;
      if (!itemOnly) {
        report.stopped = failure;
        break;
      }
    }
  }
  return report;
}

interface Step {
  ctx: ApplyContext;
  report: ApplyReport;
  tips: Map<string, string>;
  head: string;
  bases: string[];
}

/** Makes the bot branch hold the planned change, unless a person has commits on it. */
async function syncBranch(step: Step, pull: BotPull): Promise<BranchState> {
  const { ctx } = step;
  const desired = await pull.files(ctx.readFile);
  let tip = step.tips.get(pull.branch);
  for (let attempt = 0; attempt < 4; attempt++) {
    if (tip !== undefined) {
      if ((await ctx.branches.foreignCommits(tip, step.bases)).length > 0) return 'foreign';
      if (tip !== step.head && (await branchHolds(step, tip, desired))) return 'up-to-date';
    }
    const commit = await ctx.branches.commitFiles(step.head, desired, pull.commitMessage);
    const pushed = await ctx.branches.push(commit, pull.branch, tip);
    if (pushed === 'pushed') {
      step.report.writes++;
      step.tips.set(pull.branch, commit);
      return 'pushed';
    }
    // Someone moved the branch between our look and our push: look again.
    tip = await ctx.branches.fetchOne(pull.branch);
    if (tip === undefined) step.tips.delete(pull.branch);
    else step.tips.set(pull.branch, tip);
  }
  throw new FlagsError(`${pull.branch} keeps moving; leaving it for the next run`);
}

/** Whether the branch's tip holds every file as desired, on a base where those files are unchanged. */
async function branchHolds(
  step: Step,
  tip: string,
  desired: ReadonlyMap<string, string | null>,
): Promise<boolean> {
  for (const [file, text] of desired) {
    if (((await step.ctx.branches.fileAt(tip, file)) ?? null) !== text) return false;
    if (!(await baseUnchanged(step, tip, file))) return false;
  }
  return true;
}

/**
 * Whether the file is the same on the base as where the branch forked: otherwise the branch is
 * redone on the new base even when its own content is right, or a deletion would conflict with an
 * edit made on the base since.
 */
async function baseUnchanged(step: Step, tip: string, file: string): Promise<boolean> {
  const fork = await step.ctx.branches.mergeBase(tip, step.head);
  if (!fork) return false;
  if (fork === step.head) return true;
  return (await step.ctx.branches.fileAt(fork, file)) === (await step.ctx.branches.fileAt(step.head, file));
}

async function openPullRequest(step: Step, pull: BotPull): Promise<ItemResult> {
  const { ctx, report } = step;
  const branch = await syncBranch(step, pull);
  if (branch === 'foreign')
    return {
      key: pull.key,
      action: 'blocked',
      reason: `${pull.branch} has commits by others and no open pull request; delete the branch to let the bot start over`,
    };
  let created: ExistingPullRequest;
  try {
    const opened = await ensureOpenPull(
      ctx.client,
      ctx.repo,
      { title: pull.title, body: pull.body, head: pull.branch, base: ctx.base },
      { value: undefined },
    );
    created = opened.value;
    if (opened.wrote) report.writes++;
  } catch (error) {
    if (!(error instanceof GitHubAPIError && error.isPullRequestExists)) throw error;
    // Another run (or a list that lagged) opened it first: update that one instead.
    const existing = await findOpenPullOfBranch(ctx.client, ctx.repo, pull.branch);
    if (!existing) throw error;
    return updatePullRequest(step, pull, existing, true);
  }
  const notes: string[] = [];
  if (await ensureLabels(ctx.client, ctx.repo, created, pull.labels)) report.writes++;
  notes.push(...(await askForReview(step, pull, created, true)));
  return {
    key: pull.key,
    action: 'opened',
    number: created.number,
    ...(created.url ? { url: created.url } : {}),
    branch,
    notes,
  };
}

async function updatePullRequest(
  step: Step,
  pull: BotPull,
  existing: ExistingPullRequest,
  afterRace = false,
): Promise<ItemResult> {
  const { ctx, report } = step;
  const changes: string[] = [];
  const notes: string[] = [];
  const branch = await syncBranch(step, pull);
  if (branch === 'pushed') changes.push('branch');
  if (branch === 'foreign') notes.push('branch has commits by others; left as it is');
  const body = branch === 'foreign' ? pull.foreignBody : pull.body;
  const fields = await ensurePullFields(ctx.client, ctx.repo, existing, { title: pull.title, body });
  if (fields.length > 0) {
    report.writes++;
    changes.push(...fields);
  }
  if (await ensureLabels(ctx.client, ctx.repo, existing, pull.labels)) {
    report.writes++;
    changes.push('labels');
  }
  const reviewNotes = await askForReview(step, pull, existing, false);
  if (reviewNotes.includes('review requested')) changes.push('reviewers');
  notes.push(...reviewNotes.filter((n) => n !== 'review requested'));
  if (afterRace) notes.push('another run opened it first');
  if (changes.length === 0) return { key: pull.key, action: 'unchanged', number: existing.number, notes };
  return { key: pull.key, action: 'updated', number: existing.number, changes, notes };
}

/**
 * Asks the owner for review once. On later runs the request is repeated only when nobody is asked
 * any more and nobody has reviewed yet (a run that stopped right after opening), never after a review.
 */
async function askForReview(
  step: Step,
  pull: BotPull,
  existing: ExistingPullRequest,
  fresh: boolean,
): Promise<string[]> {
  const { ctx, report } = step;
  const { users, teams, note } = pull.reviewers;
  if (users.length === 0 && teams.length === 0) return note ? [note] : [];
  if (!fresh) {
    const asked =
      users.every((u) => existing.requestedUsers.some((r) => r.toLowerCase() === u.toLowerCase())) &&
      teams.every((t) => existing.requestedTeams.some((r) => r.toLowerCase() === t.toLowerCase()));
    if (asked) return [];
    if (existing.requestedUsers.length > 0 || existing.requestedTeams.length > 0) return [];
    if (await hasReviews(ctx.client, ctx.repo, existing.number)) return [];
  }
  const asked = await ensureReviewRequest(ctx.client, ctx.repo, existing.number, pull.reviewers);
  if (asked.refused) return [`review request refused: ${asked.refused.message}`];
  if (asked.wrote) report.writes++;
  return ['review requested'];
}

export const CLOSE_MARKER = '<!-- flags-retire-close -->';

async function closePull(step: Step, close: BotClose): Promise<ItemResult> {
  const { ctx, report } = step;
  const number = close.existing.number;
  // The comment carries a marker, so a run interrupted between comment and close, or whose answer
  // to the comment was lost, does not repeat it.
  if (await ensureComment(ctx.client, ctx.repo, number, CLOSE_MARKER, close.comment)) report.writes++;
  const fields = await ensurePullFields(ctx.client, ctx.repo, close.existing, {
    state: 'closed',
    body: close.body,
  });
  if (fields.length > 0) report.writes++;
  const tip = step.tips.get(close.existing.branch);
  if (tip !== undefined && (await ctx.branches.foreignCommits(tip, step.bases)).length === 0) {
    if ((await ctx.branches.deleteBranch(close.existing.branch, tip)) === 'pushed') report.writes++;
  }
  return { key: close.key, action: 'closed', number, reason: close.reason };
}
