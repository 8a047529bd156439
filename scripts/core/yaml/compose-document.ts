import {
  type CST,
  Composer,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
} from 'yaml';
import { type Finding, finding, type Position, START } from '../findings/finding.js';
import { COMPOSE_OPTIONS } from './compose-fast.js';
import type { LoadResult } from './load.js';
import { treeOf } from './positions.js';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Flag files need a handful of levels. Composing a document recurses once per level, so deeper input
 * is refused from the (iterative) token stream before it is composed: a stack overflow inside the
 * parser can leave V8 unable to compile regular expressions for the rest of the process.
 */
export const MAX_NESTING = 64;

/**
 * The Composer path: yaml's Composer builds a Document of the parser's tokens, after one iterative
 * pass over them has refused too deep nesting and YAML 1.1 directives, and before the hazard checks.
 * Every file the fast composer leaves runs here, so this path decides about all that is unusual.
 */
export function composeDocument(
  file: string,
  text: string,
  lines: LineCounter,
  tokens: readonly CST.Token[],
): LoadResult {
  const at = (offset: number): Position => lines.linePos(offset);
  const scan = scanTokens(tokens);
  if (scan.tooDeep !== undefined) {
    return fail(
      finding(
        'yaml/syntax',
        file,
        at(scan.tooDeep),
        `nesting is deeper than ${MAX_NESTING} levels`,
        'flatten the structure; a flag file needs only a few levels',
      ),
    );
  }
  if (scan.versionDirective) {
    // A %YAML 1.1 directive would switch the parser to YAML 1.1 (yes/no booleans, timestamps, merge keys).
    return fail(
      finding(
        'yaml/syntax',
        file,
        at(scan.versionDirective.offset),
        `the directive "${scan.versionDirective.source.trim()}" is not supported; flag files are YAML 1.2`,
        'remove the %YAML line',
      ),
    );
  }
  const docs = Array.from(new Composer(COMPOSE_OPTIONS).compose(tokens));
  if (docs.length === 0) {
    return {
      empty: true,
      findings: [
        finding(
          'schema/wrong-type',
          file,
          START,
          'the file holds no YAML document',
          'write the flag as a mapping',
        ),
      ],
    };
  }
  const findings: Finding[] = [];
  if (docs.length > 1) {
    const second = docs[1]!;
    findings.push(
      finding(
        'yaml/multi-document',
        file,
        at(second.range[0]),
        `the file holds ${docs.length} YAML documents`,
        'keep one flag per file; remove the --- separator',
      ),
    );
  }
  const doc = docs[0]!;
  for (const error of doc.errors) {
    const duplicate = error.code === 'DUPLICATE_KEY';
    findings.push(
      finding(
        duplicate ? 'yaml/duplicate-key' : 'yaml/syntax',
        file,
        at(error.pos[0]),
        duplicate ? `duplicate key ${JSON.stringify(keyText(text, error.pos[0]))}` : error.message,
        duplicate ? 'remove or merge one of the two entries' : 'fix the YAML syntax at this position',
      ),
    );
  }
  if (findings.length === 0)
    findings.push(...propertyHazards(file, scan.props, at), ...hazards(file, doc, at));
  if (findings.length > 0) return { findings };
  // A composed document always has contents: an empty one holds a null scalar.
  return { loaded: { text, lines, value: plainValue(doc), tree: treeOf(doc.contents!) }, findings };
}

interface TokenScan {
  /** Offset of the first collection nested deeper than MAX_NESTING. */
  tooDeep?: number;
  versionDirective?: CST.Directive;
  /** Anchors, aliases and tags as written, in source order. */
  props: { type: 'anchor' | 'alias' | 'tag'; offset: number; source: string }[];
}

/**
 * One iterative pass over the parser's tokens: no recursion, so no input can overflow the stack.
 * Depth-first in source order, on two flat stacks (tokens and their depths) and one reused list of
 * children: it runs for every file the fast composer leaves, so it allocates nothing per token.
 */
function scanTokens(tokens: readonly CST.Token[]): TokenScan {
  const scan: TokenScan = { props: [] };
  const stack: CST.Token[] = [];
  const depths: number[] = [];
  for (let i = tokens.length - 1; i >= 0; i--) {
    stack.push(tokens[i]!);
    depths.push(0);
  }
  // Children are staged in a reused array; `count` marks its live part (truncating it would cost more).
  const children: CST.Token[] = [];
  let count = 0;
  const add = (list: readonly CST.Token[] | undefined) => {
    if (list) for (let i = 0; i < list.length; i++) children[count++] = list[i]!;
  };
  const one = (token: CST.Token) => {
    children[count++] = token;
  };
  while (stack.length > 0) {
    const token = stack.pop()!;
    const depth = depths.pop()!;
    count = 0;
    switch (token.type) {
      case 'anchor':
      case 'alias':
      case 'tag':
        scan.props.push({ type: token.type, offset: token.offset, source: token.source });
        if (token.type === 'alias') add(token.end);
        break;
      case 'directive':
        if (/^%YAML\s/.test(token.source) && !/^%YAML\s+1\.2\s*$/.test(token.source))
          scan.versionDirective ??= token;
        break;
      case 'document':
        add(token.start);
        if (token.value) one(token.value);
        add(token.end);
        break;
      case 'block-scalar':
        add(token.props);
        break;
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'doc-end':
        add(token.end);
        break;
      case 'block-map':
      case 'block-seq':
      case 'flow-collection':
        if (depth >= MAX_NESTING) {
          scan.tooDeep = Math.min(scan.tooDeep ?? token.offset, token.offset);
          continue;
        }
        for (const item of token.items) {
          add(item.start);
          add(item.sep);
          if (item.key) one(item.key);
          if (item.value) one(item.value);
        }
        break;
    }
    const childDepth = token.type === 'document' ? depth : depth + 1;
    for (let i = count - 1; i >= 0; i--) {
      stack.push(children[i]!);
      depths.push(childDepth);
    }
  }
  scan.props.sort((a, b) => a.offset - b.offset);
  return scan;
}

function propertyHazards(
  file: string,
  props: TokenScan['props'],
  at: (offset: number) => Position,
): Finding[] {
  return props.map(({ type, offset, source }) =>
    type === 'tag'
      ? finding('yaml/tag', file, at(offset), `explicit tag ${source}`, 'remove the tag')
      : type === 'anchor'
        ? finding('yaml/alias', file, at(offset), `anchor ${source}`, 'remove the anchor')
        : finding('yaml/alias', file, at(offset), `alias ${source}`, 'write the value out in full'),
  );
}

/**
 * Keys that are not plain scalars, or that would poison a JavaScript object, in document order
 * (the order yaml's `visit` gives). A plain recursive walk: nesting is bounded by MAX_NESTING.
 */
function hazards(file: string, doc: Document.Parsed, at: (offset: number) => Position): Finding[] {
  const found: Finding[] = [];
  const walk = (node: unknown): void => {
    if (isPair(node)) {
      const key = node.key;
      if (isScalar(key) && typeof key.value === 'string' && FORBIDDEN_KEYS.has(key.value)) {
        found.push(
          finding(
            'yaml/forbidden-key',
            file,
            at(key.range?.[0] ?? 0),
            `key ${key.value} is not allowed`,
            'rename the key',
          ),
        );
      } else if (key !== null && !isScalar(key)) {
        found.push(
          finding(
            'yaml/syntax',
            file,
            at((isCollection(key) || isAlias(key) ? key.range?.[0] : 0) ?? 0),
            'mapping keys must be plain scalars',
            'use a plain word as the key',
          ),
        );
      }
      walk(key);
      walk(node.value);
    } else if (isCollection(node)) {
      for (const item of node.items) walk(item);
    }
  };
  walk(doc.contents);
  return found;
}

const UNPLAIN = Symbol('not a plain node');

/**
 * The document as a plain value, exactly as `doc.toJS()` builds it for documents that passed the
 * hazard checks (no aliases, anchors or tags; only scalar keys), in one cheap walk. Anything else
 * makes it give up, and `doc.toJS()` does the work.
 */
function toPlain(node: unknown): unknown {
  if (isScalar(node)) return node.value;
  if (isMap(node)) {
    const map: Record<string, unknown> = {};
    for (const pair of node.items) addPair(map, pair);
    return map;
  }
  if (isSeq(node)) {
    const seq: unknown[] = [];
    for (const item of node.items) seq.push(toPlain(item));
    return seq;
  }
  if (isPair(node)) {
    const map: Record<string, unknown> = {};
    addPair(map, node);
    return map;
  }
  if (node === null || node === undefined) return node;
  throw UNPLAIN;
}

/** yaml's addPairToJSMap for scalar keys, without merge keys (YAML 1.2 has none). */
function addPair(map: Record<string, unknown>, pair: { key: unknown; value: unknown }): void {
  const key = pair.key;
  if (key !== null && !isScalar(key)) throw UNPLAIN;
  const jsKey: unknown = key === null ? null : key.value;
  if (jsKey !== null && typeof jsKey === 'object') throw UNPLAIN;
  const name = jsKey === null ? '' : String(jsKey);
  const value = toPlain(pair.value);
  // yaml defines a key that is already "in" the map; only __proto__ behaves differently when
  // assigned (every other inherited property is a plain writable one, so assigning defines it too).
  if (name === '__proto__')
    Object.defineProperty(map, name, { value, writable: true, enumerable: true, configurable: true });
  else map[name] = value;
}

function plainValue(doc: Document.Parsed): unknown {
  try {
    return toPlain(doc.contents);
  } catch (error) {
    if (error !== UNPLAIN) throw error;
    // maxAliasCount 0: aliases were refused above, so any expansion here would be a bug, not a bomb.
    return doc.toJS({ maxAliasCount: 0 });
  }
}

const keyText = (text: string, offset: number): string =>
  /^[^:\n]*/.exec(text.slice(offset, offset + 200))![0].trim();

function fail(f: Finding): LoadResult {
  return { findings: [f] };
}
