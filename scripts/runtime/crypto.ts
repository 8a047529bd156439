import { nodeCrypto } from './native.js';

/**
 * The runtime's cryptography: sha256 and Ed25519 verification, nothing else. WebCrypto
 * (globalThis.crypto.subtle) everywhere, so the same code verifies in Node 20+, Deno, Bun, Workers
 * and browsers; where the runtime also has Node's crypto (found by feature detection, native.ts) it
 * does the work, with the same answers (test/runtime/signatures.test.ts holds the two together).
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

/** sha256 on WebCrypto alone. */
export async function webSha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await subtle().digest('SHA-256', source(bytes))));
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return nodeCrypto ? nodeCrypto.createHash('sha256').update(bytes).digest('hex') : webSha256Hex(bytes);
}

/** Node's key for each key imported where the runtime has Node's crypto. */
const nodeKeys = new WeakMap<CryptoKey, object>();

/** An Ed25519 public key from its DER SubjectPublicKeyInfo; undefined for anything else. */
export async function importEd25519Spki(spkiDer: Uint8Array): Promise<CryptoKey | undefined> {
  let key: CryptoKey;
  try {
    key = await subtle().importKey('spki', source(spkiDer), { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return undefined;
  }
  if (nodeCrypto)
    try {
      nodeKeys.set(key, nodeCrypto.createPublicKey({ key: spkiDer, format: 'der', type: 'spki' }));
    } catch {
      // WebCrypto took the key: it verifies with it.
    }
  return key;
}

/** Ed25519 over `signed`; false (never a throw) for a malformed signature. */
export async function verifyEd25519(
  key: CryptoKey,
  signed: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (signature.byteLength !== 64) return false;
  try {
    const nodeKey = nodeKeys.get(key);
    if (nodeCrypto && nodeKey) return nodeCrypto.verify(null, signed, nodeKey, signature);
    return await subtle().verify({ name: 'Ed25519' }, key, source(signature), source(signed));
  } catch {
    return false;
  }
}
