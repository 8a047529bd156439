import { type CodeownersChange, type OwnershipChange, ownersText } from '../codeowners/changes.js';
import type { Grant, Rollout } from '../model/flag.js';
import type {
  Change,
  DateChange,
  DiffReport,
  DiffSummary,
  EnvironmentState,
  FileProblem,
  GrantFieldChange,
  PolicyChange,
} from './types.js';

/**
 * The words of `flags diff`, shared by the text and Markdown reporters so both say the same thing.
 * `code` marks identifiers (keys, organizations, references): plain in text, backticks in Markdown.
 */

export interface Words {
  code(s: string): string;
}

export const plainWords: Words = { code: (s) => s };

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export const SIGN: Record<'add' | 'remove' | 'change', string> = { add: '+', remove: '-', change: '~' };

export function changeSign(change: Change): string {
  switch (change.kind) {
    case 'flag-added':
    case 'grant-added':
    case 'environment-added':
      return SIGN.add;
    case 'flag-removed':
    case 'grant-revoked':
    case 'environment-removed':
      return SIGN.remove;
    default:
      return SIGN.change;
  }
}

/** `main → feature`, or `main → working tree`. */
export const rangeTitle = (report: DiffReport, w: Words = plainWords): string =>
  `${w.code(report.base.label)} → ${report.head.label === 'working tree' ? 'the working tree' : w.code(report.head.label)}`;

/** One line that says whether anything changed and how much. */
export function summaryLine(summary: DiffSummary): string {
  const flags = summary.flagsChanged + summary.flagsAdded + summary.flagsRemoved;
  const parts: string[] = [];
  if (flags === 0) parts.push('no flag changes');
  else {
    const detail = [
      summary.flagsAdded > 0 ? `${summary.flagsAdded} added` : '',
      summary.flagsRemoved > 0 ? `${summary.flagsRemoved} removed` : '',
    ].filter(Boolean);
    parts.push(`${plural(flags, 'flag')} changed${detail.length > 0 ? ` (${detail.join(', ')})` : ''}`);
    parts.push(
      summary.accessChanges > 0
        ? plural(summary.accessChanges, 'customer-access change')
        : 'no customer-access changes',
    );
  }
  if (summary.problems > 0) parts.push(`${plural(summary.problems, 'file')} not compared`);
  return parts.join('; ');
}

export const booleanOrVariant = (value: boolean | string | undefined): string =>
  value === undefined ? '(none)' : String(value);

export const rolloutText = (rollout: Rollout | undefined): string =>
  rollout === undefined ? 'none' : `${rollout.percentage}%${rollout.variant ? ` of ${rollout.variant}` : ''}`;

export function environmentText(state: EnvironmentState): string {
  if (!state.enabled) return 'disabled';
  const parts = ['enabled'];
  if (state.default !== undefined) parts.push(`default ${String(state.default)}`);
  if (state.rollout) parts.push(`rollout ${rolloutText(state.rollout)}`);
  return parts.join(', ');
}

/** `extended 2026-12-31 → 2027-03-31 (+90 days)`; an expiry that goes away extends without end. */
export function dateMove(change: DateChange): string {
  if (change.from === undefined) return `set to ${change.to}`;
  if (change.to === undefined) return `removed (was ${change.from}): no end date`;
  if (change.days === undefined) return `${change.from} → ${change.to}`;
  if (change.days === 0) return `${change.from} → ${change.to}`;
  const verb = change.days > 0 ? 'extended' : 'shortened';
  return `${verb} ${change.from} → ${change.to} (${change.days > 0 ? '+' : '−'}${plural(Math.abs(change.days), 'day')})`;
}

const fromTo = (from: string | undefined, to: string | undefined, w: Words): string =>
  `${from === undefined ? '(none)' : w.code(from)} → ${to === undefined ? '(none)' : w.code(to)}`;

/** `agreement MSA-2024-0001, until 2026-12-31`: what a grant rests on and how long it lasts. */
function grantTerms(grant: Grant, w: Words): string[] {
  return [
    grant.agreement ? `agreement ${w.code(grant.agreement)}` : '',
    grant.variant ? `variant ${w.code(grant.variant)}` : '',
    grant.expires ? `until ${grant.expires}` : '',
    grant.ticket ? `ticket ${w.code(grant.ticket)}` : '',
  ].filter(Boolean);
}

const withTerms = (verb: string, terms: string[]): string =>
  terms.length > 0 ? `${verb} (${terms.join(', ')})` : verb;

function grantFieldText(change: GrantFieldChange, w: Words): string {
  if (change.field === 'expires') return `grant expiry ${dateMove(change)}`;
  if (change.field === 'note') return 'note changed';
  return `${change.field} ${fromTo(change.from, change.to, w)}`;
}

/**
 * What changed in an access line, without the flag: `granted (agreement MSA-2024-0001)`. The
 * Markdown table puts the flag and organization in columns of their own.
 */
export function accessWhat(change: Change, w: Words = plainWords): string {
  switch (change.kind) {
    case 'grant-added':
      return withTerms('granted', grantTerms(change.grant, w));
    case 'grant-revoked':
      return withTerms('revoked', grantTerms(change.grant, w));
    case 'grant-changed': {
      const text = change.fields.map((f) => grantFieldText(f, w)).join('; ');
      const agreementChanged = change.fields.some((f) => f.field === 'agreement');
      return agreementChanged || !change.after.agreement
        ? text
        : `${text} (agreement ${w.code(change.after.agreement)})`;
    }
    default:
      return changeWhat(change, w);
  }
}

/** The columns of the Markdown access table: what happened, and under which agreement. */
export function accessColumns(change: Change, w: Words = plainWords): { what: string; agreement: string } {
  const none = '—';
  switch (change.kind) {
    case 'grant-added':
    case 'grant-revoked': {
      const { grant } = change;
      const terms = grantTerms({ ...grant, agreement: undefined }, w);
      return {
        what: withTerms(change.kind === 'grant-added' ? 'granted' : 'revoked', terms),
        agreement: grant.agreement ? w.code(grant.agreement) : none,
      };
    }
    case 'grant-changed': {
      const agreement = change.fields.find((f) => f.field === 'agreement');
      return {
        what: change.fields
          .filter((f) => f.field !== 'agreement')
          .map((f) => grantFieldText(f, w))
          .concat(agreement ? ['agreement changed'] : [])
          .join('; '),
        agreement: agreement
          ? fromTo(agreement.from, agreement.to, w)
          : change.after.agreement
            ? w.code(change.after.agreement)
            : none,
      };
    }
    default:
      return { what: changeWhat(change, w), agreement: none };
  }
}

/** The organization an access change is about, or everyone for a change to the flag's values. */
export const accessWho = (change: Change): string | undefined =>
  change.kind === 'grant-added' || change.kind === 'grant-revoked' || change.kind === 'grant-changed'
    ? change.org
    : undefined;

/** What changed, without sign, key or environment: `owner @a/x → @a/y`. */
export function changeWhat(change: Change, w: Words = plainWords): string {
  switch (change.kind) {
    case 'flag-added':
      return `added (${change.type}, owner ${w.code(change.owner)}, ${w.code(change.file)})`;
    case 'flag-removed':
      return `removed (${change.type}, owner ${w.code(change.owner)}, was ${w.code(change.file)})`;
    case 'flag-moved':
      return `moved ${w.code(change.from)} → ${w.code(change.to)}`;
    case 'type-changed':
      return `type ${change.from} → ${change.to}`;
    case 'owner-changed':
      return `owner ${w.code(change.from)} → ${w.code(change.to)}`;
    case 'contract-changed':
      return `contract ${fromTo(change.from, change.to, w)}`;
    case 'expiry-changed':
      return `expiry ${dateMove(change)}`;
    case 'field-changed':
      if (change.field === 'description') return 'description changed';
      if (change.field === 'reviewed') return `reviewed ${fromTo(change.from, change.to, plainWords)}`;
      return `${change.field} ${fromTo(change.from, change.to, w)}`;
    case 'variants-changed': {
      const parts: string[] = [];
      if (change.added.length > 0) parts.push(`added ${change.added.map(w.code).join(', ')}`);
      if (change.removed.length > 0) parts.push(`removed ${change.removed.map(w.code).join(', ')}`);
      if (change.changed.length > 0) parts.push(`value of ${change.changed.map(w.code).join(', ')} changed`);
      return `variants: ${parts.join('; ')}`;
    }
    case 'default-variant-changed':
      return `default variant ${fromTo(change.from, change.to, w)}`;
    case 'environment-added':
      return `configured: ${environmentText(change.state)}`;
    case 'environment-removed':
      return `no longer configured (was ${environmentText(change.state)}): serves off`;
    case 'enabled-changed':
      return change.to ? 'enabled (was disabled)' : 'disabled (was enabled): serves off';
    case 'default-changed':
      return `default ${booleanOrVariant(change.from)} → ${booleanOrVariant(change.to)}`;
    case 'rollout-changed':
      return `rollout ${rolloutText(change.from)} → ${rolloutText(change.to)}`;
    case 'grant-added':
    case 'grant-revoked':
    case 'grant-changed':
      return `${change.org} ${accessWhat(change, w)}`;
  }
}

/** A full line without the environment: `~ advanced-analytics: owner @a/x → @a/y`. */
export function changeLine(change: Change, w: Words = plainWords): string {
  const who = accessWho(change);
  const what = who === undefined ? changeWhat(change, w) : `${w.code(who)} ${accessWhat(change, w)}`;
  return `${changeSign(change)} ${w.code(change.key)}: ${what}`;
}

/** `flags/x.yaml:3:1 at feature: message (yaml/syntax)`: a location terminals and editors open. */
export function problemLine(problem: FileProblem, report: DiffReport, w: Words = plainWords): string {
  const side = problem.side === 'base' ? report.base.label : report.head.label;
  const where = side === 'working tree' ? 'the working tree' : w.code(side);
  return `${w.code(`${problem.file}:${problem.line}:${problem.col}`)} at ${where}: ${problem.message} (${w.code(problem.code)})`;
}

export function policyLine(policy: PolicyChange, w: Words = plainWords): string {
  const parts = [`changed: ${policy.sections.join(', ')}`];
  if (policy.environmentsAdded.length > 0)
    parts.push(`environments added: ${policy.environmentsAdded.map(w.code).join(', ')}`);
  if (policy.environmentsRemoved.length > 0)
    parts.push(`environments removed: ${policy.environmentsRemoved.map(w.code).join(', ')}`);
  return parts.join('; ');
}

/** Which section a change belongs in: customer access first, then flags, then values. */
export function sectionOf(change: Change): 'access' | 'flags' | 'values' {
  if (change.access) return 'access';
  return change.env === undefined ? 'flags' : 'values';
}

/** Changes grouped by environment in display order; changes to the flag as a whole come first. */
export function byEnvironment(
  changes: readonly Change[],
  environments: readonly string[],
): { env: string | undefined; changes: Change[] }[] {
  const groups: { env: string | undefined; changes: Change[] }[] = [];
  for (const env of [undefined, ...environments]) {
    const list = changes.filter((c) => c.env === env);
    if (list.length > 0) groups.push({ env, changes: list });
  }
  return groups;
}

export const ALL_ENVIRONMENTS = 'all environments';

/** The heading of the CODEOWNERS section: which file, and how many flag files get other owners. */
export function codeownersTitle(change: CodeownersChange, w: Words = plainWords): string {
  const file =
    change.base === change.head
      ? w.code(change.head ?? 'CODEOWNERS')
      : `${change.base ? w.code(change.base) : 'none'} → ${change.head ? w.code(change.head) : 'none'}`;
  return `Code owners (${file} changed): ${plural(change.flags.length, 'flag file')} with other owners`;
}

/** One flag file whose owners the change to CODEOWNERS decides. */
export const ownershipLine = (flag: OwnershipChange, w: Words = plainWords): string =>
  `${w.code(flag.file)}: ${w.code(ownersText(flag.before))} → ${w.code(ownersText(flag.after))}${flag.after ? ` (${w.code(`${flag.after.file}:${flag.after.line}`)} ${w.code(flag.after.pattern)})` : ''}`;

/** Who must approve it on GitHub, for the reader of the section. */
export const CODEOWNERS_NOTE =
  "GitHub asks the base branch's code owners of CODEOWNERS to approve this change; from the merge on, the new owners review these flags.";
