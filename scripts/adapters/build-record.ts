import { KeyObject, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemberTable } from '../core/bundle/content.js';
import { type Signer, signEnvelope } from '../core/bundle/sign.js';
import type { CheckSnapshot } from '../core/check/incremental.js';
import { BUNDLE_CONTENT_FORMAT, bundleFileName } from '../runtime/bundle-format.js';
import { pae } from '../runtime/dsse.js';
import type { TrustedKeyset } from '../runtime/keyset.js';
import { verifyBundle } from '../runtime/verify.js';
import { checkStateOf, storedCheckState } from './check-state.js';

/**
 * The build record: what a signing build leaves beside each bundle so that the next build can
 * start from the published bundle instead of from nothing, without trusting the working tree.
 *
 * A record holds the check's snapshot (core/check/incremental.ts) with the key it is valid under
 * (toolkit, policy, CODEOWNERS, today), and the rows of the bundle's content (keys, file hashes and
 * where each member ends). It is a DSSE envelope signed by the same key as its bundle, and names
 * the sha256 of that bundle's content. The next build (`flags build --since-bundles <dir>`)
 * verifies the bundle as a verifier does (runtime verifyBundle: keyset, environment, expiry,
 * content hash), checks that the statement's toolkit and policy fingerprints are the current ones,
 * verifies the record's signature with a key the keyset allows for that environment, and then:
 * the check answers from the record's snapshot exactly as the incremental check answers from its
 * cache (files whose path and bytes match stand; every other file is analysed), and the content
 * copies the members of unchanged flags from the verified content and compiles the rest. The
 * bundle it signs is byte for byte what a build from nothing makes.
 *
 * The record is not part of the bundle: applications never read it, and the bundle's bytes stay
 * what they are with or without it.
 */

export const BUILD_RECORD_FORMAT = 'flags-build-record/v1';
export const BUILD_RECORD_PAYLOAD_TYPE = 'application/vnd.flags-as-code.build-record.v1+json';
export const buildRecordFileName = (environment: string): string => `${environment}.build-record.json`;
const MAX_RECORD_BYTES = 256 * 1_048_576;

export interface RecordInput {
  project: string;
  environment: string;
  contentSha256: string;
  check: { key: string; value: CheckSnapshot };
  table: MemberTable;
  signer: Signer;
}

/** The record file's bytes. */
export function makeBuildRecord(input: RecordInput): Uint8Array {
  const region = input.table.regions.get(input.environment);
  if (!region) throw new Error(`no members for ${input.environment}`);
  const head = {
    format: BUILD_RECORD_FORMAT,
    project: input.project,
    environment: input.environment,
    content: input.contentSha256,
    checkKey: input.check.key,
    members: { keys: input.table.keys, hashes: input.table.hashes, ends: Array.from(region.ends) },
  };
  const payload = Buffer.from(
    `${JSON.stringify(head).slice(0, -1)},"check":${storedOnce(input.check)}}`,
    'utf8',
  );
  const envelope = signEnvelope(BUILD_RECORD_PAYLOAD_TYPE, payload, [input.signer]);
  return Buffer.from(JSON.stringify({ envelope, format: BUILD_RECORD_FORMAT }), 'utf8');
}

/** The snapshot as JSON, made once for all the records of a build. */
const stored = new WeakMap<CheckSnapshot, string>();
function storedOnce(check: { key: string; value: CheckSnapshot }): string {
  const known = stored.get(check.value);
  if (known !== undefined) return known;
  const text = storedCheckState(check.key, check.value);
  stored.set(check.value, text);
  return text;
}

/** Where a published build starts from, once verified: its snapshot and its members. */
export interface PublishedStart {
  snapshot: CheckSnapshot;
  table: MemberTable;
}

export class UnusableStart extends Error {}

/**
 * The published bundles and records in `dir` for `environments`, verified; throws UnusableStart
 * with the reason when they cannot serve as a start (the build then starts from the flag files).
 */
export async function readPublishedStart(
  dir: string,
  options: {
    environments: readonly string[];
    project: string;
    keyset: TrustedKeyset;
    now: number;
    fingerprint: string;
    policyHash: string;
    checkKey: string;
  },
): Promise<PublishedStart> {
  let snapshot: CheckSnapshot | undefined;
  let keys: string[] | undefined;
  let hashes: string[] | undefined;
  const regions = new Map<string, { bytes: Uint8Array; ends: Uint32Array }>();
  for (const environment of options.environments) {
    const bundlePath = join(dir, bundleFileName(environment));
    const bundle = readOrNull(bundlePath);
    let verified: Awaited<ReturnType<typeof verifyBundle>>;
    try {
      verified = await verifyBundle(bundle, { keyset: options.keyset, environment, now: options.now });
    } catch (error) {
      throw new UnusableStart(`${bundlePath}: ${(error as Error).message}`);
    }
    const statement = verified.statement as typeof verified.statement & {
      toolkit?: unknown;
      policy?: unknown;
    };
    if (statement.toolkit !== options.fingerprint)
      throw new UnusableStart(`${bundlePath} was built by another toolkit`);
    if (statement.policy !== options.policyHash)
      throw new UnusableStart(`${bundlePath} was built under another policy`);
    const recordPath = join(dir, buildRecordFileName(environment));
    const record = verifiedRecord(readOrNull(recordPath), recordPath, environment, options);
    if (record.project !== options.project || record.environment !== environment)
      throw new UnusableStart(`${recordPath} is for another project or environment`);
    if (record.content !== statement.content.sha256)
      throw new UnusableStart(`${recordPath} belongs to another bundle than ${bundlePath}`);
    if (record.checkKey !== options.checkKey)
      throw new UnusableStart(`${recordPath} was checked on another day, or with other CODEOWNERS`);
    const next = checkStateOf(record.check, options.checkKey);
    if (!next || !isMembers(record.members)) throw new UnusableStart(`${recordPath} is malformed`);
    // Every environment's record comes from one build: one snapshot, the same rows.
    if (keys && (!sameStrings(keys, record.members.keys) || !sameStrings(hashes!, record.members.hashes)))
      throw new UnusableStart(`${recordPath} is from another build than the other environments' records`);
    snapshot ??= next;
    keys ??= record.members.keys;
    hashes ??= record.members.hashes;
    regions.set(
      environment,
      contentRegion(verified.contentBytes, environment, options.project, record.members.ends, recordPath),
    );
  }
  if (!snapshot || !keys || !hashes) throw new UnusableStart('no environment to build');
  return { snapshot, table: { keys, hashes, regions } };
}

function readOrNull(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UnusableStart(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

interface RecordBody {
  format: unknown;
  project: unknown;
  environment: unknown;
  content: unknown;
  checkKey: unknown;
  members: unknown;
  check: unknown;
}

/** The record's payload, once one signature by a key allowed for the environment verifies. */
function verifiedRecord(
  bytes: Uint8Array,
  path: string,
  environment: string,
  options: { keyset: TrustedKeyset; now: number },
): RecordBody {
  if (bytes.byteLength > MAX_RECORD_BYTES) throw new UnusableStart(`${path} is too large`);
  let file: {
    format?: unknown;
    envelope?: { payloadType?: unknown; payload?: unknown; signatures?: unknown };
  };
  try {
    file = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new UnusableStart(`${path} is not JSON`);
  }
  const envelope = file?.envelope;
  if (
    file?.format !== BUILD_RECORD_FORMAT ||
    envelope?.payloadType !== BUILD_RECORD_PAYLOAD_TYPE ||
    typeof envelope.payload !== 'string' ||
    !Array.isArray(envelope.signatures)
  )
    throw new UnusableStart(`${path} is not a build record`);
  const payload = Buffer.from(envelope.payload, 'base64');
  if (payload.toString('base64') !== envelope.payload)
    throw new UnusableStart(`${path}: the payload is not base64`);
  const signed = pae(BUILD_RECORD_PAYLOAD_TYPE, payload);
  // Any one signature by a key the keyset allows for this environment, valid now; order is no matter.
  const trusted = envelope.signatures.some((signature: unknown) => {
    const { keyid, sig } = (signature ?? {}) as { keyid?: unknown; sig?: unknown };
    if (typeof keyid !== 'string' || typeof sig !== 'string') return false;
    const key = options.keyset.keys.get(keyid);
    if (!key || key.development || !key.environments.has(environment)) return false;
    if (!(key.notBefore <= options.now && options.now < key.notAfter)) return false;
    try {
      return verify(null, signed, KeyObject.from(key.publicKey), Buffer.from(sig, 'base64'));
    } catch {
      return false;
    }
  });
  if (!trusted)
    throw new UnusableStart(`${path} carries no signature by a key the keyset allows for ${environment}`);
  try {
    const body = JSON.parse(payload.toString('utf8')) as RecordBody;
    if (body?.format !== BUILD_RECORD_FORMAT) throw new Error('format');
    return body;
  } catch {
    throw new UnusableStart(`${path} holds no build record`);
  }
}

const sameStrings = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

function isMembers(value: unknown): value is { keys: string[]; hashes: string[]; ends: number[] } {
  if (!value || typeof value !== 'object') return false;
  const { keys, hashes, ends } = value as Record<string, unknown>;
  return (
    Array.isArray(keys) &&
    Array.isArray(hashes) &&
    Array.isArray(ends) &&
    keys.length === hashes.length &&
    ends.length === keys.length &&
    keys.every((k) => typeof k === 'string') &&
    hashes.every((h) => typeof h === 'string') &&
    ends.every((e) => Number.isSafeInteger(e) && e >= 0)
  );
}

/**
 * Where the flags' members start: after `{"environment":…,"flags":{`, or after the claimChanges
 * that precede it. There `,"environment":"<env>","flags":{` can only be the content's own member:
 * inside claimChanges every string is escaped, and an organization id that reads "environment"
 * holds an object, not a string. -1 when the content starts otherwise.
 */
function flagsStart(bytes: Buffer, environment: string): number {
  const members = `"environment":${JSON.stringify(environment)},"flags":{`;
  const plain = Buffer.from(`{${members}`, 'utf8');
  if (bytes.subarray(0, plain.byteLength).equals(plain)) return plain.byteLength;
  if (!bytes.subarray(0, 16).equals(Buffer.from('{"claimChanges":', 'utf8'))) return -1;
  const after = Buffer.from(`,${members}`, 'utf8');
  const at = bytes.indexOf(after, 16);
  return at < 0 ? -1 : at + after.byteLength;
}

/**
 * The members of a verified content: the bytes between `"flags":{` and the closing `}`, which
 * buildContents copies only in runs it has checked to start and end at member boundaries.
 */
function contentRegion(
  content: Uint8Array,
  environment: string,
  project: string,
  ends: readonly number[],
  path: string,
): { bytes: Uint8Array; ends: Uint32Array } {
  const suffix = Buffer.from(
    `},"format":${JSON.stringify(BUNDLE_CONTENT_FORMAT)},"project":${JSON.stringify(project)}}`,
    'utf8',
  );
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const start = flagsStart(bytes, environment);
  if (
    start < 0 ||
    bytes.byteLength < start + suffix.byteLength ||
    !bytes.subarray(bytes.byteLength - suffix.byteLength).equals(suffix)
  )
    throw new UnusableStart(
      `the content of the bundle beside ${path} is not laid out as this toolkit writes it`,
    );
  const region = bytes.subarray(start, bytes.byteLength - suffix.byteLength);
  if (ends.length > 0 && ends.at(-1) !== region.byteLength)
    throw new UnusableStart(`${path} does not describe its bundle's members`);
  return { bytes: region, ends: Uint32Array.from(ends) };
}
