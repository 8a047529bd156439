import { type AliasForm, type Spelling, spellingsOf } from './aliases.js';
import { type CommentStyle, tokenize } from './tokens.js';

/**
 * Finds where flag keys are used in source text, and says how each was matched. Evidence that code
 * reads a flag is the key as a whole string literal outside comments ('new-checkout-flow', "…", `…`),
 * and above all as the first argument of an SDK evaluation method (`isEnabled`, `resolve…`,
 * `get…Value`, `get…Details`, and the methods a policy adds). An alias (newCheckoutFlow,
 * NEW_CHECKOUT_FLOW), as a word or in quotes, is only a name that looks like the key: a
 * `bulkImport()` function is no reference to the flag bulk-import. Aliases are listed for people to
 * look at and never keep a flag alive. A key that no live flag has is reported as unknown where an
 * SDK method is called with it, or where it is the key of a removed or archived flag.
 */

export type ReferenceMatch =
  /** The key as the first argument of an SDK evaluation method: `client.isEnabled('key')`. */
  | 'sdk-call'
  /** The key as a whole string literal anywhere else. */
  | 'string-literal'
  /** An alias of the key as a whole string literal: flags['newCheckoutFlow']. */
  | 'alias-literal'
  /** An alias of the key as a bare word: an identifier, a property, a function of that name. */
  | 'alias-identifier';

/** The matches that show code reads the flag: what `unreferenced` and the retirement bot count. */
export const EVIDENCE: ReadonlySet<ReferenceMatch> = new Set<ReferenceMatch>(['sdk-call', 'string-literal']);

export const isEvidence = (ref: Pick<CodeReference, 'match'>): boolean => EVIDENCE.has(ref.match);

export interface CodeReference {
  /** The consuming repository (a tree of `flags refs --tree`), when several are searched. */
  repository?: string;
  file: string;
  line: number;
  col: number;
  key: string;
  match: ReferenceMatch;
  /** The text found: the key or one of its aliases. */
  text: string;
  spelling: Spelling;
  /** For an sdk-call: the method called. */
  method?: string;
}

/** A key in code that no live flag has: the first argument of an SDK method, or a dead flag's key. */
export interface UnknownUse {
  repository?: string;
  file: string;
  line: number;
  col: number;
  key: string;
  match: 'sdk-call' | 'string-literal';
  method?: string;
}

/** The evaluation methods of the runtime (isEnabled, resolve…) and of OpenFeature (get…Value, …Details, resolve…Evaluation). */
export const DEFAULT_SDK_METHOD = /^(?:isEnabled|resolve[A-Z]\w*|get[A-Z]\w*(?:Value|Details))$/;

// The shape of a flag key (the model's pattern): an SDK method's other string arguments are not keys.
const KEY_SHAPE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export interface MatcherOptions {
  /** Further methods whose first argument is a flag key (e.g. `variation`, `useFlag`). */
  sdkMethods?: Iterable<string>;
  /** Keys of removed or archived flags: found as any string literal, they are unknown uses. */
  deadKeys?: Iterable<string>;
  /** Report the first arguments of SDK methods that are no live key (`flags refs`; default false). */
  unknown?: boolean;
}

export interface ReferenceMatcher {
  readonly lookup: ReadonlyMap<string, { key: string; spelling: Spelling }>;
  readonly sdkMethods: ReadonlySet<string>;
  readonly deadKeys: ReadonlySet<string>;
  readonly unknown: boolean;
}

export function referenceMatcher(
  keys: Iterable<string>,
  forms: readonly AliasForm[],
  options: MatcherOptions = {},
): ReferenceMatcher {
  const lookup = new Map<string, { key: string; spelling: Spelling }>();
  for (const key of keys) {
    for (const { text, spelling } of spellingsOf(key, forms)) {
      // Two keys can share an alias (a-b and a_b never coexist as keys, but be safe): first wins.
      if (!lookup.has(text)) lookup.set(text, { key, spelling });
    }
  }
  return {
    lookup,
    sdkMethods: new Set(options.sdkMethods ?? []),
    deadKeys: new Set(options.deadKeys ?? []),
    unknown: options.unknown ?? false,
  };
}

export const isSdkMethod = (matcher: ReferenceMatcher, name: string): boolean =>
  DEFAULT_SDK_METHOD.test(name) || matcher.sdkMethods.has(name);

const HASH_COMMENTS = /\.(?:py|rb|sh|bash|zsh|ya?ml|toml|r|pl|ex|exs|tf|hcl|cfg|conf|ini)$/i;
export const commentStyleOf = (file: string): CommentStyle => (HASH_COMMENTS.test(file) ? 'hash' : 'slash');

export interface TextScan {
  references: CodeReference[];
  unknown: UnknownUse[];
}

export function scanText(file: string, text: string, matcher: ReferenceMatcher): TextScan {
  const references: CodeReference[] = [];
  const unknown: UnknownUse[] = [];
  let lineStarts: number[] | undefined;
  const at = (offset: number) => {
    lineStarts ??= computeLineStarts(text);
    const line = lineOf(lineStarts, offset);
    return { line: line + 1, col: offset - lineStarts[line]! + 1 };
  };
  tokenize(text, commentStyleOf(file), {
    word(value, offset) {
      // The key itself only counts as a literal; a bare word must be one of its aliases.
      const hit = matcher.lookup.get(value);
      if (hit && hit.spelling !== 'key')
        references.push({
          file,
          ...at(offset),
          key: hit.key,
          match: 'alias-identifier',
          text: value,
          spelling: hit.spelling,
        });
    },
    literal(token) {
      const hit = matcher.lookup.get(token.value);
      const method =
        token.callee !== undefined && isSdkMethod(matcher, token.callee) ? token.callee : undefined;
      if (hit) {
        const match = hit.spelling !== 'key' ? 'alias-literal' : method ? 'sdk-call' : 'string-literal';
        const ref: CodeReference = {
          file,
          ...at(token.offset),
          key: hit.key,
          match,
          text: token.value,
          spelling: hit.spelling,
        };
        if (match === 'sdk-call') ref.method = method;
        references.push(ref);
      } else if (
        matcher.deadKeys.has(token.value) ||
        (method && matcher.unknown && KEY_SHAPE.test(token.value))
      ) {
        const use: UnknownUse = {
          file,
          ...at(token.offset),
          key: token.value,
          match: method ? 'sdk-call' : 'string-literal',
        };
        if (method) use.method = method;
        unknown.push(use);
      }
    },
  });
  return { references, unknown };
}

/** The references alone (the retirement bot's view). */
export const findReferences = (file: string, text: string, matcher: ReferenceMatcher): CodeReference[] =>
  scanText(file, text, matcher).references;

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

export const compareReferences = (
  a: Pick<CodeReference, 'repository' | 'file' | 'line' | 'col'>,
  b: Pick<CodeReference, 'repository' | 'file' | 'line' | 'col'>,
): number =>
  order(a.repository ?? '', b.repository ?? '') || order(a.file, b.file) || a.line - b.line || a.col - b.col;

const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
