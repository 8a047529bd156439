import { type Document, isCollection, isMap, isPair, isScalar, type LineCounter } from 'yaml';
import { type Position, START } from '../../scripts/core/findings/finding.js';
import type { PathSegment } from '../../scripts/core/yaml/load.js';

/**
 * The reference answers for positions: `locate` and `isPlainScalarAt` as they were written against
 * yaml's Document before the position tree, kept here as the specification the tree must meet.
 */

export function documentLocate(
  doc: Document.Parsed,
  lines: LineCounter,
  path: readonly PathSegment[],
  which: 'key' | 'value' = 'value',
): Position {
  let node: unknown = doc.contents;
  const contents = (doc.contents as { range?: [number, number, number] } | null)?.range;
  let best: Position = contents ? lines.linePos(contents[0]) : START;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return best;
      const key = pair.key as { range?: [number, number, number] | null };
      const last = i === path.length - 1;
      if (last && which === 'key' && key.range) return lines.linePos(key.range[0]);
      const value = pair.value as { range?: [number, number, number] | null } | null;
      const range = value?.range ?? key.range;
      if (range) best = lines.linePos(range[0]);
      node = pair.value;
    } else if (isCollection(node) && typeof segment === 'number') {
      const item = node.items[segment] as { range?: [number, number, number] | null } | undefined;
      if (!item) return best;
      if (item.range) best = lines.linePos(item.range[0]);
      node = item;
    } else {
      return best;
    }
  }
  return best;
}

export function documentIsPlainScalarAt(doc: Document.Parsed, path: readonly PathSegment[]): boolean {
  const node = doc.getIn(path, true);
  return isScalar(node) && node.type === 'PLAIN';
}
