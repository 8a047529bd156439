/**
 * The tokens of source text that can name a flag: string literals (with the method they are the
 * first argument of, if any) and bare words. Comments are skipped, and so are regular expression
 * literals and the text between `${…}` of a template literal is read as code, so a key in a comment
 * or a regular expression is no reference, and one inside a template's substitution is. Not a
 * parser: bench/refs.ts measures it against the TypeScript parser (same answers on the planted
 * keys, several times faster, and no 9 MB library in the CLI image).
 */

export type CommentStyle = 'slash' | 'hash';

export interface LiteralToken {
  kind: 'literal';
  value: string;
  /** Offset of the literal's first character after the quote. */
  offset: number;
  /** The method called with this literal as its first argument: `isEnabled` in `c.isEnabled('k', …)`. */
  callee?: string;
}

export interface WordToken {
  kind: 'word';
  value: string;
  offset: number;
}

export type Token = LiteralToken | WordToken;

// Comments, quoted strings (one line), the start of a template, words, numbers, braces, slashes.
const SLASH_TOKENS =
  /\/\/[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`|[A-Za-z_$][\w$]*|\d[\w.]*|[{}/]/g;
const HASH_TOKENS = /#[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`|[A-Za-z_$][\w$]*|\d[\w.]*|[{}]/g;

// After these words a slash starts a regular expression, not a division.
const BEFORE_REGEX = new Set([
  'return',
  'typeof',
  'case',
  'in',
  'of',
  'instanceof',
  'void',
  'delete',
  'throw',
  'new',
  'yield',
  'await',
  'else',
  'do',
]);

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isWordChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36;

/** What the tokenizer hands out, as it goes (callbacks: a generator cost twice the time, measured). */
export interface TokenVisitor {
  word(value: string, offset: number): void;
  literal(token: LiteralToken): void;
}

/** The tokens as a list, for tests and tools that want them all. */
export function tokens(text: string, style: CommentStyle = 'slash'): Token[] {
  const out: Token[] = [];
  tokenize(text, style, {
    word: (value, offset) => out.push({ kind: 'word', value, offset }),
    literal: (token) => out.push(token),
  });
  return out;
}

export function tokenize(text: string, style: CommentStyle, visit: TokenVisitor): void {
  const re = new RegExp(style === 'slash' ? SLASH_TOKENS : HASH_TOKENS);
  // One brace depth per open template substitution: `}` at depth 0 resumes the template's text.
  const templates: number[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const token = m[0];
    const first = token.charCodeAt(0);
    if (first === 39 || first === 34) {
      const value = unescapeLiteral(token.slice(1, -1));
      visit.literal(literal(text, value, m.index + 1, m.index + token.length));
    } else if (first === 96) {
      re.lastIndex = template(text, m.index + 1, templates, visit);
    } else if (first === 123) {
      if (templates.length > 0) templates[templates.length - 1]!++;
    } else if (first === 125) {
      if (templates.length > 0) {
        if (templates[templates.length - 1] === 0) {
          templates.pop();
          re.lastIndex = template(text, m.index + 1, templates, visit);
        } else templates[templates.length - 1]!--;
      }
    } else if (first === 47) {
      if (token.length === 1 && startsRegex(text, m.index)) re.lastIndex = skipRegex(text, m.index + 1);
    } else if (first === 35) {
      // a hash comment
    } else if (isWordChar(first) && !(first >= 48 && first <= 57)) {
      visit.word(token, m.index);
    }
  }
}

/** Reads a template's text from `start`; hands it out as a literal when it holds no substitution. */
function template(text: string, start: number, templates: number[], visit: TokenVisitor): number {
  let i = start;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === 96) {
      if (start > 0 && text.charCodeAt(start - 1) === 96)
        visit.literal(literal(text, unescapeLiteral(text.slice(start, i)), start, i + 1));
      return i + 1;
    } else if (c === 36 && text.charCodeAt(i + 1) === 123) {
      templates.push(0);
      return i + 2;
    } else i++;
  }
  return i;
}

function literal(text: string, value: string, offset: number, end: number): LiteralToken {
  const callee = calleeOf(text, offset - 1, end);
  return callee === undefined
    ? { kind: 'literal', value, offset }
    : { kind: 'literal', value, offset, callee };
}

/** `name(` right before the quote and `,` or `)` right after the literal: its first argument. */
function calleeOf(text: string, quote: number, end: number): string | undefined {
  let i = quote - 1;
  while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
  if (text.charCodeAt(i) !== 40) return undefined;
  i--;
  while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
  const wordEnd = i + 1;
  while (i >= 0 && isWordChar(text.charCodeAt(i))) i--;
  if (wordEnd === i + 1) return undefined;
  let j = end;
  while (j < text.length && isSpace(text.charCodeAt(j))) j++;
  const next = text.charCodeAt(j);
  if (next !== 44 && next !== 41) return undefined;
  return text.slice(i + 1, wordEnd);
}

function startsRegex(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && isSpace(text.charCodeAt(i))) i--;
  if (i < 0) return true;
  const c = text.charCodeAt(i);
  if (c === 41 || c === 93) return false;
  if (!isWordChar(c)) return true;
  const end = i + 1;
  while (i >= 0 && isWordChar(text.charCodeAt(i))) i--;
  return BEFORE_REGEX.has(text.slice(i + 1, end));
}

function skipRegex(text: string, start: number): number {
  let inClass = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) return start; // not a regular expression after all: read on as code
    if (c === 92) i++;
    else if (c === 91) inClass = true;
    else if (c === 93) inClass = false;
    else if (c === 47 && !inClass) return i + 1;
  }
  return start;
}

// Keys are plain ASCII: an escape in a literal only matters for telling 'a\'b' from a key.
const unescapeLiteral = (raw: string): string => (raw.includes('\\') ? raw.replace(/\\(.)/g, '$1') : raw);
