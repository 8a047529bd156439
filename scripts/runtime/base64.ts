/**
 * Strict base64. Node's decoder skips characters it does not know, so a tampered or truncated text
 * could still decode to something; here the text must be exactly what encoding the bytes gives, in
 * the standard alphabet with padding or the URL-safe one with or without it (DSSE allows both).
 *
 * Without re-encoding the bytes to compare (a bundle's content is megabytes, verified on every
 * load): every character Node's decoder skips, or stops at, leaves it fewer bytes than the text's
 * length promises, so the byte count catches them; the alphabet is one or the other; and the last
 * character carries no bits beyond the data, as an encoder writes it. test/runtime/formats.test.ts
 * checks this against re-encoding on every runtime the toolkit supports.
 */
export function decodeBase64Strict(text: unknown): Uint8Array | undefined {
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
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength !== Math.floor((data * 3) / 4)) return undefined;
  if (tail !== 0 && (sextet(text.charCodeAt(data - 1)) & (tail === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  return bytes;
}

/** The 6-bit value of a base64 character of either alphabet (the caller knows it is one). */
function sextet(c: number): number {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  return c === 0x2b || c === 0x2d ? 62 : 63;
}

export const encodeBase64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
