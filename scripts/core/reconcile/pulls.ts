import type { ExistingPullRequest, Reviewers } from '../retire/model.js';
import { parseMarker, withMarker } from '../retire/marker.js';
import { boundBody, boundText, GITHUB_LIMITS, reviewersFor } from '../retire/render.js';
import type { OrganizationEvent, Reconciliation } from './model.js';

/**
 * The reconciliation's pull requests: one per organization event, on branch
 * flags/reconcile/<organization>, planned as the retirement bot plans its own (and carried out by
 * the same machinery): an open one is updated, one a person closed without merging snoozes the
 * organization's change until the export's facts about it change, one no longer called for is
 * closed with a comment. Only organizations in `scope` are ever touched. Pure and deterministic.
 */

export const RECONCILE_PREFIX = 'flags/reconcile/';
export const reconcileBranch = (organization: string): string => `${RECONCILE_PREFIX}${organization}`;
const organizationOfBranch = (branch: string): string | undefined =>
  branch.startsWith(RECONCILE_PREFIX) ? branch.slice(RECONCILE_PREFIX.length) : undefined;

export interface ReconcilePull {
  organization: string;
  branch: string;
  title: string;
  body: string;
  foreignBody: string;
  commitMessage: string;
  labels: string[];
  reviewers: Reviewers;
  event: OrganizationEvent;
  /** Whether the branch's closed pull requests were looked up (for snoozes). */
  historyChecked: boolean;
}

export interface ReconcileClose {
  key: string;
  existing: ExistingPullRequest;
  reason: string;
  comment: string;
  body: string;
}

export interface ReconcilePullPlan {
  open: ReconcilePull[];
  update: { pull: ReconcilePull; existing: ExistingPullRequest }[];
  close: ReconcileClose[];
  snoozed: { organization: string; number: number; facts: string }[];
  /** Events left for a later run: at most maxPerRun pull requests are opened per run. */
  deferred: { organization: string; title: string }[];
}

export interface ReconcilePullInput {
  plan: Reconciliation;
  /** Organizations this run reconciles: only their pull requests are opened, updated or closed. */
  scope: ReadonlySet<string>;
  /** Open pull requests of reconcile branches, and closed ones of the organizations in historyFor. */
  pulls: readonly ExistingPullRequest[];
  historyFor: ReadonlySet<string>;
  labels: readonly string[];
  /** The team that owns customer access (policy contracts.team). */
  team?: string;
  /** The code owners of each flag's file, as CODEOWNERS routes them. */
  ownersOfFlag: (flag: string) => readonly string[];
  repositoryOwner?: string;
  maxPerRun: number;
}

export function planReconcilePulls(input: ReconcilePullInput): ReconcilePullPlan {
  const open = new Map<string, ExistingPullRequest>();
  const closed = new Map<string, ExistingPullRequest>();
  for (const pull of [...input.pulls].sort((a, b) => a.number - b.number)) {
    const org = organizationOfBranch(pull.branch);
    if (org === undefined || !input.scope.has(org)) continue;
    if (pull.state === 'open') {
      if (!open.has(org)) open.set(org, pull);
    } else closed.set(org, pull);
  }
  const out: ReconcilePullPlan = { open: [], update: [], close: [], snoozed: [], deferred: [] };
  const events = new Set<string>();
  const candidates: ReconcilePull[] = [];
  for (const event of input.plan.organizations) {
    const org = event.organization;
    if (!input.scope.has(org)) continue;
    events.add(org);
    const pull = render(event, input);
    const existing = open.get(org);
    if (existing) {
      out.update.push({ pull, existing });
      continue;
    }
    const last = closed.get(org);
    const marker = last && !last.merged ? parseMarker(last.body) : undefined;
    // Only a person's close snoozes (not the bot's own, not GitHub's when the branch was deleted).
    if (last && marker && !marker.closed && !last.closedWithBranch && marker.snooze === event.facts) {
      out.snoozed.push({ organization: org, number: last.number, facts: event.facts });
      continue;
    }
    candidates.push(pull);
  }
  for (const [org, existing] of [...open].sort((a, b) => a[1].number - b[1].number)) {
    if (events.has(org)) continue;
    const marker = parseMarker(existing.body);
    out.close.push({
      key: org,
      existing,
      reason: 'access matches the agreements',
      comment: boundText(
        `The agreements export no longer calls for this change: ${code(org)}'s access already matches its agreements. Closing this pull request; the bot opens a new one when the export's facts call for a change again.\n\n<sub>${code('flags reconcile')}</sub>`,
        GITHUB_LIMITS.comment - 200,
      ),
      body: boundBody(
        withMarker(existing.body, {
          v: 1,
          key: org,
          snooze: marker?.snooze ?? '',
          kinds: [],
          closed: 'revived',
        }),
      ),
    });
  }
  out.open = candidates.slice(0, input.maxPerRun);
  out.deferred = candidates
    .slice(input.maxPerRun)
    .map((p) => ({ organization: p.organization, title: p.title }));
  return out;
}

const code = (text: string) => `\`${text.replace(/`/g, "'")}\``;

function render(event: OrganizationEvent, input: ReconcilePullInput): ReconcilePull {
  const title = boundText(event.title, GITHUB_LIMITS.title);
  const body = (foreign: boolean) => boundBody(bodyOf(event, foreign));
  return {
    organization: event.organization,
    branch: reconcileBranch(event.organization),
    title,
    body: body(false),
    foreignBody: body(true),
    commitMessage: `${event.title}\n\n${event.changes.map((c) => `- ${c.action} ${c.environment}: ${c.summary}`).join('\n')}\n\nFlags-Reconcile: ${event.organization}\n`,
    labels: [...input.labels],
    reviewers: reviewersOf(event, input),
    event,
    historyChecked: input.historyFor.has(event.organization),
  };
}

/** The customer-access team and the code owners of every flag the change touches, once each. */
function reviewersOf(event: OrganizationEvent, input: ReconcilePullInput): Reviewers {
  const owners = [
    ...(input.team ? [input.team] : []),
    ...new Set(event.changes.flatMap((c) => input.ownersOfFlag(c.flag))),
  ];
  const users = new Set<string>();
  const teams = new Set<string>();
  const notes: string[] = [];
  for (const owner of owners) {
    const r = reviewersFor(owner, input.repositoryOwner);
    for (const u of r.users) users.add(u);
    for (const t of r.teams) teams.add(t);
    if (r.note) notes.push(r.note);
  }
  return {
    users: [...users].sort(),
    teams: [...teams].sort(),
    ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
  };
}

function bodyOf(event: OrganizationEvent, foreign: boolean): string {
  const out: string[] = [`### ${event.title}`, ''];
  if (foreign)
    out.push(
      '> [!NOTE]',
      '> This branch has commits pushed by people, so the bot no longer pushes to it. Rebase or update it yourself.',
      '',
    );
  out.push(
    `- **Organization:** ${code(event.organization)}`,
    `- **Event:** ${event.event}`,
    `- **Subscription file:** ${code(event.file)}${event.fileChanges ? '' : ' (unchanged)'}`,
    '',
    '#### Agreements (from the export)',
    '',
    '| Agreement | Status | Starts | Ends | Products | In force |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const a of event.agreements)
    out.push(
      `| ${code(a.agreement)} | ${a.rawStatus} | ${a.startDate ?? '-'} | ${a.endDate ?? '-'} | ${a.contracts.map(code).join(', ') || '-'} | ${a.inForce ? 'yes' : 'no'} |`,
    );
  out.push('', '#### Flag changes', '');
  if (event.changes.length === 0)
    out.push('None: the subscription file changes how access is written, not who has it.');
  else {
    out.push(
      '| Flag | Environment | Change | Before | After | File |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const c of event.changes)
      out.push(
        `| ${code(c.flag)} | ${c.environment} | ${c.action}: ${c.summary} | ${state(c.before)} | ${state(c.after)} | ${code(c.file)} |`,
      );
  }
  for (const m of event.moves)
    out.push(
      `- ${code(m.flag)} in ${m.environment}: the grant moves from ${code(m.from)} into ${code(event.file)}`,
    );
  out.push(
    '',
    '---',
    '',
    `<sub>Opened by ${code('flags reconcile')} from the agreements export. Merging it gives the organization the access its agreements call for. Closing it without merging snoozes this organization's change until the export's facts about it change. The bot updates it while the change stands, closes it when it is no longer called for, and never overwrites commits that people push to this branch.</sub>`,
    '',
  );
  return withMarker(out.join('\n'), { v: 1, key: event.organization, snooze: event.facts, kinds: [] });
}

function state(
  s: { variant: string; agreements: string[]; expires?: string; plans: string[] } | undefined,
): string {
  if (!s) return '-';
  const parts = [s.variant];
  if (s.agreements.length > 0) parts.push(`under ${s.agreements.join(' + ')}`);
  if (s.plans.length > 0) parts.push(`plan ${s.plans.join(' + ')}`);
  if (s.expires) parts.push(`until ${s.expires}`);
  return parts.join(', ');
}
