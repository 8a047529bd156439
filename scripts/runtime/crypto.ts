/**
 * The runtime's cryptography on WebCrypto (globalThis.crypto.subtle), so the same code verifies in
 * Node 20+, Deno, Bun, Workers and browsers: sha256 and Ed25519 verification, nothing else.
 */

const subtle = (): SubtleCrypto => {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new Error('WebCrypto (crypto.subtle) is not available in this JavaScript runtime');
  return s;
};

// WebCrypto takes a BufferSource backed by an ArrayBuffer; a view's own window is passed as it is.
const source = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;

const HEX = Array.from({ length: 256 }, (_, n) => n.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += HEX[byte];
  return text;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await subtle().digest('SHA-256', source(bytes))));
}

/** An Ed25519 public key from its DER SubjectPublicKeyInfo; undefined for anything else. */
export async function importEd25519Spki(spkiDer: Uint8Array): Promise<CryptoKey | undefined> {
  try {
    return await subtle().importKey('spki', source(spkiDer), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return undefined;
  }
}

/** Ed25519 over `signed`; false (never a throw) for a malformed signature. */
export async function verifyEd25519(
  key: CryptoKey,
  signed: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (signature.byteLength !== 64) return false;
  try {
    return await subtle().verify({ name: 'Ed25519' }, key, source(signature), source(signed));
  } catch {
    return false;
  }
}
