/**
 * Strict base64. Node's decoder skips characters it does not know, so a tampered or truncated text
 * could still decode to something; here the text must be exactly what encoding the bytes gives, in
 * the standard alphabet with padding or the URL-safe one with or without it (DSSE allows both).
 */
export function decodeBase64Strict(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string') return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') === text) return bytes;
  const url = bytes.toString('base64url');
  if (url === text) return bytes;
  let padding = 0;
  while (padding < 3 && text.charCodeAt(text.length - 1 - padding) === 0x3d) padding++;
  if (padding > 0 && padding === (4 - (url.length % 4)) % 4 && text.slice(0, -padding) === url) return bytes;
  return undefined;
}

export const encodeBase64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
