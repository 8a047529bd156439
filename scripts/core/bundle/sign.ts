import { createPublicKey, type KeyObject, sign } from 'node:crypto';
import { encodeBase64 } from './base64.js';
import {
  type BundleStatement,
  SIGNED_BUNDLE_FORMAT,
  type SignedBundleFile,
  STATEMENT_PAYLOAD_TYPE,
} from '../../runtime/bundle-format.js';
import { type DsseEnvelope, pae } from '../../runtime/dsse.js';
import { keyIdOf, spkiOf } from './key-ids.js';
import { canonicalBytes, canonicalJson } from '../canonical-json.js';

/** DSSE signing with Ed25519 (node:crypto), and the bundle file that carries content and envelope. */

export interface Signer {
  keyid: string;
  privateKey: KeyObject;
}

export function signerOf(privateKey: KeyObject): Signer {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519')
    throw new TypeError('signing keys are Ed25519 private keys');
  return { keyid: keyIdOf(spkiOf(createPublicKey(privateKey))), privateKey };
}

export function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signers: readonly Signer[],
): DsseEnvelope {
  const signed = pae(payloadType, payload);
  return {
    payload: encodeBase64(payload),
    payloadType,
    signatures: [...signers]
      .sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0))
      .map((s) => ({ keyid: s.keyid, sig: encodeBase64(sign(null, signed, s.privateKey)) })),
  };
}

/**
 * The bundle file's bytes: canonical JSON, so a verifier can insist on one spelling. That is
 * `{"content":"<base64>","envelope":{…},"format":"…"}` (members in sorted order), and base64 needs no
 * escaping, so the content's base64 goes straight into the bytes: no multi-megabyte JSON string is
 * built, escaped and encoded again. Byte for byte `canonicalJson(file)` (a test holds the two together).
 */
export function assembleBundle(
  contentBytes: Uint8Array,
  statement: BundleStatement,
  signers: readonly Signer[],
): Uint8Array {
  const envelope = signEnvelope(STATEMENT_PAYLOAD_TYPE, canonicalBytes(statement), signers);
  const base64 = encodeBase64(contentBytes);
  const head = '{"content":"';
  const tail = Buffer.from(
    `",${canonicalJson({ envelope, format: SIGNED_BUNDLE_FORMAT } satisfies Omit<SignedBundleFile, 'content'>).slice(1)}`,
    'utf8',
  );
  // Not from Buffer's shared pool: the caller gets bytes that own their memory, as TextEncoder gave.
  const out = Buffer.allocUnsafeSlow(head.length + base64.length + tail.byteLength);
  // Both are ASCII; Node writes an ASCII string several times faster than the same as latin1.
  out.write(head, 0, 'ascii');
  out.write(base64, head.length, 'ascii');
  tail.copy(out, head.length + base64.length);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
