import { finding, type Finding } from '../findings/finding.js';
import { type Codeowners, type CodeownersRule, ownersOf } from './parse.js';

/**
 * What a change to CODEOWNERS decides. GitHub asks for review by the base branch's CODEOWNERS, while
 * `flags check` judges a flag's owner by the pull request's own file, the one in force after the
 * merge. A pull request that changes CODEOWNERS therefore changes who approves later changes to
 * some flags: this names them, so that the base branch's owners of CODEOWNERS, who must approve the
 * change, see its consequence.
 */

/** The rule that gives a file its owners, as a reader can find it. */
export interface OwningRule {
  file: string;
  line: number;
  pattern: string;
  owners: string[];
}

export interface OwnershipChange {
  /** The flag file. */
  file: string;
  /** The rule in force on the base branch, absent when none matched. */
  before?: OwningRule;
  /** The rule in force with the change, absent when none matches. */
  after?: OwningRule;
}

export interface CodeownersChange {
  /** Where GitHub finds CODEOWNERS at each side; absent where there is none. */
  base?: string;
  head?: string;
  /** The first line of the head file that differs from the base file (1 when it moved or appeared). */
  line: number;
  /** Flag files whose code owners differ between the two sides, in path order. */
  flags: OwnershipChange[];
}

const owning = (codeowners: Codeowners | undefined, path: string): OwningRule | undefined => {
  const rule: CodeownersRule | undefined = codeowners ? ownersOf(codeowners, path) : undefined;
  return rule && codeowners
    ? { file: codeowners.file, line: rule.line, pattern: rule.pattern, owners: rule.owners }
    : undefined;
};

/** Owners as GitHub compares them: case-insensitive, order and repetition aside. */
const ownerSet = (rule: OwningRule | undefined): string =>
  [...new Set((rule?.owners ?? []).map((o) => o.toLowerCase()))].sort().join(' ');

/**
 * How two CODEOWNERS files differ for the given flag files; undefined when the files are the same
 * (same place, same text), so an unchanged CODEOWNERS costs no matching.
 */
export function codeownersChange(
  base: { codeowners?: Codeowners; text?: string },
  head: { codeowners?: Codeowners; text?: string },
  files: readonly string[],
): CodeownersChange | undefined {
  if (base.codeowners?.file === head.codeowners?.file && base.text === head.text) return undefined;
  const flags: OwnershipChange[] = [];
  for (const file of [...files].sort()) {
    const before = owning(base.codeowners, file);
    const after = owning(head.codeowners, file);
    if (ownerSet(before) !== ownerSet(after))
      flags.push({ file, ...(before ? { before } : {}), ...(after ? { after } : {}) });
  }
  return {
    ...(base.codeowners ? { base: base.codeowners.file } : {}),
    ...(head.codeowners ? { head: head.codeowners.file } : {}),
    line: firstDifferentLine(
      base.codeowners?.file === head.codeowners?.file ? (base.text ?? '') : '',
      head.text ?? '',
    ),
    flags,
  };
}

function firstDifferentLine(before: string, after: string): number {
  const a = before.split(/\r?\n/);
  const b = after.split(/\r?\n/);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return Math.min(i, Math.max(0, b.length - 1)) + 1;
}

export const ownersText = (rule: OwningRule | undefined): string =>
  rule === undefined || rule.owners.length === 0 ? 'nobody' : rule.owners.join(' ');

const MAX_NAMED = 10;

/**
 * The gate's notices: one on CODEOWNERS (what the change decides, the flag files named) and one on
 * each flag file whose owners it changes. Notices: a legitimate change must stay mergeable under
 * --strict, and the review it asks for is GitHub's to require.
 */
export function codeownersChangeFindings(change: CodeownersChange): Finding[] {
  const where = change.head ?? change.base ?? 'CODEOWNERS';
  const moved =
    change.base !== change.head
      ? ` (${change.base ? `from ${change.base}` : 'new'}${change.head ? ` to ${change.head}` : ', removed'})`
      : '';
  const named = change.flags.slice(0, MAX_NAMED).map((f) => f.file);
  const more = change.flags.length > MAX_NAMED ? ` and ${change.flags.length - MAX_NAMED} more` : '';
  const out = [
    finding(
      'ownership/codeowners-changed',
      where,
      { line: change.head ? change.line : 1, col: 1 },
      change.flags.length === 0
        ? `this change edits CODEOWNERS${moved}; it changes the code owners of no flag file`
        : `this change edits CODEOWNERS${moved} and so decides who reviews ${change.flags.length} flag file${change.flags.length === 1 ? '' : 's'}: ${named.join(', ')}${more}`,
      "GitHub asks the base branch's code owners of CODEOWNERS to approve; they should check each new owner (flags diff lists them)",
    ),
  ];
  for (const flag of change.flags) {
    const rule = flag.after ?? flag.before;
    out.push(
      finding(
        'ownership/codeowners-changed',
        flag.file,
        { line: 1, col: 1 },
        `code owners change from ${ownersText(flag.before)} to ${ownersText(flag.after)} with this change to CODEOWNERS${rule ? ` (${rule.file}:${rule.line} "${rule.pattern}")` : ''}`,
        "the base branch's code owners of CODEOWNERS approve this; the new owners review this flag from then on",
      ),
    );
  }
  return out;
}
