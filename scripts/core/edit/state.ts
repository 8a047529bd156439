import { isMap, isPair, isScalar, type Pair, parseDocument, type Scalar } from 'yaml';
import { onlySpacesBefore } from './lines.js';
import { EditError, parseValue, sameData } from './verify.js';

/**
 * Marks a flag `deprecated: true` or `archived: true` (docs/lifecycle.md): one line inserted before
 * `environments`, at its indentation, so comments and formatting of the rest stay as they are; else
 * the document reprinted. Verified by parsing, like every edit.
 */
export function setState(text: string, state: 'deprecated' | 'archived'): string {
  const doc = parseDocument(text, { version: '1.2', uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new EditError(`cannot edit a file that does not parse: ${doc.errors[0]!.message}`);
  const before = doc.toJS({ maxAliasCount: 0 }) as Record<string, unknown>;
  if (!before || typeof before !== 'object') throw new EditError('the file is not a mapping');
  if (before[state] === true) return text;
  const expected = { ...before, [state]: true };
  const edited = lineEdit(text, doc.contents, state);
  if (edited !== undefined && sameData(parseValue(edited), expected)) return edited;
  doc.set(state, true);
  const printed = doc.toString({ lineWidth: 0 });
  const fallback = text.endsWith('\n') && !printed.endsWith('\n') ? `${printed}\n` : printed;
  if (sameData(parseValue(fallback), expected)) return fallback;
  throw new EditError(`setting ${state} would change more than ${state}`);
}

function lineEdit(text: string, root: unknown, state: string): string | undefined {
  if (!isMap(root) || root.flow) return undefined;
  const pairs = root.items.filter((p): p is Pair => isPair(p) && isScalar(p.key));
  const existing = pairs.find((p) => (p.key as Scalar).value === state);
  if (existing) return undefined;
  const anchor = pairs.find((p) => (p.key as Scalar).value === 'environments');
  const key = anchor?.key as Scalar | undefined;
  if (!key?.range || !onlySpacesBefore(text, key.range[0])) return undefined;
  const lineStart = text.lastIndexOf('\n', key.range[0] - 1) + 1;
  const indent = key.range[0] - lineStart;
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  return `${text.slice(0, lineStart)}${' '.repeat(indent)}${state}: true${newline}${text.slice(lineStart)}`;
}
