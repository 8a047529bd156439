import { spellingsOf } from '../refs/aliases.js';
import type { AliasForm } from '../refs/aliases.js';
import { type CodeReference, isEvidence } from '../refs/find.js';
import { isTemporary } from '../model/flag.js';
import { type Marker, renderMarker } from './marker.js';
import type { DueItem, GrantRemoval, Reason, ReferenceContext, Reviewers } from './model.js';

/**
 * Everything a retirement pull request says, as pure functions of the due item: branch, title,
 * body, commit message, reviewers and the comment on closing. No dates relative to today appear in
 * them, so a pull request rendered on two days is the same text and a rerun writes nothing.
 */

export const BRANCH_PREFIX = 'flags/retire/';
export const branchName = (key: string): string => `${BRANCH_PREFIX}${key}`;
export const keyOfBranch = (branch: string): string | undefined =>
  branch.startsWith(BRANCH_PREFIX) ? branch.slice(BRANCH_PREFIX.length) : undefined;

const MAX_LISTED_REFERENCES = 30;

/**
 * GitHub refuses (422) a pull request or comment body over 65,536 characters and a title over 256.
 * Lengths here are UTF-16 units, never fewer than the characters GitHub counts, so what fits here
 * fits there.
 */
export const GITHUB_LIMITS = { body: 65_536, comment: 65_536, title: 256 } as const;

const TRAILING_MARKER = /\n*<!-- flags-retire(?:-[a-z]+)? ?(?:\{.*?\})? -->\n*$/;

/**
 * `text` cut to at most `max` characters, with `note` where it was cut. A bot marker at its end is
 * kept, since reruns recognise their pull requests and comments by it. A surrogate pair is never split.
 */
export function boundText(text: string, max: number, note = '…'): string {
  if (text.length <= max) return text;
  const marker = TRAILING_MARKER.exec(text)?.[0] ?? '';
  let keep = Math.max(0, max - note.length - marker.length);
  const last = text.charCodeAt(keep - 1);
  if (keep > 0 && last >= 0xd800 && last <= 0xdbff) keep--;
  return `${text.slice(0, keep)}${note}${marker}`;
}

const CUT_NOTE =
  "\n\n> [!NOTE]\n> This description was cut at GitHub's limit of 65,536 characters; the pull request's diff holds the whole change.\n\n";

/** A pull request body within GitHub's limit (the last resort; lists are fitted before). */
export const boundBody = (body: string): string => boundText(body, GITHUB_LIMITS.body, CUT_NOTE);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

function removalsOf(item: DueItem): GrantRemoval[] {
  return item.change.kind === 'edit-file' ? item.change.removeGrants : [];
}

export function pullRequestTitle(item: DueItem): string {
  return boundText(fullTitle(item), GITHUB_LIMITS.title);
}

function fullTitle(item: DueItem): string {
  if (item.change.kind === 'delete-file') return `chore(flags): retire expired flag ${item.key}`;
  if (item.change.kind === 'set-state')
    return item.change.state === 'archived'
      ? `chore(flags): archive ${item.key} (no references left, not evaluated)`
      : `chore(flags): deprecate ${item.key} (its rollout is settled everywhere)`;
  const removals = removalsOf(item);
  const expired = removals.filter((r) => r.why.includes('expired')).length;
  const ended = removals.filter((r) => r.why.includes('agreement-ended')).length;
  const review = item.change.setReviewed !== undefined;
  let title: string;
  if (removals.length === 0) return `chore(flags): confirm or retire ${item.key} (review overdue)`;
  if (ended === 0) title = `remove ${plural(expired, 'expired grant')} from ${item.key}`;
  else if (expired === 0) title = `revoke ${plural(ended, 'grant')} of ended agreements in ${item.key}`;
  else title = `remove ${plural(removals.length, 'grant')} from ${item.key} (expired or agreement ended)`;
  return `chore(flags): ${title}${review ? ' and confirm its review' : ''}`;
}

export function reviewersFor(owner: string, repositoryOwner?: string): Reviewers {
  const name = owner.replace(/^@/, '');
  const slash = name.indexOf('/');
  if (slash === -1) return { users: [name], teams: [] };
  const org = name.slice(0, slash);
  const team = name.slice(slash + 1);
  if (repositoryOwner !== undefined && org.toLowerCase() !== repositoryOwner.toLowerCase())
    return {
      users: [],
      teams: [],
      note: `${owner} is a team of another organization than ${repositoryOwner}`,
    };
  return { users: [], teams: [team] };
}

export function markerOf(item: DueItem): Marker {
  const marker: Marker = {
    v: 1,
    key: item.key,
    snooze: item.snooze,
    kinds: [...new Set(item.reasons.map((r) => r.kind))],
  };
  if (item.change.kind === 'edit-file' && item.change.setReviewed) marker.reviewed = item.change.setReviewed;
  return marker;
}

export interface BodyOptions extends ReferenceContext {
  aliases?: readonly AliasForm[];
  /** The branch holds commits by people, so the bot no longer pushes to it. */
  foreignCommits?: boolean;
}

export function pullRequestBody(item: DueItem, options: BodyOptions): string {
  const { flag } = item;
  const out: string[] = [];
  const heading =
    item.change.kind === 'delete-file'
      ? 'Retire'
      : item.change.kind === 'set-state'
        ? item.change.state === 'archived'
          ? 'Archive'
          : 'Deprecate'
        : removalsOf(item).length > 0
          ? 'Clean up'
          : 'Review';
  out.push(`### ${heading} ${code(item.key)}`, '');
  out.push(summary(item), '');
  if (options.foreignCommits)
    out.push(
      '> [!NOTE]',
      '> This branch has commits pushed by people, so the bot no longer pushes to it. Rebase or update it yourself.',
      '',
    );
  out.push(`- **File:** ${code(item.file)}`);
  out.push(`- **Owner:** ${code(flag.owner)}`);
  out.push(`- **Type:** ${flag.type} (${isTemporary(flag.type) ? 'temporary' : 'long-lived'})`);
  if (flag.contract) out.push(`- **Contract:** ${code(flag.contract)}`);
  if (flag.ticket) out.push(`- **Ticket:** ${code(flag.ticket)}`);
  out.push(`- **Expires:** ${flag.expires ?? 'no expiry'}`);
  if (!isTemporary(flag.type)) out.push(`- **Last reviewed:** ${flag.reviewed ?? 'never'}`);
  out.push('');
  const tail: string[] = [];
  tail.push(...referencesSection(item, options), '');
  tail.push('#### Checklist', '', ...checklist(item), '');
  tail.push('---', '', `<sub>${footer(item)}</sub>`, '', renderMarker(markerOf(item)), '');
  const head = `${out.join('\n')}\n`;
  const rest = tail.join('\n');
  const grants = fitGrants(item, GITHUB_LIMITS.body - head.length - rest.length);
  return boundBody(`${head}${grants}${rest}`);
}

/**
 * The grants section within `room` characters: the whole table when it fits, else a collapsed
 * section with the rows that fit and a note on how many more the diff holds.
 */
function fitGrants(item: DueItem, room: number): string {
  const section = grantsSection(item);
  if (!section) return '';
  const whole = `${[section.title, '', ...section.table, ...section.rows].join('\n')}\n\n`;
  if (whole.length <= room) return whole;
  const total = section.rows.length;
  const render = (shown: number) =>
    `${[
      `${section.title} (${total})`,
      '',
      '<details>',
      `<summary>The first ${shown} of ${total}</summary>`,
      '',
      ...section.table,
      ...section.rows.slice(0, shown),
      '',
      '</details>',
      '',
      '> [!NOTE]',
      `> ${total - shown} more are not listed: a pull request body holds at most 65,536 characters. The diff of ${code(item.file)} shows every one.`,
    ].join('\n')}\n\n`;
  // The longest form of the frame (counts at their widest), then as many rows as fit beside it.
  let used = render(0).length + String(total).length;
  let shown = 0;
  while (shown < total && used + section.rows[shown]!.length + 1 <= room) {
    used += section.rows[shown]!.length + 1;
    shown++;
  }
  return render(shown);
}

function summary(item: DueItem): string {
  const { flag } = item;
  const parts: string[] = [];
  for (const reason of item.reasons) {
    if (reason.kind === 'flag-expired')
      parts.push(
        `The ${flag.type} flag ${code(item.key)} expired on **${reason.expires}**. This pull request deletes ${code(item.file)}; once it is merged, every evaluation of ${code(item.key)} returns the default value written in the code.`,
      );
  }
  const removals = removalsOf(item);
  if (removals.length > 0) {
    const envs = [...new Set(removals.map((r) => r.env))];
    const expired = removals.filter((r) => r.why.includes('expired')).length;
    const ended = removals.filter((r) => r.why.includes('agreement-ended')).length;
    const why = [
      expired > 0 ? `${expired} past ${expired === 1 ? 'its' : 'their'} own expiry` : '',
      ended > 0 ? `${ended} whose agreement has ended according to the agreements export` : '',
    ].filter(Boolean);
    parts.push(
      `This pull request removes ${plural(removals.length, 'grant')} of ${code(item.key)} (${envs.join(', ')}): ${why.join(' and ')}. Comments and formatting of the rest of the file are kept.`,
    );
  }
  const review = item.reasons.find(
    (r): r is Extract<Reason, { kind: 'review-overdue' }> => r.kind === 'review-overdue',
  );
  for (const reason of item.reasons) {
    if (reason.kind === 'rollout-settled')
      parts.push(
        `The ${flag.type} flag ${code(item.key)} serves one variant to everyone in every environment (${reason.environments.map((e) => `${e.env}: ${code(e.variant)}`).join(', ')}), so nothing is left to roll out. This pull request marks it ${code('deprecated: true')}: it is still served, the bundle marks it deprecated, and applications are told to remove their references (docs/lifecycle.md).`,
      );
    if (reason.kind === 'flag-unused') {
      const seen = reason.lastSeen ? `was last evaluated on **${reason.lastSeen}**` : 'was never evaluated';
      parts.push(
        `${code(item.key)} has no code references left (see below) and ${seen} according to the usage export ${code(reason.usageFile)}, over ${reason.afterDays} days ago (the policy's ${code('stale.unevaluatedAfterDays')}). This pull request marks it ${code('archived: true')}: the file stays in git as the record, bundles and claims leave the flag out, and its key is never used again (docs/lifecycle.md).`,
      );
    }
  }
  if (review && item.change.kind === 'edit-file' && item.change.setReviewed) {
    const when = review.reviewed
      ? `was due on **${review.due}** (last reviewed ${review.reviewed}; every ${review.everyDays} days)`
      : `is overdue: it has never been reviewed (every ${review.everyDays} days)`;
    parts.push(
      `The review of ${code(item.key)} ${when}. Merging sets ${code(`reviewed: ${item.change.setReviewed}`)}, which confirms the flag is still needed. If it is not, close this pull request and retire the flag.`,
    );
  }
  return parts.join('\n\n');
}

const GRANTS_TABLE = ['| Environment | Organization | Agreement | Why |', '|---|---|---|---|'];

function grantsSection(item: DueItem): { title: string; table: string[]; rows: string[] } | undefined {
  const rows: string[] = [];
  if (item.change.kind === 'delete-file') {
    for (const env of Object.keys(item.flag.environments).sort()) {
      for (const grant of item.flag.environments[env]?.grants ?? []) {
        rows.push(
          `| ${env} | ${code(grant.org)} | ${grant.agreement ? code(grant.agreement) : '—'} | removed with the flag |`,
        );
      }
    }
    if (rows.length === 0) return undefined;
    return { title: '#### Grants affected', table: GRANTS_TABLE, rows };
  }
  for (const removal of removalsOf(item)) {
    const why: string[] = [];
    if (removal.why.includes('expired')) why.push(`grant expired on ${removal.expires}`);
    if (removal.why.includes('agreement-ended')) {
      const ended = item.reasons.find(
        (r): r is Extract<Reason, { kind: 'agreement-ended' }> =>
          r.kind === 'agreement-ended' && r.env === removal.env && r.org === removal.org,
      );
      why.push(
        `agreement ended${ended?.endDate ? ` on ${ended.endDate}` : ''} (export status: ${ended?.status ?? 'ended'})`,
      );
    }
    rows.push(
      `| ${removal.env} | ${code(removal.org)} | ${removal.agreement ? code(removal.agreement) : '—'} | ${why.join('; ')} |`,
    );
  }
  if (rows.length === 0) return undefined;
  return { title: '#### Grants removed', table: GRANTS_TABLE, rows };
}

function referencesSection(item: DueItem, options: BodyOptions): string[] {
  const out = ['#### Code references', ''];
  const spellings = spellingsOf(item.key, options.aliases ?? []).map((s) => code(s.text));
  const where = options.searched.length > 0 ? options.searched.map(code).join(', ') : code('.');
  if (!options.references) {
    out.push(
      `Code was not searched for ${spellings.join(', ')}; run ${code('flags refs')} to find references.`,
    );
    return out;
  }
  const found: readonly CodeReference[] = options.references.get(item.key) ?? [];
  // Only the key itself is evidence; a name that looks like it (a bulkImport() function) is listed, not counted.
  const refs = found.filter(isEvidence);
  const lookalikes = found.filter((ref) => !isEvidence(ref));
  if (refs.length === 0) {
    const absent = lookalikes.length === 0 ? spellings.join(', ') : code(item.key);
    out.push(`**No references left** to ${absent} in ${where}.`);
    out.push(...lookalikeLines(lookalikes));
    return out;
  }
  const lead =
    item.change.kind === 'delete-file'
      ? `${code(item.key)} is still referenced in ${plural(refs.length, 'place')}; remove these code paths before merging:`
      : `${code(item.key)} is read in ${plural(refs.length, 'place')}:`;
  out.push(lead, '');
  for (const ref of refs.slice(0, MAX_LISTED_REFERENCES))
    out.push(`- ${code(`${ref.file}:${ref.line}`)} ${code(ref.text)}`);
  if (refs.length > MAX_LISTED_REFERENCES)
    out.push(
      `- … and ${refs.length - MAX_LISTED_REFERENCES} more (run ${code(`flags refs`)} to list them all)`,
    );
  out.push(...lookalikeLines(lookalikes));
  return out;
}

function lookalikeLines(lookalikes: readonly CodeReference[]): string[] {
  if (lookalikes.length === 0) return [];
  const out = [
    '',
    `Names that look like the key (${plural(lookalikes.length, 'place')}; not counted as references):`,
    '',
  ];
  for (const ref of lookalikes.slice(0, MAX_LISTED_REFERENCES))
    out.push(`- ${code(`${ref.file}:${ref.line}`)} ${code(ref.text)}`);
  if (lookalikes.length > MAX_LISTED_REFERENCES)
    out.push(`- … and ${lookalikes.length - MAX_LISTED_REFERENCES} more`);
  return out;
}

function checklist(item: DueItem): string[] {
  if (item.change.kind === 'set-state')
    return item.change.state === 'archived'
      ? [
          `- [ ] No application, job or dashboard still asks for ${code(item.key)} (the usage export covers them all)`,
          '- [ ] Approve and merge; CODEOWNERS asks the owner for review',
        ]
      : [
          `- [ ] The behaviour ${code(item.key)} serves everywhere is the one to keep`,
          '- [ ] Approve and merge; then remove the code paths that read it (the references above)',
        ];
  if (item.change.kind === 'delete-file')
    return [
      `- [ ] The code no longer reads ${code(item.key)} (see the references above), or its default in the code is the behaviour to keep`,
      '- [ ] No environment still depends on the flag being on',
      '- [ ] Approve and merge; CODEOWNERS asks the owner for review',
    ];
  const lines: string[] = [];
  if (removalsOf(item).length > 0)
    lines.push('- [ ] The organizations listed no longer need the feature (check with their account owner)');
  if (item.change.setReviewed)
    lines.push(
      `- [ ] ${code(item.key)} is still needed and its grants are still right: merge to confirm the review`,
      '- [ ] Or it is not: close this pull request and retire the flag',
    );
  lines.push('- [ ] Approve and merge; CODEOWNERS asks the owner for review');
  return lines;
}

function footer(item: DueItem): string {
  const snoozed =
    item.change.kind === 'delete-file'
      ? "until the flag's expiry changes"
      : item.change.kind === 'set-state'
        ? item.change.state === 'archived'
          ? 'until the flag is evaluated again'
          : 'until its environments serve something else'
        : item.change.removeGrants.length > 0
          ? 'until the grants it removes change'
          : 'until the review date changes';
  return `Opened by ${code('flags retire')}. Closing this pull request without merging snoozes it ${snoozed}. The bot updates it while the flag stays due, closes it when the flag is no longer due, and never overwrites commits that people push to this branch.`;
}

export function commitMessage(item: DueItem): string {
  const lines = item.reasons.map((reason) => `- ${reasonLine(item, reason)}`);
  return `${pullRequestTitle(item)}\n\n${lines.join('\n')}\n\nFlags-Retire: ${item.key}\n`;
}

function reasonLine(item: DueItem, reason: Reason): string {
  switch (reason.kind) {
    case 'flag-expired':
      return `${item.key} expired on ${reason.expires}`;
    case 'grant-expired':
      return `grant to ${reason.org} in ${reason.env} expired on ${reason.expires}`;
    case 'agreement-ended':
      return `agreement ${reason.agreement} of ${reason.org} ended${reason.endDate ? ` on ${reason.endDate}` : ''} (${reason.status}); grant in ${reason.env} revoked`;
    case 'review-overdue':
      return `review overdue${reason.due ? ` since ${reason.due}` : ''}; reviewed set to ${item.change.kind === 'edit-file' ? item.change.setReviewed : ''}`;
    case 'rollout-settled':
      return `one variant for everyone in every environment (${reason.environments.map((e) => `${e.env}: ${e.variant}`).join(', ')}); deprecated`;
    case 'flag-unused':
      return `no code references left; ${reason.lastSeen ? `last evaluated on ${reason.lastSeen}` : 'never evaluated'} (${reason.usageFile}); archived`;
  }
}

/** Why an open pull request is closed: the flag is no longer due, or gone. */
export function closeComment(
  key: string,
  reason: 'revived' | 'gone',
  flag?: { expires?: string; reviewed?: string },
  kinds: readonly string[] = [],
): string {
  if (reason === 'gone')
    return boundComment(
      `${code(key)} is no longer in the repository, so there is nothing left to retire here. Closing this pull request.\n\n<sub>${code('flags retire')}</sub>`,
    );
  const why: string[] = [];
  if (kinds.includes('flag-expired'))
    why.push(flag?.expires ? `its expiry moved to ${flag.expires}` : 'it no longer has an expiry');
  if (kinds.includes('grant-expired') || kinds.includes('agreement-ended'))
    why.push('the grants this pull request removes are no longer expired or ended');
  if (kinds.includes('review-overdue') && flag?.reviewed) why.push(`it was reviewed on ${flag.reviewed}`);
  if (kinds.includes('rollout-settled')) why.push('its environments no longer serve one variant to everyone');
  if (kinds.includes('flag-unused')) why.push('it is referenced in code or evaluated again');
  const because = why.length > 0 ? `: ${why.join('; ')}` : '';
  return boundComment(
    `${code(key)} is no longer due for retirement${because}. Closing this pull request; the bot opens a new one if the flag becomes due again.\n\n<sub>${code('flags retire')}</sub>`,
  );
}

/** Room is left for the marker the comment is posted with. */
const boundComment = (text: string): string => boundText(text, GITHUB_LIMITS.comment - 200);
