import type { Finding } from '../findings/finding.js';
import { finding } from '../findings/finding.js';

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
  for (let i = codeowners.rules.length - 1; i >= 0; i--) {
    const rule = codeowners.rules[i]!;
    if (rule.regex.test(path)) return rule;
  }
  return undefined;
}
