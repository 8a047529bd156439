/**
 * Strict base64 on standard APIs only (the runtime runs where there is no Buffer: Deno, Workers,
 * browsers). The text must be exactly what encoding the bytes gives, in the standard alphabet with
 * padding or the URL-safe one with or without it (DSSE allows both): no skipped characters, no
 * mixed alphabets, no bits in the last character beyond the data. The decoder reads character
 * codes from bytes, so a bundle's multi-megabyte content decodes straight from the file's bytes
 * without a string in between (test/runtime/formats.test.ts checks it against re-encoding).
 */

/** Sextet of each character code of either alphabet; 255 for any other code. */
const SEXTET = new Uint8Array(256).fill(255);
const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < 64; i++) SEXTET[STANDARD.charCodeAt(i)] = i;
SEXTET[0x2d] = 62; // '-'
SEXTET[0x5f] = 63; // '_'

const encoder = new TextEncoder();

export function decodeBase64Strict(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  // A character outside ASCII encodes to bytes >= 0x80, which no alphabet holds.
  return decodeBase64Codes(encoder.encode(text));
}

/** Strict base64 from the character codes (bytes) of the text. */
export function decodeBase64Codes(codes: Uint8Array): Uint8Array | undefined {
  const length = codes.length;
  let padding = 0;
  while (padding < 3 && padding < length && codes[length - 1 - padding] === 0x3d) padding++;
  const data = length - padding;
  const tail = data % 4;
  if (padding > 2 || tail === 1 || (padding > 0 && (length % 4 !== 0 || padding !== (4 - tail) % 4)))
    return undefined;
  const out = new Uint8Array(Math.floor((data * 3) / 4));
  let standard = false;
  let urlSafe = false;
  let o = 0;
  let i = 0;
  const whole = data - tail;
  for (; i < whole; i += 4) {
    const a = SEXTET[codes[i]!]!;
    const b = SEXTET[codes[i + 1]!]!;
    const c = SEXTET[codes[i + 2]!]!;
    const d = SEXTET[codes[i + 3]!]!;
    if ((a | b | c | d) === 255) return undefined;
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 0x0f) << 4) | (c >> 2);
    out[o++] = ((c & 0x03) << 6) | d;
  }
  if (tail !== 0) {
    const a = SEXTET[codes[i]!]!;
    const b = SEXTET[codes[i + 1]!]!;
    const c = tail === 3 ? SEXTET[codes[i + 2]!]! : 0;
    if ((a | b | c) === 255) return undefined;
    out[o++] = (a << 2) | (b >> 4);
    if (tail === 3) out[o++] = ((b & 0x0f) << 4) | (c >> 2);
    // The last character carries no bits beyond the data, as an encoder writes it.
    if ((tail === 2 ? b & 0x0f : c & 0x03) !== 0) return undefined;
  }
  // The two alphabets never mix, and the standard one is always padded. Checked over the
  // characters that differ only (rare in the loop above: a second pass over a few codes is cheap).
  for (let k = 0; k < data; k++) {
    const ch = codes[k];
    if (ch === 0x2b || ch === 0x2f) standard = true;
    else if (ch === 0x2d || ch === 0x5f) urlSafe = true;
  }
  if (standard && (urlSafe || (tail !== 0 && padding === 0))) return undefined;
  return out;
}

const ALPHABET = encoder.encode(STANDARD);
const ascii = new TextDecoder('ascii');

export function encodeBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ALPHABET[n >> 18]!;
    out[o++] = ALPHABET[(n >> 12) & 63]!;
    out[o++] = ALPHABET[(n >> 6) & 63]!;
    out[o++] = ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = ALPHABET[n >> 18]!;
    out[o++] = ALPHABET[(n >> 12) & 63]!;
    out[o++] = rest === 2 ? ALPHABET[(n >> 6) & 63]! : 0x3d;
    out[o++] = 0x3d;
  }
  return ascii.decode(out);
}
