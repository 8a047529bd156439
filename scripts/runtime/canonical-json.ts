/**
 * JSON Canonicalization Scheme (RFC 8785): object members sorted by the UTF-16 code units of their
 * names, no whitespace, strings and numbers as ECMAScript serialises them. The same data gives the
 * same bytes in any locale, time zone or file order. It lives with the runtime, which must not
 * depend on the core; the core re-exports it.
 */
export function canonicalJson(value: unknown): string {
  // Fast path: the native JSON.stringify, which spells strings and numbers as RFC 8785 does, over
  // a graph whose objects all list their members in sorted order: the objects that already do are
  // used as they are (the compiler builds them so), the others are copied sorted. Integer-like
  // member names defeat it, because JavaScript enumerates those first in numeric order, and so do
  // objects that are not plain; then the member-by-member writer below does the work.
  try {
    return JSON.stringify(inOrder(value, 0));
  } catch (error) {
    if (error !== FALLBACK) throw error;
  }
  return write(value, 0);
}

const MAX_DEPTH = 256;
const FALLBACK = Symbol('canonical JSON fallback');
const INTEGER_LIKE = /^(?:0|[1-9][0-9]*)$/;

/** The value itself when its objects are in canonical order already; else a sorted copy. */
function inOrder(value: unknown, depth: number): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot canonicalize ${value}`);
      return value;
    case 'object':
      break;
    default:
      throw new TypeError(`cannot canonicalize a ${typeof value}`);
  }
  if (depth > MAX_DEPTH) throw new RangeError('cannot canonicalize: nesting is too deep');
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === undefined) throw new TypeError(`cannot canonicalize undefined at index ${i}`);
      const next = inOrder(item, depth + 1);
      if (next !== item) {
        copy ??= value.slice(0, i);
      }
      if (copy) copy.push(next);
    }
    return copy ?? value;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw FALLBACK;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let sorted = true;
  let children: unknown[] | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const first = key.charCodeAt(0);
    if ((first >= 0x30 && first <= 0x39 && INTEGER_LIKE.test(key)) || key === '__proto__') throw FALLBACK;
    if (i > 0 && keys[i - 1]! > key) sorted = false;
    const member = record[key];
    if (member === undefined) continue;
    const next = inOrder(member, depth + 1);
    if (next !== member) {
      children ??= [];
      children[i] = next;
    }
  }
  if (sorted && !children) return record;
  const order = keys.map((_, i) => i);
  if (!sorted) order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const i of order) {
    const member = record[keys[i]!];
    if (member !== undefined) out[keys[i]!] = children?.[i] ?? member;
  }
  return out;
}

function write(value: unknown, depth: number): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`cannot canonicalize ${value}`);
      // ECMAScript's Number serialisation is RFC 8785's, including -0 → 0 and 1e+21.
      return JSON.stringify(value);
    case 'object': {
      if (depth > MAX_DEPTH) throw new RangeError('cannot canonicalize: nesting is too deep');
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          if (item === undefined) throw new TypeError(`cannot canonicalize undefined at index ${i}`);
          out += (i === 0 ? '' : ',') + write(item, depth + 1);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      // Array.prototype.sort without a comparator compares UTF-16 code units, as RFC 8785 asks.
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(key)}:${write(member, depth + 1)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`cannot canonicalize a ${typeof value}`);
  }
}

/** The canonical JSON of a value as UTF-8 bytes: what gets hashed and signed. */
export const canonicalBytes = (value: unknown): Uint8Array => new TextEncoder().encode(canonicalJson(value));
