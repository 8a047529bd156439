import { isMap, isScalar, isSeq, type LineCounter, type ParsedNode } from 'yaml';
import type { Position } from '../findings/finding.js';

/**
 * Where each node of a loaded file starts: all that findings need of the parse. Both composers
 * build it (the fast one straight from the parser's tokens, the Composer path from its Document),
 * so `locate` and `isPlainScalarAt` answer the same whichever path loaded the file.
 */
export type YamlNode = YamlScalar | YamlMap | YamlSeq;

export interface YamlScalar {
  kind: 'scalar';
  /** Offset of the first character of the node. */
  start: number;
  /** Written plain (unquoted, not a block scalar). */
  plain: boolean;
}

export interface YamlMap {
  kind: 'map';
  start: number;
  entries: YamlEntry[];
}

export interface YamlEntry {
  /** The key's scalar value: a string on the fast path, any scalar value on the Composer path. */
  key: unknown;
  keyStart: number;
  /** Only a flow mapping's key without a `:` has no value node. */
  value: YamlNode | null;
}

export interface YamlSeq {
  kind: 'seq';
  start: number;
  items: YamlNode[];
}

export type PathSegment = string | number;

export interface Locatable {
  tree: YamlNode;
  lines: LineCounter;
}

/**
 * Position of the value at `path` (or of its key, for `which: 'key'`). A path that does not exist
 * falls back to its nearest existing ancestor, so every finding has a position. Keys match by their
 * text (`String`), so the path `['1']` finds the key `1`.
 */
export function locate(
  loaded: Locatable,
  path: readonly PathSegment[],
  which: 'key' | 'value' = 'value',
): Position {
  let node: YamlNode | null = loaded.tree;
  let best = node.start;
  for (let i = 0; i < path.length && node !== null; i++) {
    const segment = path[i]!;
    if (node.kind === 'map') {
      const entry = entryByText(node, String(segment));
      if (!entry) break;
      if (which === 'key' && i === path.length - 1) return loaded.lines.linePos(entry.keyStart);
      best = entry.value?.start ?? entry.keyStart;
      node = entry.value;
    } else if (node.kind === 'seq' && typeof segment === 'number') {
      const item: YamlNode | undefined = node.items[segment];
      if (!item) break;
      best = item.start;
      node = item;
    } else {
      break;
    }
  }
  return loaded.lines.linePos(best);
}

function entryByText(map: YamlMap, text: string): YamlEntry | undefined {
  for (const entry of map.entries) if (String(entry.key) === text) return entry;
  return undefined;
}

/**
 * Whether the scalar at `path` was written plain (unquoted): only then is `yes` a YAML 1.1 boolean.
 * Looks the path up as yaml's `Document.getIn` does: keys match by value (`1` is not `'1'`), while a
 * sequence takes any index that reads as a whole number.
 */
export function isPlainScalarAt(loaded: Pick<Locatable, 'tree'>, path: readonly PathSegment[]): boolean {
  let node: YamlNode | null | undefined = loaded.tree;
  for (const segment of path) {
    if (node?.kind === 'map') node = node.entries.find((entry) => entry.key === segment)?.value;
    else if (node?.kind === 'seq') node = node.items[itemIndex(segment) ?? -1];
    else return false;
  }
  return node?.kind === 'scalar' && node.plain;
}

/** yaml's reading of a sequence index: a number, or a non-empty string that converts to one. */
function itemIndex(segment: PathSegment): number | undefined {
  const index = typeof segment === 'string' && segment !== '' ? Number(segment) : segment;
  return typeof index === 'number' && Number.isInteger(index) && index >= 0 ? index : undefined;
}

/**
 * The position tree of a Document the Composer built. Only called for documents that passed the
 * hazard checks, so every key is a scalar; anything that is neither a mapping nor a sequence is a leaf.
 */
export function treeOf(node: ParsedNode): YamlNode {
  const start = node.range[0];
  if (isMap(node)) {
    const entries: YamlEntry[] = [];
    for (const pair of node.items) {
      if (!isScalar(pair.key)) continue;
      entries.push({
        key: pair.key.value,
        keyStart: pair.key.range[0],
        value: pair.value ? treeOf(pair.value) : null,
      });
    }
    return { kind: 'map', start, entries };
  }
  if (isSeq(node)) return { kind: 'seq', start, items: node.items.map(treeOf) };
  return { kind: 'scalar', start, plain: isScalar(node) && node.type === 'PLAIN' };
}
