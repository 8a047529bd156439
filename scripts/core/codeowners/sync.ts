import { type CodeownersRule, parseCodeowners } from './parse.js';

/**
 * The managed block of CODEOWNERS makes every flag's owner a code owner of its file, so the owner
 * must approve its changes. GitHub applies the last matching line, so:
 * - the block goes at the end of the file; a hand-written rule after it would silently override it;
 * - a flag file gets a line only when the hand-written rules do not already make its owner a code
 *   owner. Folder rules (`/flags/growth/ @acme/growth`) cover most flags; the block holds the
 *   exceptions, which is what a reviewer wants to see, and stays small: one line per flag file
 *   would make CODEOWNERS as long as the repository and every owner lookup scan it;
 * - a line replaces the hand-written rule the file would otherwise get, so it keeps that rule's
 *   owners beside the flag's owner (the `/flags/identity/` rule adding @acme/security still applies
 *   to an identity flag owned by another team). Catch-all rules (`*`) only name default owners;
 *   they give way to the flag's owner.
 * Paths CODEOWNERS cannot express exactly (spaces, `#`, `!`, `[ ]`, `*`, `?`, `\`) are refused.
 */

export const BLOCK_BEGIN = '# BEGIN flags codeowners';
export const BLOCK_END = '# END flags codeowners';
const BEGIN_LINE = `${BLOCK_BEGIN} (managed by \`flags codeowners --write\`; edits here are overwritten)`;
const EXPLAIN_LINES = [
  '# Flag files whose owner the rules above do not make a code owner: the flag owner, plus the',
  '# owners of the rule above that the line overrides (except a catch-all such as *).',
];

const CATCH_ALL = new Set(['*', '**', '/*', '/**', '**/*', '/**/*']);
const SAFE_PATH = /^[A-Za-z0-9._/-]+$/;

export interface FlagOwner {
  /** Repository-relative path, e.g. flags/identity/sso-saml.yaml */
  file: string;
  /** The flag's owner; undefined when the file does not load (its current line is kept). */
  owner: string | undefined;
}

export interface SyncProblem {
  file: string;
  message: string;
}

export interface SyncResult {
  /** The whole CODEOWNERS text as it should be. */
  text: string;
  changed: boolean;
  /** The lines of the block as it should be, without its markers and comment. */
  lines: string[];
  problems: SyncProblem[];
}

interface Split {
  before: string[];
  after: string[];
  block: string[];
  found: boolean;
}

/** Splits CODEOWNERS into the hand-written lines and the managed block (first BEGIN to next END). */
export function splitBlock(text: string): Split {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const begin = lines.findIndex((l) => l.trimStart().startsWith(BLOCK_BEGIN));
  if (begin === -1) return { before: lines, after: [], block: [], found: false };
  let end = lines.findIndex((l, i) => i > begin && l.trimStart().startsWith(BLOCK_END));
  if (end === -1) end = lines.length;
  return {
    before: lines.slice(0, begin),
    block: lines.slice(begin + 1, end),
    after: lines.slice(end + 1),
    found: true,
  };
}

export const codeownersPath = (file: string): string => `/${file}`;

export function syncCodeowners(file: string, text: string, flags: readonly FlagOwner[]): SyncResult {
  const split = splitBlock(text);
  const hand = [...split.before, ...split.after];
  const handRules = parseCodeowners(file, hand.join('\n')).rules;
  const current = new Map<string, string>();
  for (const line of split.block) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [pattern = ''] = trimmed.split(/\s+/);
    current.set(pattern, trimmed);
  }
  const problems: SyncProblem[] = [];
  const lines: string[] = [];
  for (const flag of [...flags].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    const pattern = codeownersPath(flag.file);
    if (!SAFE_PATH.test(flag.file)) {
      problems.push({
        file: flag.file,
        message:
          'the path has characters CODEOWNERS cannot match literally; rename the folder or file to letters, digits, ".", "_" and "-"',
      });
      continue;
    }
    if (flag.owner === undefined) {
      const kept = current.get(pattern);
      if (kept !== undefined) lines.push(kept);
      problems.push({
        file: flag.file,
        message: kept
          ? 'the flag does not load; its CODEOWNERS line is kept as it was'
          : 'the flag does not load, so its owner is unknown; fix it with flags check',
      });
      continue;
    }
    const rule = ruleFor(handRules, flag.file);
    if (rule?.owners.some((o) => o.toLowerCase() === flag.owner!.toLowerCase())) continue;
    const kept = rule === undefined || CATCH_ALL.has(rule.pattern) ? [] : rule.owners;
    lines.push([pattern, ...ownersFor(flag.owner, kept)].join(' '));
  }
  const trimmedBefore = [...hand];
  while (trimmedBefore.length > 0 && trimmedBefore[trimmedBefore.length - 1]!.trim() === '')
    trimmedBefore.pop();
  const block = lines.length === 0 ? [] : [BEGIN_LINE, ...EXPLAIN_LINES, ...lines, BLOCK_END];
  const out = [...trimmedBefore, ...(trimmedBefore.length > 0 && block.length > 0 ? [''] : []), ...block];
  const next = out.length === 0 ? '' : `${out.join('\n')}\n`;
  return { text: next, changed: next !== text.replace(/\r\n/g, '\n'), lines, problems };
}

/** The hand-written rule a file gets without the block: the last that matches. */
function ruleFor(rules: readonly CodeownersRule[], file: string): CodeownersRule | undefined {
  for (let i = rules.length - 1; i >= 0; i--) if (rules[i]!.regex.test(file)) return rules[i];
  return undefined;
}

function ownersFor(owner: string, others: readonly string[]): string[] {
  const seen = new Set([owner.toLowerCase()]);
  const out = [owner];
  for (const other of others) {
    if (seen.has(other.toLowerCase())) continue;
    seen.add(other.toLowerCase());
    out.push(other);
  }
  return out;
}

/**
 * A line diff of two texts for `--check` output: common head and tail trimmed, then a longest
 * common subsequence when the rest is small, else removed lines then added lines.
 */
export function lineDiff(before: string, after: string): string[] {
  const split = (text: string) =>
    text === '' ? [] : text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  const a = split(before);
  const b = split(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  if (x.length * y.length > 4_000_000) {
    const inY = new Set(y);
    const inX = new Set(x);
    return [
      ...x.filter((l) => !inY.has(l)).map((l) => `- ${l}`),
      ...y.filter((l) => !inX.has(l)).map((l) => `+ ${l}`),
    ];
  }
  const n = x.length;
  const m = y.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(`- ${x[i++]}`);
    else out.push(`+ ${y[j++]}`);
  }
  return out;
}
