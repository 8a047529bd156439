import { createHash, type KeyObject } from 'node:crypto';

/**
 * Public keys as the keyset stores them: Ed25519, DER SubjectPublicKeyInfo in base64. A key id is
 * the sha256 of those DER bytes in hex, so an id names exactly one key and can be recomputed (the
 * runtime recomputes it on WebCrypto when it verifies a keyset).
 */

export const keyIdOf = (spkiDer: Uint8Array): string => createHash('sha256').update(spkiDer).digest('hex');

export function spkiOf(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}
