import { findDue } from './due.js';
import { findDrift } from './drift.js';
import { parseMarker, withMarker } from './marker.js';
import type {
  Deferred,
  DueItem,
  ExistingPullRequest,
  MetadataChange,
  PlanInput,
  PlannedClose,
  PlannedPullRequest,
  PlannedUpdate,
  RetirePlan,
  Snoozed,
  Untouched,
} from './model.js';
import type { AliasForm } from '../refs/aliases.js';
import {
  boundBody,
  branchName,
  closeComment,
  commitMessage,
  keyOfBranch,
  pullRequestBody,
  pullRequestTitle,
  reviewersFor,
} from './render.js';

/**
 * The retirement planner: (flags, policy, agreements export, today, the bot's pull requests) to a
 * plan of pull requests to open, update and close. Pure and deterministic: the same input gives
 * the same plan, byte for byte, which is what makes reruns write nothing.
 *
 * - One pull request per flag, on branch flags/retire/<key>.
 * - An open pull request of a due flag is updated (title, body, labels; its branch when applied).
 * - A pull request a person closed without merge snoozes the flag until its snooze facts change;
 *   one GitHub closed because its branch was deleted does not.
 * - An open pull request of a flag no longer due (revived, or gone) is closed with a comment.
 * - Without an agreements export, a pull request that revokes grants of ended agreements is left
 *   as it is: not closed as "no longer due", not rewritten without its revocations; so is one that
 *   archives an unused flag without a usage export.
 * - At most maxPullRequestsPerRun are opened per run, and opening stops at maxOpenPullRequests open.
 */
export function planRetirement(input: PlanInput & { aliases?: readonly AliasForm[] }): RetirePlan {
  const due = findDue(input);
  const drift = findDrift(input);
  const flagsByKey = new Map(input.flags.map((f) => [f.flag.key, f.flag]));
  const pulls = (input.pulls ?? []).filter((p) => keyOfBranch(p.branch) !== undefined);
  const openByKey = new Map<string, ExistingPullRequest>();
  const closedByKey = new Map<string, ExistingPullRequest>();
  for (const pull of [...pulls].sort((a, b) => a.number - b.number)) {
    const key = keyOfBranch(pull.branch)!;
    if (pull.state === 'open') {
      if (!openByKey.has(key)) openByKey.set(key, pull);
    } else closedByKey.set(key, pull);
  }
  const history = input.historyFor ?? new Set<string>();
  const checked = (key: string) => history === 'all' || history.has(key);
  const labels = [...input.policy.retire.labels];
  const bodyOptions = {
    references: input.references?.references,
    searched: input.references?.searched ?? [],
    aliases: input.aliases ?? [],
  };

  const render = (item: DueItem): PlannedPullRequest => ({
    key: item.key,
    file: item.file,
    branch: branchName(item.key),
    title: pullRequestTitle(item),
    body: pullRequestBody(item, bodyOptions),
    commitMessage: commitMessage(item),
    labels,
    reviewers: reviewersFor(item.flag.owner, input.repositoryOwner),
    item,
    historyChecked: checked(item.key),
  });

  const untouched: Untouched[] = [];
  const unreadable = new Set(input.unreadable ?? []);
  for (const [key, existing] of [...openByKey].sort((a, b) => a[1].number - b[1].number)) {
    const kinds = parseMarker(existing.body)?.kinds ?? [];
    const reason = unreadable.has(key)
      ? 'unreadable'
      : kinds.includes('agreement-ended')
        ? input.agreementRevocations === false
          ? 'reconcile'
          : input.agreements === undefined
            ? 'no-agreements'
            : undefined
        : input.usage === undefined && kinds.includes('flag-unused')
          ? 'no-usage'
          : undefined;
    if (reason) untouched.push({ key, number: existing.number, reason });
  }
  const held = new Set(untouched.map((u) => u.key));

  const update: PlannedUpdate[] = [];
  const candidates: DueItem[] = [];
  const snoozed: Snoozed[] = [];
  const dueKeys = new Set<string>();
  for (const item of due) {
    dueKeys.add(item.key);
    if (held.has(item.key)) continue;
    const open = openByKey.get(item.key);
    if (open) {
      const pull = render(carryOver(item, open));
      update.push({ pull, existing: open, changes: metadataChanges(pull, open) });
      continue;
    }
    const closed = closedByKey.get(item.key);
    const marker = closed && !closed.merged ? parseMarker(closed.body) : undefined;
    // Only a person's close snoozes: not the bot's own (marker.closed), not GitHub's when the branch
    // was deleted (deleting it is how a person lets the bot start over).
    if (closed && marker && !marker.closed && !closed.closedWithBranch && marker.snooze === item.snooze) {
      snoozed.push({ key: item.key, number: closed.number, snooze: item.snooze });
      continue;
    }
    candidates.push(item);
  }

  const close: PlannedClose[] = [];
  for (const [key, existing] of [...openByKey].sort((a, b) => a[1].number - b[1].number)) {
    if (dueKeys.has(key) || held.has(key)) continue;
    const flag = flagsByKey.get(key);
    const marker = parseMarker(existing.body);
    const reason = flag ? 'revived' : 'gone';
    const kinds = marker?.kinds ?? [];
    close.push({
      key,
      existing,
      reason,
      comment: closeComment(key, reason, flag, kinds),
      body: boundBody(
        withMarker(existing.body, { v: 1, key, snooze: marker?.snooze ?? '', kinds, closed: reason }),
      ),
    });
  }

  const { maxPullRequestsPerRun: maxPerRun, maxOpenPullRequests: maxOpen } = input.policy.retire;
  const openBefore = openByKey.size;
  const openAfterCloses = openBefore - close.length;
  const room = Math.max(0, maxOpen - openAfterCloses);
  const budget = Math.min(maxPerRun, room);
  const open = candidates.slice(0, budget).map(render);
  const deferred: Deferred[] = candidates.slice(budget).map((item) => ({
    key: item.key,
    title: pullRequestTitle(item),
    limit: room <= maxPerRun ? 'open-at-once' : 'per-run',
  }));

  return {
    today: input.today,
    open,
    update,
    close,
    snoozed,
    deferred,
    untouched,
    drift,
    summary: {
      flags: input.flags.length,
      due: due.length,
      openBefore,
      openAfter: openAfterCloses + open.length,
      maxPerRun,
      maxOpen,
    },
  };
}

/** Keeps what an open pull request already decided, so it does not change from one day to the next. */
function carryOver(item: DueItem, open: ExistingPullRequest): DueItem {
  if (item.change.kind !== 'edit-file' || !item.change.setReviewed) return item;
  const marker = parseMarker(open.body);
  if (!marker?.reviewed || marker.reviewed < (item.flag.reviewed ?? '')) return item;
  return { ...item, change: { ...item.change, setReviewed: marker.reviewed } };
}

function metadataChanges(pull: PlannedPullRequest, existing: ExistingPullRequest): MetadataChange[] {
  const changes: MetadataChange[] = [];
  if (pull.title !== existing.title) changes.push('title');
  if (normalizeBody(pull.body) !== normalizeBody(existing.body)) changes.push('body');
  if (pull.labels.some((l) => !existing.labels.includes(l))) changes.push('labels');
  return changes;
}

// GitHub stores bodies with CRLF line ends when edited in the browser.
const normalizeBody = (body: string) => body.replace(/\r\n/g, '\n').trimEnd();
