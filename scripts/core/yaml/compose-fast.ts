import { CST, Document, isScalar, type ScalarTag } from 'yaml';
import type { YamlEntry, YamlNode } from './positions.js';

/**
 * Composes what ordinary flag files are made of straight from yaml's parse (its CST tokens) into the
 * plain value and the position tree, skipping the Document that yaml's Composer builds and that
 * loading then only walks. The parse stays yaml's own, and so do scalar values: strings come from
 * `CST.resolveAsScalar`, plain scalars take the tag yaml's composer would pick from the same schema.
 *
 * It accepts a deliberately narrow shape: one document that is a block mapping, of block mappings,
 * block sequences, single-line flow collections of scalars, and scalars; single-line plain string
 * keys; comments and blank lines. At anything else, and wherever the Composer could report an
 * error, it gives up (returns undefined) and the Composer path decides. Giving up costs time;
 * accepting what the Composer would refuse, or reading a value differently, would let two readings
 * of one file disagree, which is what a single parser is there to prevent.
 */

/** The options every flag file is composed with, on either path. */
export const COMPOSE_OPTIONS = { uniqueKeys: true, version: '1.2' } as const;

const { schema, options } = new Document(undefined, COMPOSE_OPTIONS);
/** Only scalar tags have a `test`: yaml picks among these, in this order. */
const SCALAR_TAGS = schema.tags.filter((tag): tag is ScalarTag => !tag.collection && tag.test !== undefined);
const VALUE_TAGS = SCALAR_TAGS.filter((tag) => tag.default === true);
/** The tags that make a plain key anything but a string (yaml also tries `default: 'key'` tags there). */
const KEY_TAGS = SCALAR_TAGS.filter((tag) => tag.default === true || tag.default === 'key');
const someValueTag = someTagTest(VALUE_TAGS);
const someKeyTag = someTagTest(KEY_TAGS);

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Flag files need a handful of levels; deeper ones take the Composer path and its depth check. */
const MAX_DEPTH = 16;
/** yaml's strict mode: the `:` of an implicit key at most this far from where the key starts. */
const MAX_KEY_SPAN = 1024;

export interface Composed {
  value: unknown;
  tree: YamlNode;
}

function giveUp(): never {
  throw GIVE_UP;
}

const GIVE_UP = Symbol('outside the fast shape');

/** The value and position tree of the one document in `tokens`, or undefined to leave it to the Composer. */
export function composeFast(tokens: readonly CST.Token[]): Composed | undefined {
  try {
    return new FastComposer().document(tokens);
  } catch {
    // Anything unexpected, not only GIVE_UP, is for the Composer path to judge.
    return undefined;
  }
}

/**
 * Each method composing a node returns its value and leaves its position node and its end offset in
 * `node` and `end`: the end is where yaml's checks of the next entry start from.
 */
class FastComposer {
  node!: YamlNode;
  /** Where the last composed node ends, comments after it included: yaml's `range[2]`. */
  end = 0;

  document(tokens: readonly CST.Token[]): Composed {
    let doc: CST.Document | undefined;
    for (const token of tokens) {
      switch (token.type) {
        case 'document':
          if (doc) giveUp();
          doc = token;
          break;
        case 'byte-order-mark':
        case 'space':
        case 'comment':
        case 'newline':
          break;
        default:
          // Directives, `...`, error tokens: the Composer path reports or refuses them.
          giveUp();
      }
    }
    // A `---` marker lands in `start`; an empty document or any other root is not a flag file's shape.
    if (!doc || doc.start.length > 0 || doc.value?.type !== 'block-map') giveUp();
    const value = this.blockMap(doc.value, 0);
    if (doc.end) for (const token of doc.end) if (!isBlank(token)) giveUp();
    return { value, tree: this.node };
  }

  compose(token: CST.Token, depth: number): unknown {
    switch (token.type) {
      case 'block-map':
        return this.blockMap(token, depth);
      case 'block-seq':
        return this.blockSeq(token, depth);
      case 'flow-collection':
        return this.flowCollection(token);
      case 'scalar':
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'block-scalar':
        return this.scalar(token);
      default:
        return giveUp();
    }
  }

  /** yaml's resolveBlockMap, for implicit plain string keys, each followed by `:`. */
  blockMap(map: CST.BlockMap, depth: number): Record<string, unknown> {
    if (depth >= MAX_DEPTH) giveUp();
    const value: Record<string, unknown> = {};
    const entries: YamlEntry[] = [];
    let offset = map.offset;
    let commentEnd = -1;
    for (const item of map.items) {
      if (item.explicitKey) giveUp();
      for (const token of item.start) if (!isBlank(token)) giveUp();
      const keyStart = tokensEnd(item.start, offset);
      if (!item.sep) {
        // Comments after the last entry; the Composer refuses any entry after them.
        if (item.key || item.value || item.start.length === 0) giveUp();
        commentEnd = keyStart;
        continue;
      }
      const key = item.key;
      if (key?.type !== 'scalar' || key.indent !== map.indent) giveUp();
      const name = keyName(key);
      if (Object.hasOwn(value, name)) giveUp();
      const sep = item.sep;
      let indicator = -1;
      let hasNewline = false;
      let hasComment = false;
      let hasSpace = false;
      for (const token of sep) {
        switch (token.type) {
          case 'space':
            if (token.source.includes('\t')) giveUp();
            hasSpace = true;
            break;
          case 'map-value-ind':
            if (indicator >= 0) giveUp();
            indicator = token.offset;
            hasSpace = false;
            break;
          case 'newline':
            if (indicator < 0) giveUp();
            hasNewline = hasSpace = true;
            break;
          case 'comment':
            if (indicator < 0 || !hasSpace) giveUp();
            hasComment = true;
            break;
          default:
            giveUp();
        }
      }
      if (indicator < 0 || keyStart < indicator - MAX_KEY_SPAN) giveUp();
      let entry: unknown;
      if (item.value) {
        // `a: b: c` is a compact nested mapping, which the Composer refuses.
        if (!hasNewline && (item.value.type === 'block-map' || item.value.type === 'block-seq')) giveUp();
        entry = this.compose(item.value, depth + 1);
      } else {
        entry = null;
        this.empty(sep, hasComment);
      }
      offset = this.end;
      value[name] = entry;
      entries.push({ key: name, keyStart: key.offset, value: this.node });
    }
    // yaml's "Map comment with trailing content".
    if (commentEnd >= 0 && commentEnd < offset) giveUp();
    this.node = { kind: 'map', start: map.offset, entries };
    this.end = commentEnd >= 0 ? commentEnd : offset;
    return value;
  }

  /** yaml's resolveBlockSeq, for items that each start with `-`. */
  blockSeq(seq: CST.BlockSequence, depth: number): unknown[] {
    if (depth >= MAX_DEPTH) giveUp();
    const value: unknown[] = [];
    const items: YamlNode[] = [];
    let offset = seq.offset;
    let commentEnd = -1;
    for (const item of seq.items) {
      if ('key' in item || 'sep' in item) giveUp();
      let indicator = false;
      let hasComment = false;
      let hasSpace = true;
      for (const token of item.start) {
        switch (token.type) {
          case 'space':
            if (token.source.includes('\t')) giveUp();
            hasSpace = true;
            break;
          case 'newline':
            hasSpace = true;
            break;
          case 'comment':
            if (!hasSpace) giveUp();
            hasComment = true;
            break;
          case 'seq-item-ind':
            if (indicator) giveUp();
            indicator = true;
            hasSpace = false;
            break;
          default:
            giveUp();
        }
      }
      if (!indicator) {
        if (item.value || item.start.length === 0) giveUp();
        commentEnd = tokensEnd(item.start, offset);
        continue;
      }
      if (item.value) {
        if (item.value.type === 'block-seq') giveUp();
        value.push(this.compose(item.value, depth + 1));
      } else {
        value.push(null);
        this.empty(item.start, hasComment);
      }
      offset = this.end;
      items.push(this.node);
    }
    if (commentEnd >= 0 && commentEnd < offset) giveUp();
    this.node = { kind: 'seq', start: seq.offset, items };
    this.end = commentEnd >= 0 ? commentEnd : offset;
    return value;
  }

  /**
   * yaml's resolveFlowCollection, for `[a, b]` and `{ k: v }` on one line: scalar items only, no
   * comments, each item after the first behind exactly one comma, at most a trailing comma after the last.
   */
  flowCollection(flow: CST.FlowCollection): unknown {
    const isMap = flow.start.type === 'flow-map-start';
    if (!isMap && flow.start.type !== 'flow-seq-start') giveUp();
    const map: Record<string, unknown> = {};
    const seq: unknown[] = [];
    const entries: YamlEntry[] = [];
    const items: YamlNode[] = [];
    const last = flow.items.length - 1;
    for (let i = 0; i <= last; i++) {
      const { start, key, sep, value } = flow.items[i]!;
      let commas = 0;
      for (const token of start) {
        if (token.type === 'comma') commas++;
        else if (token.type !== 'space' || token.source.includes('\t')) giveUp();
      }
      if (commas > 1) giveUp();
      if (!key && !sep && !value) {
        if (i === 0 ? commas > 0 : i < last) giveUp();
        continue;
      }
      if (i === 0 ? commas > 0 : commas === 0) giveUp();
      if (!value || !isInlineScalar(value)) giveUp();
      if (isMap) {
        if (key?.type !== 'scalar' || !sep) giveUp();
        const name = keyName(key);
        if (Object.hasOwn(map, name)) giveUp();
        let indicators = 0;
        for (const token of sep) {
          if (token.type === 'map-value-ind') indicators++;
          else if (token.type !== 'space' || token.source.includes('\t')) giveUp();
        }
        if (indicators !== 1) giveUp();
        map[name] = this.scalar(value);
        entries.push({ key: name, keyStart: key.offset, value: this.node });
      } else {
        if (key || sep) giveUp();
        seq.push(this.scalar(value));
        items.push(this.node);
      }
    }
    const [close, ...after] = flow.end;
    if (close?.source !== (isMap ? '}' : ']')) giveUp();
    let hasSpace = false;
    for (const token of after) {
      if (token.type === 'comment' ? !hasSpace : !isBlank(token)) giveUp();
      if (token.type !== 'comment') hasSpace = true;
    }
    this.node = isMap
      ? { kind: 'map', start: flow.offset, entries }
      : { kind: 'seq', start: flow.offset, items };
    this.end = tokensEnd(flow.end, flow.offset);
    return isMap ? map : seq;
  }

  scalar(token: CST.FlowScalar | CST.BlockScalar): unknown {
    const { value, range } = CST.resolveAsScalar(token, true, giveUp);
    const plain = token.type === 'scalar';
    this.node = { kind: 'scalar', start: range[0], plain };
    this.end = range[2];
    return plain ? plainScalarValue(value) : value;
  }

  /** yaml's composeEmptyNode: a null placed after the indicator and the spaces behind it. */
  empty(before: readonly CST.SourceToken[], hasComment: boolean): void {
    const end = tokensEnd(before, 0);
    const start = emptyScalarPosition(end, before);
    this.node = { kind: 'scalar', start, plain: true };
    this.end = hasComment ? end : start;
  }
}

/** A key as yaml's composer would read it, if it is a single-line plain string allowed in a flag file. */
function keyName(key: CST.FlowScalar): string {
  if (key.source.includes('\n')) giveUp();
  if (key.end)
    for (const token of key.end) if (token.type !== 'space' || token.source.includes('\t')) giveUp();
  const name = CST.resolveAsScalar(key, true, giveUp).value;
  if (FORBIDDEN_KEYS.has(name) || someKeyTag(name)) giveUp();
  return name;
}

/** yaml's composeScalar for an untagged plain scalar: the first default tag whose test matches, else a string. */
function plainScalarValue(source: string): unknown {
  const tag = someValueTag(source) ? VALUE_TAGS.find((tag) => tag.test!.test(source)) : undefined;
  if (!tag) return source;
  const resolved: unknown = tag.resolve(source, giveUp, options);
  return isScalar(resolved) ? resolved.value : resolved;
}

/**
 * Whether some tag's test matches, in one match attempt built from those tests rather than one per
 * tag: most plain scalars are strings, which every test refuses. Tests with flags cannot be joined.
 */
function someTagTest(tags: readonly ScalarTag[]): (source: string) => boolean {
  if (tags.some((tag) => tag.test!.flags !== ''))
    return (source) => tags.some((tag) => tag.test!.test(source));
  const joined = new RegExp(tags.map((tag) => `(?:${tag.test!.source})`).join('|'));
  return (source) => joined.test(source);
}

function isInlineScalar(token: CST.Token): token is CST.FlowScalar {
  if (
    token.type !== 'scalar' &&
    token.type !== 'single-quoted-scalar' &&
    token.type !== 'double-quoted-scalar'
  )
    return false;
  if (token.source.includes('\n')) return false;
  if (token.end) for (const t of token.end) if (t.type !== 'space' || t.source.includes('\t')) return false;
  return true;
}

/** Whitespace and comments between nodes; tabs give up, as yaml refuses them as indentation. */
function isBlank(token: CST.Token): boolean {
  switch (token.type) {
    case 'space':
      return !token.source.includes('\t');
    case 'comment':
    case 'newline':
      return true;
    default:
      return false;
  }
}

function tokensEnd(tokens: readonly CST.SourceToken[], otherwise: number): number {
  const last = tokens[tokens.length - 1];
  return last ? last.offset + last.source.length : otherwise;
}

/** yaml's emptyScalarPosition: back over trailing blanks to the indicator, then forward over its spaces. */
function emptyScalarPosition(end: number, before: readonly CST.SourceToken[]): number {
  let offset = end;
  for (let i = before.length - 1; i >= 0; i--) {
    const token = before[i]!;
    if (token.type === 'space' || token.type === 'comment' || token.type === 'newline') {
      offset -= token.source.length;
      continue;
    }
    for (let j = i + 1; before[j]?.type === 'space'; j++) offset += before[j]!.source.length;
    break;
  }
  return offset;
}
