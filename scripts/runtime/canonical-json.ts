/**
 * JSON Canonicalization Scheme (RFC 8785): object members sorted by the UTF-16 code units of their
 * names, no whitespace, strings and numbers as ECMAScript serialises them. The same data gives the
 * same bytes in any locale, time zone or file order. It lives with the runtime, which must not
 * depend on the core; the core re-exports it.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

const MAX_DEPTH = 256;

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
