import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

/**
 * Public keys as the keyset stores them: Ed25519, DER SubjectPublicKeyInfo in base64. A key id is
 * the sha256 of those DER bytes in hex, so an id names exactly one key and can be recomputed.
 */

export const keyIdOf = (spkiDer: Uint8Array): string => createHash('sha256').update(spkiDer).digest('hex');

export function spkiOf(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** Imports an Ed25519 SPKI key; undefined for anything else. */
export function importPublicKey(spkiDer: Uint8Array): KeyObject | undefined {
  try {
    const key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}
