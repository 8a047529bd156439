import { type AliasForm, type Spelling, spellingsOf } from './aliases.js';

/**
 * Finds where flag keys are used in source text, and says how each was matched. Only the key
 * itself, as a whole string literal ('new-checkout-flow', "…", `…`), is evidence that code reads the
 * flag: flags are evaluated by key. An alias (newCheckoutFlow, NEW_CHECKOUT_FLOW), as a word or in
 * quotes, is only a name that looks like the key: a `bulkImport()` function is no reference to the
 * flag bulk-import. Aliases are listed for people to look at and never keep a flag alive. One pass
 * over the text with one table lookup per token, so the cost does not grow with the number of keys.
 */

/**
 * How a reference matched. New kinds (a call of a configured SDK method, say) are added here with
 * their place in EVIDENCE.
 */
export type ReferenceMatch =
  /** The key as a whole string literal. */
  | 'string-literal'
  /** An alias of the key as a whole string literal: flags['newCheckoutFlow']. */
  | 'alias-literal'
  /** An alias of the key as a bare word: an identifier, a property, a function of that name. */
  | 'alias-identifier';

/** The matches that show code reads the flag: what `unreferenced` and the retirement bot count. */
export const EVIDENCE: ReadonlySet<ReferenceMatch> = new Set<ReferenceMatch>(['string-literal']);

export const isEvidence = (ref: Pick<CodeReference, 'match'>): boolean => EVIDENCE.has(ref.match);

export interface CodeReference {
  file: string;
  line: number;
  col: number;
  key: string;
  match: ReferenceMatch;
  /** The text found: the key or one of its aliases. */
  text: string;
  spelling: Spelling;
}

export interface ReferenceMatcher {
  readonly lookup: ReadonlyMap<string, { key: string; spelling: Spelling }>;
}

export function referenceMatcher(keys: Iterable<string>, forms: readonly AliasForm[]): ReferenceMatcher {
  const lookup = new Map<string, { key: string; spelling: Spelling }>();
  for (const key of keys) {
    for (const { text, spelling } of spellingsOf(key, forms)) {
      // Two keys can share an alias (a-b and a_b never coexist as keys, but be safe): first wins.
      if (!lookup.has(text)) lookup.set(text, { key, spelling });
    }
  }
  return { lookup };
}

// A quoted token made only of key characters, or a bare word.
const TOKEN = /(['"`])([A-Za-z0-9_$-]+)\1|[A-Za-z_$][A-Za-z0-9_$]*/g;

export function findReferences(file: string, text: string, matcher: ReferenceMatcher): CodeReference[] {
  if (matcher.lookup.size === 0) return [];
  const found: CodeReference[] = [];
  let lineStarts: number[] | undefined;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match !== null; match = TOKEN.exec(text)) {
    const quoted = match[2];
    const word = quoted ?? match[0];
    const hit = matcher.lookup.get(word);
    if (!hit) continue;
    // The key itself only counts as a whole literal; a bare word must be one of its aliases.
    if (quoted === undefined && hit.spelling === 'key') continue;
    const offset = quoted === undefined ? match.index : match.index + 1;
    lineStarts ??= computeLineStarts(text);
    const line = lineOf(lineStarts, offset);
    found.push({
      file,
      line: line + 1,
      col: offset - lineStarts[line]! + 1,
      key: hit.key,
      match:
        quoted === undefined
          ? 'alias-identifier'
          : hit.spelling === 'key'
            ? 'string-literal'
            : 'alias-literal',
      text: word,
      spelling: hit.spelling,
    });
  }
  return found;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** References grouped by key, each list in file and position order. */
export function groupByKey(references: readonly CodeReference[]): Map<string, CodeReference[]> {
  const byKey = new Map<string, CodeReference[]>();
  for (const ref of references) {
    const list = byKey.get(ref.key);
    if (list) list.push(ref);
    else byKey.set(ref.key, [ref]);
  }
  for (const list of byKey.values()) list.sort(compareReferences);
  return byKey;
}

export const compareReferences = (a: CodeReference, b: CodeReference): number =>
  a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
