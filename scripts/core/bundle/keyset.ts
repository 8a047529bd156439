import { createHash, type KeyObject } from 'node:crypto';
import { encodeBase64 } from './base64.js';
import { formatInstant } from '../../runtime/instant.js';
import { keyIdOf, spkiOf } from './key-ids.js';
import {
  KEYSET_FILE_FORMAT,
  KEYSET_FORMAT,
  KEYSET_PAYLOAD_TYPE,
  type KeysetFile,
  type KeysetKey,
  type KeysetPayload,
  type TrustedKeyset,
} from '../../runtime/keyset.js';
import { canonicalBytes } from '../canonical-json.js';
import { type Signer, signEnvelope } from './sign.js';

/**
 * Making keyset versions: the first, signed by every key it holds, and each next one, signed by
 * the keys it adds and by old keys for the environments it changes. The runtime's verifyKeyset is
 * the single judge of whether a chain is acceptable; these helpers only produce what it accepts.
 */

export interface KeySpec {
  publicKey: KeyObject;
  environments: readonly string[];
  notBefore: number;
  notAfter?: number;
  development?: boolean;
  comment?: string;
}

export function keysetEntry(spec: KeySpec): [string, KeysetKey] {
  const der = spkiOf(spec.publicKey);
  const entry: KeysetKey = {
    algorithm: 'ed25519',
    publicKey: encodeBase64(der),
    environments: [...new Set(spec.environments)].sort(),
    notBefore: formatInstant(spec.notBefore),
    ...(spec.notAfter === undefined ? {} : { notAfter: formatInstant(spec.notAfter) }),
    ...(spec.development ? { development: true } : {}),
    ...(spec.comment ? { comment: spec.comment } : {}),
  };
  return [keyIdOf(der), entry];
}

export function createKeyset(
  project: string,
  keys: Record<string, KeysetKey>,
  signers: readonly Signer[],
  issuedAt: number,
): KeysetFile {
  const payload: KeysetPayload = {
    format: KEYSET_FORMAT,
    project,
    version: 1,
    issuedAt: formatInstant(issuedAt),
    previous: null,
    keys,
  };
  return {
    format: KEYSET_FILE_FORMAT,
    versions: [signEnvelope(KEYSET_PAYLOAD_TYPE, canonicalBytes(payload), signers)],
  };
}

/** Appends the next version (the caller has verified `file` into `latest`). */
export function appendKeysetVersion(
  file: KeysetFile,
  latest: TrustedKeyset,
  keys: Record<string, KeysetKey>,
  signers: readonly Signer[],
  issuedAt: number,
): KeysetFile {
  const payload: KeysetPayload = {
    format: KEYSET_FORMAT,
    project: latest.project,
    version: latest.version + 1,
    issuedAt: formatInstant(issuedAt),
    previous: latest.digest,
    keys,
  };
  return {
    format: KEYSET_FILE_FORMAT,
    versions: [...file.versions, signEnvelope(KEYSET_PAYLOAD_TYPE, canonicalBytes(payload), signers)],
  };
}

/**
 * The keys after replacing `oldKeyid` with a new key for the same environments (or `environments`).
 * The old key is retired when the new one takes over (its notBefore): from then on it signs
 * nothing, neither bundles nor keyset versions. It stays trusted until `retireAt` for the bundles
 * it signed before, so they keep verifying until they expire; without `retireAt` it is removed at once.
 */
export function rotatedKeys(
  current: Record<string, KeysetKey>,
  oldKeyid: string,
  replacement: Omit<KeySpec, 'environments'> & { environments?: readonly string[] },
  retireAt?: number,
): Record<string, KeysetKey> {
  const old = current[oldKeyid];
  if (!old) throw new RangeError(`key ${oldKeyid} is not in the keyset`);
  const next: Record<string, KeysetKey> = { ...current };
  if (retireAt === undefined) delete next[oldKeyid];
  else {
    const notBefore = Date.parse(old.notBefore);
    const earlier = old.retiredAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(old.retiredAt);
    const retiredAt = Math.max(notBefore, Math.min(replacement.notBefore, earlier, retireAt));
    next[oldKeyid] = { ...old, retiredAt: formatInstant(retiredAt), notAfter: formatInstant(retireAt) };
  }
  const [keyid, entry] = keysetEntry({
    ...replacement,
    environments: replacement.environments ?? old.environments,
  });
  next[keyid] = entry;
  return next;
}

/** Pretty-printed for review in pull requests; verifiers parse it strictly either way. */
export const serializeKeysetFile = (file: KeysetFile): string => `${JSON.stringify(file, null, 2)}\n`;

export const digestOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
