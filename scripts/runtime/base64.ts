import { fromBase64, nativeBuffer } from './native.js';

/**
 * Strict base64: the text must be exactly what encoding the bytes gives, in the standard alphabet
 * with padding or the URL-safe one with or without it (DSSE allows both): no skipped characters,
 * no mixed alphabets, no bits in the last character beyond the data.
 *
 * The decoding itself is the JavaScript runtime's own where it has one (`Uint8Array.fromBase64`,
 * else Node's and Bun's `Buffer`, both found by feature detection: a bundle's content is megabytes,
 * verified on every load, and native decoding is ~50× faster than any decoder written here), else
 * a decoder on standard APIs. Native decoders are lax (Buffer skips characters it does not know and
 * stops at '='; fromBase64 skips whitespace), so strictness never depends on them: the checks below
 * are made on the text, and every character a decoder skips or stops at leaves it fewer bytes than
 * the text's length promises, so the byte count catches it. test/runtime/formats.test.ts holds every
 * decoder available to the same cases, checked against re-encoding.
 */

/** Decodes base64 of the given alphabet; may skip characters it does not know, or throw. */
export type Base64Decoder = (text: string, urlSafe: boolean) => Uint8Array;

/** Sextet of each character code of either alphabet; 255 for any other code. */
const SEXTET = new Uint8Array(256).fill(255);
const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < 64; i++) SEXTET[STANDARD.charCodeAt(i)] = i;
SEXTET[0x2d] = 62; // '-'
SEXTET[0x5f] = 63; // '_'

/** The decoder on standard APIs only: throws at any character outside both alphabets. */
export const portableDecoder: Base64Decoder = (text) => {
  let data = text.length;
  while (data > 0 && text.charCodeAt(data - 1) === 0x3d) data--;
  const out = new Uint8Array(Math.floor((data * 3) / 4));
  let bits = 0;
  let held = 0;
  let o = 0;
  for (let i = 0; i < data; i++) {
    const code = text.charCodeAt(i);
    const sextet = code < 256 ? SEXTET[code]! : 255;
    if (sextet === 255) throw new Error('not base64');
    bits = ((bits << 6) | sextet) & 0xffffff;
    held += 6;
    if (held >= 8) {
      held -= 8;
      out[o++] = (bits >> held) & 0xff;
    }
  }
  return out;
};

/** The decoders this JavaScript runtime has, fastest first; the portable one is always last. */
export const availableDecoders: ReadonlyArray<{ name: string; decode: Base64Decoder }> = decoders();

function decoders(): { name: string; decode: Base64Decoder }[] {
  const found: { name: string; decode: Base64Decoder }[] = [];
  const native = fromBase64;
  if (native)
    found.push({
      name: 'Uint8Array.fromBase64',
      decode: (text, urlSafe) =>
        native(text, { alphabet: urlSafe ? 'base64url' : 'base64', lastChunkHandling: 'loose' }),
    });
  const buffer = nativeBuffer;
  if (buffer) found.push({ name: 'buffer', decode: (text) => buffer.from(text, 'base64') });
  found.push({ name: 'portable', decode: portableDecoder });
  return found;
}

/** Strict decoding over a decoder: undefined for anything but the exact encoding of some bytes. */
export function strictBase64(decode: Base64Decoder): (text: unknown) => Uint8Array | undefined {
  return (text) => {
    if (typeof text !== 'string') return undefined;
    let padding = 0;
    while (padding < 3 && text.charCodeAt(text.length - 1 - padding) === 0x3d) padding++;
    const data = text.length - padding;
    const tail = data % 4;
    if (padding > 2 || tail === 1 || (padding > 0 && (text.length % 4 !== 0 || padding !== (4 - tail) % 4)))
      return undefined;
    const firstPad = text.indexOf('=');
    if (firstPad !== -1 && firstPad < data) return undefined;
    const standard = text.indexOf('+') !== -1 || text.indexOf('/') !== -1;
    const urlSafe = text.indexOf('-') !== -1 || text.indexOf('_') !== -1;
    // The two alphabets never mix, and the standard one is always padded.
    if (standard && (urlSafe || (tail !== 0 && padding === 0))) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = decode(text, urlSafe);
    } catch {
      return undefined;
    }
    if (bytes.byteLength !== Math.floor((data * 3) / 4)) return undefined;
    // The last character carries no bits beyond the data, as an encoder writes it.
    if (tail !== 0 && (SEXTET[text.charCodeAt(data - 1)]! & (tail === 2 ? 0x0f : 0x03)) !== 0)
      return undefined;
    return bytes;
  };
}

export const decodeBase64Strict = strictBase64(availableDecoders[0]!.decode);
