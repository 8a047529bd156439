import type { Finding } from '../findings/finding.js';
import { finding } from '../findings/finding.js';
import { firstUnprintable, unprintableFinding } from '../yaml/printable.js';

/**
 * CODEOWNERS as GitHub reads it: gitignore-like patterns, the last matching rule wins, a rule with
 * no owners leaves the path unowned. GitHub skips lines it cannot read (`!` negation, `[ ]` ranges,
 * `\#` escapes); we report them, because a skipped line silently changes who must review.
 */

export interface CodeownersRule {
  pattern: string;
  owners: string[];
  line: number;
  regex: RegExp;
}

export interface Codeowners {
  file: string;
  rules: CodeownersRule[];
  findings: Finding[];
}

/** GitHub looks for the file in this order and uses the first it finds. */
export const CODEOWNERS_LOCATIONS = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'] as const;

const OWNER =
  /^(@[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)?|[^@\s]+@[^@\s]+\.[^@\s]+)$/;

export function parseCodeowners(file: string, text: string): Codeowners {
  const rules: CodeownersRule[] = [];
  const findings: Finding[] = [];
  // GitHub's reading of a line with a control character in it is anyone's guess: refuse it.
  const unprintable = firstUnprintable(text);
  if (unprintable !== -1) findings.push(unprintableFinding(file, text, unprintable));
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = stripComment(raw);
    if (content.trim() === '') return;
    const col = raw.length - raw.trimStart().length + 1;
    const [pattern = '', ...owners] = content.trim().split(/\s+/);
    const unsupported = unsupportedSyntax(pattern);
    if (unsupported) {
      findings.push(
        finding(
          'codeowners/unsupported-syntax',
          file,
          { line, col: col + unsupported.index },
          `${unsupported.what} in pattern "${pattern}"; GitHub ignores this line`,
          'rewrite the pattern without it; list the paths explicitly',
        ),
      );
      return;
    }
    // Owners are searched for after the pattern: `/docs/ docs` must point at the owner, not the path.
    let searchFrom = col - 1 + pattern.length;
    for (const owner of owners) {
      const ownerIndex = raw.indexOf(owner, searchFrom);
      searchFrom = ownerIndex + owner.length;
      if (!OWNER.test(owner)) {
        const ownerCol = ownerIndex + 1;
        findings.push(
          finding(
            'codeowners/invalid-owner',
            file,
            { line, col: ownerCol },
            `owner "${owner}" is not @user, @org/team or an email address`,
            'write owners as @user or @org/team',
          ),
        );
      }
    }
    rules.push({
      pattern,
      owners: owners.filter((o) => OWNER.test(o)),
      line,
      regex: patternToRegex(pattern),
    });
  });
  return { file, rules, findings };
}

function stripComment(line: string): string {
  if (line.trimStart().startsWith('#')) return '';
  const hash = line.search(/\s#/);
  return hash === -1 ? line : line.slice(0, hash);
}

/** What GitHub does not support in a pattern, and where in the pattern it starts. */
function unsupportedSyntax(pattern: string): { what: string; index: number } | undefined {
  if (pattern.startsWith('!')) return { what: 'negation (!)', index: 0 };
  const bracket = pattern.search(/[[\]]/);
  if (bracket !== -1) return { what: 'a character range ([ ])', index: bracket };
  if (pattern.startsWith('\\#')) return { what: 'an escaped # (\\#)', index: 0 };
  return undefined;
}

/** gitignore semantics as GitHub applies them to CODEOWNERS patterns. */
export function patternToRegex(pattern: string): RegExp {
  const dirOnly = pattern.endsWith('/');
  let body = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
  // GitHub: `docs/*` matches docs/getting-started.md but not docs/build-app/troubleshooting.md.
  const childrenOnly = !dirOnly && body.endsWith('/*');
  const anchored = pattern.startsWith('/') || body.includes('/');
  if (body === '' || body === '**') return /^.*$/;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '*' && body[i + 1] === '*') {
      const slashAfter = body[i + 2] === '/';
      out += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  body = out;
  const rest = dirOnly ? '/.*' : childrenOnly ? '' : '(?:/.*)?';
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${body}${rest}$`);
}

/** The owners of a path: the last rule that matches wins, as on GitHub. */
export function ownersOf(codeowners: Pick<Codeowners, 'rules'>, path: string): CodeownersRule | undefined {
  const rules = codeowners.rules;
  // `.` in the patterns' regular expressions stops at line terminators; the index does not know
  // that, so such (unlikely) paths take the scan.
  if (LINE_TERMINATOR.test(path)) return lastMatching(rules, path);
  const index = indexOf(rules);
  let best = index.everything;
  if (index.literals > 0) {
    // Literal patterns match whole segments. The folder's prefixes and segments are the same for
    // every file in it, so their best match is kept per folder; the file adds its whole path (a
    // pattern `/a/b.yaml`) and its name (`b.yaml`).
    const slash = path.lastIndexOf('/');
    if (slash !== -1) best = Math.max(best, folderMatch(index, path.slice(0, slash)));
    best = Math.max(best, index.anchored.get(path) ?? -1);
    if (index.names.size > 0) best = Math.max(best, index.names.get(path.slice(slash + 1)) ?? -1);
  }
  // Only a glob written after the best literal match can still win.
  for (let g = index.globs.length - 1; g >= 0 && index.globs[g]! > best; g--) {
    const rule = rules[index.globs[g]!]!;
    if (rule.regex.test(path)) return rule;
  }
  return best === -1 ? undefined : rules[best];
}

/**
 * The last literal rule matching every path below `folder`: `folder` and each of its prefixes that
 * ends before a slash, as a path or a folder pattern, and each of its segments, as a name or a
 * folder name.
 */
function folderMatch(index: RuleIndex, folder: string): number {
  const known = index.folders.get(folder);
  if (known !== undefined) return known;
  let best = -1;
  let start = 0;
  for (let end = 0; end <= folder.length; end++) {
    if (end < folder.length && folder.charCodeAt(end) !== SLASH) continue;
    const prefix = folder.slice(0, end);
    const segment = folder.slice(start, end);
    best = Math.max(
      best,
      index.anchored.get(prefix) ?? -1,
      index.anchoredFolders.get(prefix) ?? -1,
      index.names.get(segment) ?? -1,
      index.nameFolders.get(segment) ?? -1,
    );
    start = end + 1;
  }
  index.folders.set(folder, best);
  return best;
}

/** The last rule whose regular expression matches: GitHub's rule, without the index. */
function lastMatching(rules: readonly CodeownersRule[], path: string): CodeownersRule | undefined {
  for (let i = rules.length - 1; i >= 0; i--) {
    const rule = rules[i]!;
    if (rule.regex.test(path)) return rule;
  }
  return undefined;
}

const SLASH = 47;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/**
 * `ownersOf` answers for every flag file on every check, and scanning the rules from the end is
 * rules × files (a CODEOWNERS kept by `flags codeowners --write` has a line per flag file owned
 * outside its folder's team). Patterns without `*` or `?` match by whole path segments, exactly as
 * their regular expressions do (patternToRegex), so they go into maps from the literal to the index
 * of the last such rule; the globs keep their order and regular expressions. Every map holds rule
 * indexes, so "the last matching rule wins" is a maximum.
 */
interface RuleIndex {
  /** rules.length when the index was built: a rule list that grew is indexed again. */
  size: number;
  literals: number;
  /** `/a/b` or `a/b`: the path a/b and everything below it. */
  anchored: Map<string, number>;
  /** `/a/b/` or `a/b/`: everything below a/b. */
  anchoredFolders: Map<string, number>;
  /** `name` (no slash inside): a file or folder of that name at any depth, and everything below. */
  names: Map<string, number>;
  /** `name/`: everything below a folder of that name at any depth. */
  nameFolders: Map<string, number>;
  /** Folder → the last literal rule matching every path below it (folderMatch). */
  folders: Map<string, number>;
  /** The last of the patterns that match every path (`*`, `/`, `**`), or -1. */
  everything: number;
  /** Indexes of the patterns with `*` or `?`, in file order. */
  globs: number[];
}

const indexes = new WeakMap<readonly CodeownersRule[], RuleIndex>();

function indexOf(rules: readonly CodeownersRule[]): RuleIndex {
  const cached = indexes.get(rules);
  if (cached !== undefined && cached.size === rules.length) return cached;
  const index: RuleIndex = {
    size: rules.length,
    literals: 0,
    anchored: new Map(),
    anchoredFolders: new Map(),
    names: new Map(),
    nameFolders: new Map(),
    folders: new Map(),
    everything: -1,
    globs: [],
  };
  rules.forEach((rule, i) => {
    // The same reading of the pattern as patternToRegex.
    const { pattern } = rule;
    const folder = pattern.endsWith('/');
    const body = pattern.replace(/^\/+/, '').replace(/\/+$/, '');
    const anchored = pattern.startsWith('/') || body.includes('/');
    // `*` and `/*` match every path as well: one segment of anything, then anything below it.
    if (body === '' || body === '**' || (body === '*' && !folder)) index.everything = i;
    else if (/[*?]/.test(body)) index.globs.push(i);
    else {
      index.literals++;
      const map = anchored
        ? folder
          ? index.anchoredFolders
          : index.anchored
        : folder
          ? index.nameFolders
          : index.names;
      map.set(body, i);
    }
  });
  indexes.set(rules, index);
  return index;
}
