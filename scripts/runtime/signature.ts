import { decodeBase64Strict } from './base64.js';
import { verifyEd25519 } from './crypto.js';
import { type DsseEnvelope, type DsseSignature, pae } from './dsse.js';
import { VerificationError } from './errors.js';

/** Shared checks of DSSE envelopes for bundles and keysets: shape, base64 and Ed25519 signatures. */

/** More signatures than any real envelope carries is refused before any is tried. */
export const MAX_SIGNATURES = 16;
/**
 * At most this many Ed25519 checks per envelope: a signature naming its key costs one, one without
 * a keyid (DSSE makes it optional) one per key it may be by. An envelope needing more is refused.
 */
export const MAX_SIGNATURE_CHECKS = 64;

export interface DecodedSignature {
  /** Undefined when the signature names no key (DSSE: keyid is optional). */
  keyid: string | undefined;
  sig: Uint8Array;
}

export interface DecodedEnvelope {
  payloadType: string;
  payload: Uint8Array;
  signatures: DecodedSignature[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function decodeEnvelope(
  value: unknown,
  what: string,
  malformed: 'bad-format' | 'keyset-invalid',
): DecodedEnvelope {
  if (!isRecord(value)) throw new VerificationError(malformed, `${what}: the envelope is not a JSON object`);
  const { payload, payloadType, signatures } = value as Partial<Record<keyof DsseEnvelope, unknown>>;
  if (typeof payloadType !== 'string')
    throw new VerificationError(malformed, `${what}: the envelope has no payloadType`);
  if (typeof payload !== 'string')
    throw new VerificationError(malformed, `${what}: the envelope has no payload`);
  if (signatures === undefined || signatures === null)
    throw new VerificationError('no-signatures', `${what}: the envelope has no signatures`);
  if (!Array.isArray(signatures))
    throw new VerificationError(malformed, `${what}: the envelope's signatures are not a list`);
  if (signatures.length === 0)
    throw new VerificationError('no-signatures', `${what}: the envelope's list of signatures is empty`);
  if (signatures.length > MAX_SIGNATURES)
    throw new VerificationError(malformed, `${what}: more than ${MAX_SIGNATURES} signatures`);
  const decodedPayload = decodeBase64Strict(payload);
  if (!decodedPayload)
    throw new VerificationError('bad-base64', `${what}: the envelope's payload is not valid base64`);
  const decoded = signatures.map((entry: unknown, n) => {
    if (!isRecord(entry))
      throw new VerificationError(malformed, `${what}: signature ${n + 1} is not an object`);
    const { keyid, sig } = entry as Partial<Record<keyof DsseSignature, unknown>>;
    if (keyid !== undefined && typeof keyid !== 'string')
      throw new VerificationError(malformed, `${what}: signature ${n + 1} has a keyid that is not a string`);
    if (typeof sig !== 'string')
      throw new VerificationError(malformed, `${what}: signature ${n + 1} has no sig`);
    const bytes = decodeBase64Strict(sig);
    if (!bytes)
      throw new VerificationError(
        'bad-base64',
        `${what}: signature ${n + 1}${keyid ? ` (key ${short(keyid)})` : ''} is not valid base64`,
      );
    // An empty keyid is DSSE's "unset".
    return { keyid: keyid === '' ? undefined : keyid, sig: bytes };
  });
  return { payloadType, payload: decodedPayload, signatures: decoded };
}

/** The bytes every signature of the envelope covers: PAE(payloadType, payload). */
export const signedBytes = (envelope: DecodedEnvelope): Uint8Array =>
  pae(envelope.payloadType, envelope.payload);

export interface SignatureCheck<K extends { keyid: string; publicKey: CryptoKey }> {
  /** Keys with a signature that verifies, each once, in key id order. */
  verified: K[];
  /** Key ids named by a signature that is not by a known key. */
  unknown: string[];
  /** Key ids of known keys whose signature does not verify. */
  failed: string[];
  /** Signatures naming no key that verify by none of the keys tried. */
  anonymousFailed: number;
}

/**
 * Every signature of the envelope, checked: one naming a key is tried against that key alone (the
 * id only selects; a trusted id with another key's signature fails), one naming none against each
 * key of `anonymousCandidates`. The answer does not depend on the order of the signatures.
 */
export async function checkSignatures<K extends { keyid: string; publicKey: CryptoKey }>(
  envelope: DecodedEnvelope,
  what: string,
  lookup: (keyid: string) => K | undefined,
  anonymousCandidates: () => readonly K[],
): Promise<SignatureCheck<K>> {
  const anonymous = envelope.signatures.filter((s) => s.keyid === undefined).length;
  const candidates = anonymous > 0 ? anonymousCandidates() : [];
  const checks = envelope.signatures.length - anonymous + anonymous * candidates.length;
  if (checks > MAX_SIGNATURE_CHECKS)
    throw new VerificationError(
      'bad-format',
      `${what}: its ${envelope.signatures.length} signatures (${anonymous} naming no key) would take ${checks} signature checks, over the cap of ${MAX_SIGNATURE_CHECKS}; name the key of each signature (keyid)`,
    );
  const signed = signedBytes(envelope);
  const verified = new Map<string, K>();
  const unknown: string[] = [];
  const failed: string[] = [];
  let anonymousFailed = 0;
  for (const { keyid, sig } of envelope.signatures) {
    if (keyid === undefined) {
      let by: K | undefined;
      for (const key of candidates)
        if (await verifyEd25519(key.publicKey, signed, sig)) {
          by = key;
          break;
        }
      if (by) verified.set(by.keyid, by);
      else anonymousFailed++;
      continue;
    }
    const key = lookup(keyid);
    if (!key) unknown.push(keyid);
    else if (await verifyEd25519(key.publicKey, signed, sig)) verified.set(keyid, key);
    else failed.push(keyid);
  }
  return {
    verified: [...verified.values()].sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0)),
    unknown: [...new Set(unknown)].sort(),
    failed: [...new Set(failed)].sort(),
    anonymousFailed,
  };
}

export const short = (keyid: string): string => (keyid.length > 16 ? `${keyid.slice(0, 16)}…` : keyid);
