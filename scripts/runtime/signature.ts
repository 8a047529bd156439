import { type KeyObject, verify } from 'node:crypto';
import { decodeBase64Strict } from './base64.js';
import { type DsseEnvelope, type DsseSignature, pae } from './dsse.js';
import { VerificationError } from './errors.js';

/** Shared checks of DSSE envelopes for bundles and keysets: shape, base64 and Ed25519 signatures. */

const MAX_SIGNATURES = 16;

export interface DecodedEnvelope {
  payloadType: string;
  payload: Uint8Array;
  signatures: { keyid: string; sig: Uint8Array }[];
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
    if (typeof keyid !== 'string' || keyid === '')
      throw new VerificationError(malformed, `${what}: signature ${n + 1} names no keyid`);
    if (typeof sig !== 'string')
      throw new VerificationError(malformed, `${what}: signature ${n + 1} has no sig`);
    const bytes = decodeBase64Strict(sig);
    if (!bytes)
      throw new VerificationError(
        'bad-base64',
        `${what}: signature ${n + 1} (key ${short(keyid)}) is not valid base64`,
      );
    return { keyid, sig: bytes };
  });
  return { payloadType, payload: decodedPayload, signatures: decoded };
}

/** The bytes every signature of the envelope covers: PAE(payloadType, payload). */
export const signedBytes = (envelope: DecodedEnvelope): Buffer => pae(envelope.payloadType, envelope.payload);

/** Ed25519 over the PAE bytes. */
export function verifySignature(key: KeyObject, signed: Uint8Array, signature: Uint8Array): boolean {
  if (signature.byteLength !== 64) return false;
  try {
    return verify(null, signed, key, signature);
  } catch {
    return false;
  }
}

export const short = (keyid: string): string => (keyid.length > 16 ? `${keyid.slice(0, 16)}…` : keyid);
