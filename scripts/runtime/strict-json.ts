/**
 * A strict JSON parser for untrusted envelopes and keysets. JSON.parse keeps the last of two equal
 * keys and ignores trailing whitespace, so two readers could disagree about what a document says;
 * this parser refuses duplicate keys (compared after unescaping), anything after the value, a byte
 * order mark and deep nesting. Strings with escapes are decoded by JSON.parse on the exact token,
 * so escapes follow the JSON grammar to the letter; in a string without any, a raw control
 * character is the only thing JSON refuses, and that is what is checked.
 */

export type StrictJsonProblem = 'syntax' | 'duplicate-key' | 'trailing-bytes' | 'too-deep';

export class StrictJsonError extends Error {
  readonly problem: StrictJsonProblem;
  /** Offset in UTF-16 code units (the same as bytes for ASCII documents). */
  readonly offset: number;
  constructor(problem: StrictJsonProblem, message: string, offset: number) {
    super(message);
    this.name = 'StrictJsonError';
    this.problem = problem;
    this.offset = offset;
  }
}

export interface StrictJsonOptions {
  maxDepth?: number;
  /** Whitespace before and after the value (a committed file's final newline). Default: refused. */
  allowOuterWhitespace?: boolean;
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const CONTROL = /[\u0000-\u001f]/;

export function parseStrictJson(text: string, options: StrictJsonOptions = {}): unknown {
  const maxDepth = options.maxDepth ?? 64;
  let i = 0;

  const fail = (message: string, at = i): never => {
    throw new StrictJsonError('syntax', `${message} at offset ${at}`, at);
  };
  const skipSpace = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };

  const parseString = (): string => {
    const start = i; // at the opening quote
    let end = text.indexOf('"', start + 1);
    // Fast path: no backslash before the closing quote (searched in a slice, so the search stops
    // there). Otherwise walk the escapes.
    const escaped = end !== -1 && text.slice(start + 1, end).indexOf('\\') !== -1;
    if (escaped) {
      let j = start + 1;
      for (;;) {
        if (j >= text.length) fail('unterminated string', start);
        const c = text.charCodeAt(j);
        if (c === 0x5c) j += 2;
        else if (c === 0x22) break;
        else j++;
      }
      end = j;
    }
    if (end === -1) fail('unterminated string', start);
    i = end + 1;
    if (!escaped) {
      // Without escapes the only thing JSON can refuse in a string is a raw control character; a
      // bundle's multi-megabyte base64 content is checked that way without being copied.
      const raw = text.slice(start + 1, end);
      if (CONTROL.test(raw)) fail('invalid string (control character)', start);
      return raw;
    }
    try {
      return JSON.parse(text.slice(start, end + 1)) as string;
    } catch {
      return fail('invalid string (control character or bad escape)', start);
    }
  };

  const parseValue = (depth: number): unknown => {
    skipSpace();
    const c = text.charCodeAt(i);
    if (c === 0x7b) return parseObject(depth + 1);
    if (c === 0x5b) return parseArray(depth + 1);
    if (c === 0x22) return parseString();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const match = NUMBER.exec(text);
    if (match) {
      i += match[0].length;
      return Number(match[0]);
    }
    return fail(
      i >= text.length ? 'unexpected end of input' : `unexpected character ${JSON.stringify(text[i])}`,
    );
  };

  const parseObject = (depth: number): Record<string, unknown> => {
    if (depth > maxDepth) throw new StrictJsonError('too-deep', `nesting deeper than ${maxDepth}`, i);
    i++; // {
    const out: Record<string, unknown> = {};
    skipSpace();
    if (text.charCodeAt(i) === 0x7d) {
      i++;
      return out;
    }
    for (;;) {
      skipSpace();
      if (text.charCodeAt(i) !== 0x22) fail('expected a member name');
      const at = i;
      const key = parseString();
      if (Object.hasOwn(out, key))
        throw new StrictJsonError(
          'duplicate-key',
          `duplicate key ${JSON.stringify(key)} at offset ${at}`,
          at,
        );
      skipSpace();
      if (text.charCodeAt(i) !== 0x3a) fail('expected ":"');
      i++;
      const value = parseValue(depth);
      // Define rather than assign, so a member named "__proto__" stays an ordinary member.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      skipSpace();
      const c = text.charCodeAt(i);
      if (c === 0x2c) i++;
      else if (c === 0x7d) {
        i++;
        return out;
      } else fail('expected "," or "}"');
    }
  };

  const parseArray = (depth: number): unknown[] => {
    if (depth > maxDepth) throw new StrictJsonError('too-deep', `nesting deeper than ${maxDepth}`, i);
    i++; // [
    const out: unknown[] = [];
    skipSpace();
    if (text.charCodeAt(i) === 0x5d) {
      i++;
      return out;
    }
    for (;;) {
      out.push(parseValue(depth));
      skipSpace();
      const c = text.charCodeAt(i);
      if (c === 0x2c) i++;
      else if (c === 0x5d) {
        i++;
        return out;
      } else fail('expected "," or "]"');
    }
  };

  if (!options.allowOuterWhitespace && i < text.length && text.charCodeAt(0) <= 0x20)
    fail('unexpected whitespace before the JSON value', 0);
  const value = parseValue(0);
  if (options.allowOuterWhitespace) skipSpace();
  if (i !== text.length) {
    throw new StrictJsonError(
      'trailing-bytes',
      `${text.length - i} unexpected byte(s) after the JSON value at offset ${i}`,
      i,
    );
  }
  return value;
}
