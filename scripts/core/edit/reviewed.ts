import { isMap, isPair, isScalar, type Pair, parseDocument, Scalar } from 'yaml';
import type { IsoDate } from '../dates.js';
import { lineEndOf, onlySpacesBefore } from './lines.js';
import { EditError, parseValue, sameData } from './verify.js';

/**
 * Sets `reviewed` to a date: the value is replaced in place, keeping its quoting and any comment on
 * the line; a missing `reviewed` is inserted after the first of expires, ticket, contract or type
 * that the file has, where people put it. Verified by parsing, like every edit.
 */

const ANCHORS = ['expires', 'ticket', 'contract', 'type'] as const;

export function setReviewed(text: string, date: IsoDate): string {
  const doc = parseDocument(text, { version: '1.2', uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new EditError(`cannot edit a file that does not parse: ${doc.errors[0]!.message}`);
  const before = doc.toJS({ maxAliasCount: 0 }) as Record<string, unknown>;
  if (!before || typeof before !== 'object') throw new EditError('the file is not a mapping');
  if (before.reviewed === date) return text;
  const expected = { ...before, reviewed: date };
  const edited = lineEdit(text, doc.contents, date);
  if (edited !== undefined && sameData(parseValue(edited), expected)) return edited;
  doc.set('reviewed', date);
  const printed = doc.toString({ lineWidth: 0 });
  const fallback = text.endsWith('\n') && !printed.endsWith('\n') ? `${printed}\n` : printed;
  if (sameData(parseValue(fallback), expected)) return fallback;
  throw new EditError('setting reviewed would change more than reviewed');
}

function lineEdit(text: string, root: unknown, date: IsoDate): string | undefined {
  if (!isMap(root) || root.flow) return undefined;
  const pairs = root.items.filter((p): p is Pair => isPair(p) && isScalar(p.key));
  const existing = pairs.find((p) => (p.key as Scalar).value === 'reviewed');
  if (existing) {
    const value = existing.value;
    if (!isScalar(value) || !value.range) return undefined;
    const quote =
      value.type === Scalar.QUOTE_DOUBLE
        ? '"'
        : value.type === Scalar.QUOTE_SINGLE
          ? "'"
          : value.type === Scalar.PLAIN
            ? ''
            : undefined;
    if (quote === undefined) return undefined;
    return text.slice(0, value.range[0]) + quote + date + quote + text.slice(value.range[1]);
  }
  for (const name of ANCHORS) {
    const anchor = pairs.find((p) => (p.key as Scalar).value === name);
    if (!anchor) continue;
    const key = anchor.key as Scalar;
    const value = anchor.value;
    if (!key.range || !isScalar(value) || !value.range || !onlySpacesBefore(text, key.range[0]))
      return undefined;
    const indent = key.range[0] - text.lastIndexOf('\n', key.range[0] - 1) - 1;
    const at = lineEndOf(text, value.range[1] - 1);
    const newline = text.includes('\r\n') ? '\r\n' : '\n';
    const prefix = at === text.length && !text.endsWith('\n') ? newline : '';
    return `${text.slice(0, at)}${prefix}${' '.repeat(indent)}reviewed: ${date}${newline}${text.slice(at)}`;
  }
  return undefined;
}
