import { isMap, isPair, isScalar, isSeq, type Pair, parseDocument, type YAMLMap, type YAMLSeq } from 'yaml';
import {
  commentIndent,
  lineAt,
  lineEndOf,
  lineStartOf,
  onlySpacesBefore,
  previousLine,
  removeSpans,
  type Span,
} from './lines.js';
import { EditError, parseValue, sameData } from './verify.js';

/**
 * Removes grants from a flag file, keeping every other byte: comments, order, quoting, blank lines.
 * A grant goes with its own comments: the comment lines directly above its `-` at the same
 * indentation, and comment lines indented inside it after its last field. A comment block above the
 * first grant stays when only that grant goes, since it usually describes the whole list. When every
 * grant of an environment goes, the `grants:` entry goes with its comments, leaving no empty list.
 *
 * Block sequences are edited line by line; anything else (a flow list `[{org: a}]`) is edited through
 * the Document API, which keeps comments but may reflow that list. Both are verified by parsing.
 */

export interface GrantSelector {
  env: string;
  /** Position of the grant in the environment's grants list, in the file as given. */
  index: number;
  /** The organization expected at that position; a mismatch refuses the edit. */
  org: string;
}

export function removeGrants(text: string, selectors: readonly GrantSelector[]): string {
  if (selectors.length === 0) return text;
  const doc = parseDocument(text, { version: '1.2', uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new EditError(`cannot edit a file that does not parse: ${doc.errors[0]!.message}`);
  const before = doc.toJS({ maxAliasCount: 0 }) as unknown;
  const expected = expectedAfter(before, selectors);
  const lineEdit = tryLineEdit(text, doc.contents, selectors);
  if (lineEdit !== undefined && sameData(parseValue(lineEdit), expected)) return lineEdit;
  const fallback = documentEdit(text, selectors);
  if (sameData(parseValue(fallback), expected)) return fallback;
  throw new EditError('removing the grants would change more than the grants');
}

function expectedAfter(value: unknown, selectors: readonly GrantSelector[]): unknown {
  const copy = structuredClone(value) as { environments?: Record<string, { grants?: { org?: unknown }[] }> };
  for (const [env, indices] of byEnvironment(selectors)) {
    const environment = copy.environments?.[env];
    const grants = environment?.grants;
    if (!environment || !Array.isArray(grants)) throw new EditError(`${env} has no grants list`);
    for (const selector of indices) {
      if (grants[selector.index]?.org !== selector.org)
        throw new EditError(`grant ${selector.index} of ${env} is not ${selector.org}`);
    }
    const drop = new Set(indices.map((s) => s.index));
    const kept = grants.filter((_, i) => !drop.has(i));
    if (kept.length === 0) delete environment.grants;
    else environment.grants = kept;
  }
  return copy;
}

function byEnvironment(selectors: readonly GrantSelector[]): Map<string, GrantSelector[]> {
  const map = new Map<string, GrantSelector[]>();
  for (const s of selectors) {
    const list = map.get(s.env) ?? [];
    if (!list.some((x) => x.index === s.index)) list.push(s);
    map.set(s.env, list);
  }
  return map;
}

function grantsPair(root: unknown, env: string): { pair: Pair; seq: YAMLSeq } | undefined {
  if (!isMap(root)) return undefined;
  const environments = root.get('environments', true);
  if (!isMap(environments)) return undefined;
  const environment = environments.get(env, true);
  if (!isMap(environment)) return undefined;
  const pair = (environment as YAMLMap).items.find(
    (p) => isPair(p) && isScalar(p.key) && p.key.value === 'grants',
  );
  if (!pair || !isSeq(pair.value)) return undefined;
  return { pair: pair as Pair, seq: pair.value };
}

function tryLineEdit(text: string, root: unknown, selectors: readonly GrantSelector[]): string | undefined {
  const spans: Span[] = [];
  for (const [env, chosen] of byEnvironment(selectors)) {
    const found = grantsPair(root, env);
    if (!found || found.seq.flow) return undefined;
    const { pair, seq } = found;
    const items = seq.items.map((item) => itemSpan(text, item));
    if (items.some((s) => s === undefined)) return undefined;
    const spansOf = items as ItemSpan[];
    if (chosen.length === seq.items.length) {
      const key = pair.key as { range?: [number, number, number] } | null;
      const keyStart = key?.range?.[0];
      if (keyStart === undefined || !onlySpacesBefore(text, keyStart)) return undefined;
      const keyLine = lineStartOf(text, keyStart);
      const indent = keyStart - keyLine;
      spans.push({ start: leadingComments(text, keyLine, indent), end: spansOf[spansOf.length - 1]!.end });
      continue;
    }
    for (const selector of chosen) {
      const span = spansOf[selector.index];
      if (!span) return undefined;
      const start = selector.index === 0 ? span.dashLine : leadingComments(text, span.dashLine, span.dashCol);
      spans.push({ start, end: span.end });
    }
  }
  return removeSpans(text, spans);
}

interface ItemSpan {
  dashLine: number;
  dashCol: number;
  end: number;
}

/** The lines of one block-sequence item: from its `-` line to its last line, with inner comments. */
function itemSpan(text: string, item: unknown): ItemSpan | undefined {
  const range = (item as { range?: [number, number, number] } | null)?.range;
  if (!range) return undefined;
  let dash = range[0] - 1;
  while (dash >= 0 && (text[dash] === ' ' || text[dash] === '\n' || text[dash] === '\r')) dash--;
  if (dash < 0 || text[dash] !== '-' || !onlySpacesBefore(text, dash)) return undefined;
  const dashLine = lineStartOf(text, dash);
  const dashCol = dash - dashLine;
  const last = text[range[1] - 1] === '\n' ? range[1] - 1 : range[1];
  let end = lineEndOf(text, last);
  for (let line = lineAt(text, end); line; line = lineAt(text, end)) {
    const indent = commentIndent(text, line);
    if (indent === undefined || indent <= dashCol) break;
    end = line[1];
  }
  return { dashLine, dashCol, end };
}

/** Start of the comment block directly above a line, at exactly that indentation. */
function leadingComments(text: string, lineStart: number, indent: number): number {
  let start = lineStart;
  for (let line = previousLine(text, start); line; line = previousLine(text, start)) {
    if (commentIndent(text, line) !== indent) break;
    start = line[0];
  }
  return start;
}

function documentEdit(text: string, selectors: readonly GrantSelector[]): string {
  const doc = parseDocument(text, { version: '1.2', uniqueKeys: true });
  for (const [env, chosen] of byEnvironment(selectors)) {
    const path = ['environments', env, 'grants'];
    const seq = doc.getIn(path, true);
    if (!isSeq(seq)) throw new EditError(`${env} has no grants list`);
    if (chosen.length === seq.items.length) {
      doc.deleteIn(path);
      continue;
    }
    for (const index of chosen.map((s) => s.index).sort((a, b) => b - a)) seq.delete(index);
  }
  const out = doc.toString({ lineWidth: 0 });
  return text.endsWith('\n') && !out.endsWith('\n') ? `${out}\n` : out;
}
