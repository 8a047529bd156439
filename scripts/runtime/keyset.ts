import { decodeBase64Strict } from './base64.js';
import { canonicalJson } from './canonical-json.js';
import type { DsseEnvelope } from './dsse.js';
import { VerificationError } from './errors.js';
import { formatInstant, parseInstant } from './instant.js';
import { importEd25519Spki, sha256Hex } from './crypto.js';
import { checkSignatures, type DecodedEnvelope, decodeEnvelope, short } from './signature.js';
import { parseStrictJson, StrictJsonError } from './strict-json.js';

/**
 * The keyset: the public keys allowed to sign a project's bundles, each with the environments it
 * may sign for and a validity window. The committed file holds every version, each a DSSE envelope.
 * Version 1 is signed by all its keys; every later version by each key it adds and, for every
 * environment whose keys change, by a key that could sign for it in the version before. A
 * verifier that pins version 1 (or remembers a later one) therefore only ever trusts keys that the
 * holders of the earlier keys agreed to.
 *
 * A key's authority ends with its window. Versions carry the instant they were issued, which
 * never goes back along the chain; an old key's signature counts for a version only when that
 * instant is inside the key's window in the version before, and a key that a rotation retired
 * (`retiredAt`) signs no later version at all. So the holder of a retired or expired key, however
 * it dates what it signs, can no longer add a key or give its own key a new life. The chain is
 * judged by what it says alone, never by the verifier's clock, so it verifies the same everywhere.
 */

export const KEYSET_FORMAT = 'flags-keyset/v1';
export const KEYSET_PAYLOAD_TYPE = 'application/vnd.flags-as-code.keyset.v1+json';
export const KEYSET_FILE_FORMAT = 'flags-keyset-chain/v1';
export const MAX_KEYSET_BYTES = 1_048_576;

export interface KeysetKey {
  algorithm: 'ed25519';
  /** Base64 of the DER SubjectPublicKeyInfo. */
  publicKey: string;
  environments: string[];
  notBefore: string;
  notAfter?: string;
  /**
   * Set by a rotation: from this instant the key signs nothing new (no bundle issued at or after
   * it, no later keyset version); bundles issued before it keep verifying until notAfter.
   */
  retiredAt?: string;
  /** A workstation key made by `flags build`: only verifiers that allow development trust it. */
  development?: boolean;
  comment?: string;
}

export interface KeysetPayload {
  format: typeof KEYSET_FORMAT;
  project: string;
  version: number;
  issuedAt: string;
  /** sha256 (hex) of the previous version's payload bytes; null for version 1. */
  previous: string | null;
  /** Key id (sha256 of the SPKI, hex) → key. */
  keys: Record<string, KeysetKey>;
}

export interface KeysetFile {
  format: typeof KEYSET_FILE_FORMAT;
  versions: DsseEnvelope[];
}

export interface TrustedKey {
  keyid: string;
  publicKey: CryptoKey;
  environments: ReadonlySet<string>;
  notBefore: number;
  /** Epoch ms; Infinity when the key does not expire. */
  notAfter: number;
  /** Epoch ms; Infinity when the key has not been retired. */
  retiredAt: number;
  development: boolean;
  comment?: string;
}

export interface TrustedKeyset {
  project: string;
  version: number;
  /** sha256 of the latest version's payload: what a state file remembers. */
  digest: string;
  /** sha256 of version 1's payload: what an application may pin. */
  root: string;
  /** sha256 of every version's payload, version 1 first: what a remembered version is held to. */
  digests: readonly string[];
  keys: ReadonlyMap<string, TrustedKey>;
  payload: KeysetPayload;
}

export interface KeysetOptions {
  /** Expected sha256 of version 1's payload. */
  root?: string;
  /** The newest version seen before (from a state file): the keyset may not go back. */
  previous?: { version: number; digest: string };
  maxBytes?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const ENVIRONMENT = /^[a-z][a-z0-9-]{0,31}$/;
const PROJECT = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const invalid = (message: string) => new VerificationError('keyset-invalid', `keyset: ${message}`);
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses the keyset file strictly and verifies its whole chain of versions. */
export async function verifyKeyset(
  input: Uint8Array | string,
  options: KeysetOptions = {},
): Promise<TrustedKeyset> {
  const maxBytes = options.maxBytes ?? MAX_KEYSET_BYTES;
  const size = typeof input === 'string' ? new TextEncoder().encode(input).byteLength : input.byteLength;
  if (size > maxBytes)
    throw new VerificationError('too-large', `keyset: ${size} bytes, over the cap of ${maxBytes}`);
  let text: string;
  try {
    text =
      typeof input === 'string'
        ? input
        : new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch {
    throw new VerificationError('not-utf8', 'keyset: the file is not valid UTF-8');
  }
  let file: unknown;
  try {
    file = parseStrictJson(text, { allowOuterWhitespace: true });
  } catch (error) {
    if (error instanceof StrictJsonError)
      throw new VerificationError(
        error.problem === 'duplicate-key'
          ? 'duplicate-key'
          : error.problem === 'trailing-bytes'
            ? 'trailing-bytes'
            : 'malformed-json',
        `keyset: ${error.message}`,
      );
    throw error;
  }
  if (!isRecord(file) || file.format !== KEYSET_FILE_FORMAT)
    throw invalid(`not a keyset file (expected format "${KEYSET_FILE_FORMAT}")`);
  const versions = file.versions;
  if (!Array.isArray(versions) || versions.length === 0) throw invalid('the file holds no versions');

  let previous: { payload: KeysetPayload; digest: string; keys: Map<string, TrustedKey> } | undefined;
  let root = '';
  const digests: string[] = [];
  for (const [index, envelope] of (versions as unknown[]).entries()) {
    const what = `keyset version ${index + 1}`;
    const decoded = decodeEnvelope(envelope, what, 'keyset-invalid');
    if (decoded.payloadType !== KEYSET_PAYLOAD_TYPE)
      throw invalid(
        `version ${index + 1} has payload type "${decoded.payloadType}", not "${KEYSET_PAYLOAD_TYPE}"`,
      );
    const payload = parsePayload(decoded.payload, index + 1);
    const digest = await sha256Hex(decoded.payload);
    const keys = await importKeys(payload);
    const signedBy = await signersOf(decoded, what, keys, previous?.keys);
    if (!previous) {
      if (payload.previous !== null) throw invalid('version 1 names a previous version');
      for (const keyid of keys.keys())
        if (!signedBy.has(keyid))
          throw new VerificationError(
            'keyset-new-key-missing',
            `${what} is not signed by its key ${short(keyid)}`,
          );
      root = digest;
      if (options.root !== undefined && options.root !== root)
        throw new VerificationError(
          'keyset-root-mismatch',
          `keyset: version 1 has digest ${root}, not the pinned ${options.root}`,
        );
    } else {
      if (payload.previous !== previous.digest)
        throw new VerificationError(
          'keyset-chain-broken',
          `${what} does not name version ${index} as its previous version`,
        );
      if (payload.project !== previous.payload.project)
        throw new VerificationError('keyset-chain-broken', `${what} changes the project`);
      if (parseInstant(payload.issuedAt)! < parseInstant(previous.payload.issuedAt)!)
        throw new VerificationError(
          'keyset-chain-broken',
          `${what} is issued at ${payload.issuedAt}, before version ${index} (${previous.payload.issuedAt}); versions never go back in time`,
        );
      checkRotation(what, previous.payload, payload, previous.keys, keys, signedBy);
    }
    digests.push(digest);
    previous = { payload, digest, keys };
  }
  const latest = previous!;
  const trusted: TrustedKeyset = {
    project: latest.payload.project,
    version: latest.payload.version,
    digest: latest.digest,
    root,
    digests,
    keys: latest.keys,
    payload: latest.payload,
  };
  if (options.previous) checkNotRolledBack(trusted, options.previous);
  return trusted;
}

/**
 * Refuses a keyset older than the version seen before, or whose version of that number is not the
 * one seen (a substitution). The runtime and `flags verify --state` both hold keysets to this.
 */
export function checkNotRolledBack(keyset: TrustedKeyset, seen: { version: number; digest: string }): void {
  if (keyset.version < seen.version)
    throw new VerificationError(
      'keyset-rollback',
      `keyset: version ${keyset.version} is older than version ${seen.version}, seen before; give the newest keyset (or remove the state file's keyset entry only if you trust this one)`,
    );
  if (keyset.digests[seen.version - 1] !== seen.digest)
    throw new VerificationError(
      'keyset-rollback',
      `keyset: version ${seen.version} differs from the version ${seen.version} seen before (digest ${seen.digest.slice(0, 16)}…): the keyset was replaced, not extended`,
    );
}

function parsePayload(bytes: Uint8Array, version: number): KeysetPayload {
  let value: unknown;
  try {
    value = parseStrictJson(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (error) {
    throw invalid(`version ${version}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const at = `version ${version}`;
  if (!isRecord(value) || value.format !== KEYSET_FORMAT)
    throw invalid(`${at}: not a "${KEYSET_FORMAT}" payload`);
  if (typeof value.project !== 'string' || !PROJECT.test(value.project)) throw invalid(`${at}: bad project`);
  if (value.version !== version)
    throw new VerificationError(
      'keyset-chain-broken',
      `keyset: entry ${version} says it is version ${String(value.version)}`,
    );
  if (parseInstant(value.issuedAt) === undefined) throw invalid(`${at}: bad issuedAt`);
  if (!(value.previous === null || (typeof value.previous === 'string' && HEX64.test(value.previous))))
    throw invalid(`${at}: bad previous`);
  if (!isRecord(value.keys) || Object.keys(value.keys).length === 0) throw invalid(`${at}: no keys`);
  for (const [keyid, key] of Object.entries(value.keys)) {
    const where = `${at}, key ${short(keyid)}`;
    if (!HEX64.test(keyid)) throw invalid(`${where}: the key id is not a sha256`);
    if (!isRecord(key) || key.algorithm !== 'ed25519') throw invalid(`${where}: not an ed25519 key`);
    if (
      !Array.isArray(key.environments) ||
      key.environments.length === 0 ||
      !key.environments.every((e) => typeof e === 'string' && ENVIRONMENT.test(e)) ||
      new Set(key.environments).size !== key.environments.length
    )
      throw invalid(`${where}: bad environments`);
    const notBefore = parseInstant(key.notBefore);
    if (notBefore === undefined) throw invalid(`${where}: bad notBefore`);
    let notAfter = Number.POSITIVE_INFINITY;
    if (key.notAfter !== undefined) {
      notAfter = parseInstant(key.notAfter) ?? Number.NaN;
      if (!(notAfter > notBefore)) throw invalid(`${where}: bad notAfter`);
    }
    if (key.retiredAt !== undefined) {
      const retiredAt = parseInstant(key.retiredAt);
      if (retiredAt === undefined || retiredAt < notBefore || retiredAt > notAfter)
        throw invalid(`${where}: bad retiredAt (an instant between notBefore and notAfter)`);
    }
    if (key.development !== undefined && typeof key.development !== 'boolean')
      throw invalid(`${where}: bad development`);
    if (key.comment !== undefined && typeof key.comment !== 'string') throw invalid(`${where}: bad comment`);
    if (typeof key.publicKey !== 'string') throw invalid(`${where}: no publicKey`);
  }
  return value as unknown as KeysetPayload;
}

async function importKeys(payload: KeysetPayload): Promise<Map<string, TrustedKey>> {
  const keys = new Map<string, TrustedKey>();
  for (const keyid of Object.keys(payload.keys).sort()) {
    const entry = payload.keys[keyid]!;
    const der = decodeBase64Strict(entry.publicKey);
    const publicKey = der ? await importEd25519Spki(der) : undefined;
    if (!der || !publicKey)
      throw invalid(`version ${payload.version}, key ${short(keyid)}: not an Ed25519 public key`);
    if ((await sha256Hex(der)) !== keyid)
      throw invalid(`version ${payload.version}: key id ${short(keyid)} is not the sha256 of its public key`);
    keys.set(keyid, {
      keyid,
      publicKey,
      environments: new Set(entry.environments),
      notBefore: parseInstant(entry.notBefore)!,
      notAfter: entry.notAfter === undefined ? Number.POSITIVE_INFINITY : parseInstant(entry.notAfter)!,
      retiredAt: entry.retiredAt === undefined ? Number.POSITIVE_INFINITY : parseInstant(entry.retiredAt)!,
      development: entry.development === true,
      ...(entry.comment === undefined ? {} : { comment: entry.comment }),
    });
  }
  return keys;
}

/**
 * Every signature must come from a key of this version or the one before, and must verify: a
 * keyset is a reviewed file, so a stray signature is tampering, never noise. A signature naming no
 * key is tried against the keys of both versions.
 */
async function signersOf(
  envelope: DecodedEnvelope,
  what: string,
  keys: Map<string, TrustedKey>,
  previousKeys: Map<string, TrustedKey> | undefined,
): Promise<Set<string>> {
  const check = await checkSignatures(
    envelope,
    what,
    (keyid) => keys.get(keyid) ?? previousKeys?.get(keyid),
    () => [...new Map([...(previousKeys ?? []), ...keys]).values()],
  );
  if (check.unknown.length > 0)
    throw new VerificationError(
      'keyset-bad-signature',
      `${what} carries a signature by ${check.unknown.map(short).join(', ')}, a key of neither this version nor the one before`,
    );
  if (check.failed.length > 0)
    throw new VerificationError(
      'keyset-bad-signature',
      `${what}: the signature by key ${check.failed.map(short).join(', ')} does not verify`,
    );
  if (check.anonymousFailed > 0)
    throw new VerificationError(
      'keyset-bad-signature',
      `${what}: ${check.anonymousFailed} signature${check.anonymousFailed === 1 ? '' : 's'} naming no key verif${check.anonymousFailed === 1 ? 'ies' : 'y'} by no key of this version or the one before`,
    );
  return new Set(check.verified.map((key) => key.keyid));
}

/** Why an old key cannot authorize a version issued at `at`; undefined when it can. */
function withoutAuthority(key: TrustedKey, at: number): string | undefined {
  if (Number.isFinite(key.retiredAt))
    return `key ${short(key.keyid)} was retired at ${formatInstant(key.retiredAt)}, and a retired key signs no later version`;
  if (at < key.notBefore) return `key ${short(key.keyid)} is valid only from ${formatInstant(key.notBefore)}`;
  if (at >= key.notAfter)
    return `key ${short(key.keyid)} is past its end date (${formatInstant(key.notAfter)}), and a key past its end date signs nothing`;
  return undefined;
}

function checkRotation(
  what: string,
  before: KeysetPayload,
  after: KeysetPayload,
  oldKeys: Map<string, TrustedKey>,
  newKeys: Map<string, TrustedKey>,
  signedBy: Set<string>,
): void {
  for (const keyid of newKeys.keys())
    if (!oldKeys.has(keyid) && !signedBy.has(keyid))
      throw new VerificationError(
        'keyset-new-key-missing',
        `${what} adds key ${short(keyid)} but is not signed by it (a rotation needs the new key's signature)`,
      );
  const at = parseInstant(after.issuedAt)!;
  const oldSigned = [...signedBy].filter((keyid) => oldKeys.has(keyid)).sort();
  const powerless = oldSigned
    .map((keyid) => withoutAuthority(oldKeys.get(keyid)!, at))
    .filter((why): why is string => why !== undefined);
  const oldSigners = oldSigned.filter((keyid) => withoutAuthority(oldKeys.get(keyid)!, at) === undefined);
  const refuse = (message: string): never => {
    throw powerless.length > 0
      ? new VerificationError(
          'keyset-key-not-valid',
          `${message}: ${powerless.join('; ')} (version ${after.version} is issued at ${after.issuedAt}); sign with a current key of the environment`,
        )
      : new VerificationError('keyset-old-key-missing', message);
  };
  if (oldSigners.length === 0)
    refuse(
      `${what} is not signed by any key of version ${before.version} that may still sign (a rotation needs the old key's signature)`,
    );
  const affected = new Set<string>();
  for (const keyid of new Set([...Object.keys(before.keys), ...Object.keys(after.keys)])) {
    const a = before.keys[keyid];
    const b = after.keys[keyid];
    if (a && b && canonicalJson(a) === canonicalJson(b)) continue;
    for (const environment of [...(a?.environments ?? []), ...(b?.environments ?? [])])
      affected.add(environment);
  }
  for (const environment of [...affected].sort()) {
    if (!oldSigners.some((keyid) => oldKeys.get(keyid)!.environments.has(environment)))
      refuse(
        `${what} changes the keys for ${environment} but no key that signed for ${environment} in version ${before.version} signed it`,
      );
  }
}
