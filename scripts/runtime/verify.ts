import { decodeBase64Strict } from './base64.js';
import {
  type BundleContent,
  READABLE_CONTENT_FORMATS,
  type BundleStatement,
  SIGNED_BUNDLE_FORMAT,
  STATEMENT_FORMAT,
  STATEMENT_PAYLOAD_TYPE,
} from './bundle-format.js';
import { canonicalJson } from './canonical-json.js';
import { sha256Hex } from './crypto.js';
import { type VerificationCode, VerificationError } from './errors.js';
import { asciiText } from './native.js';
import { formatInstant, parseInstant } from './instant.js';
import type { TrustedKey, TrustedKeyset } from './keyset.js';
import { checkSignatures, decodeEnvelope, short } from './signature.js';
import { parseStrictJson, StrictJsonError } from './strict-json.js';

/**
 * Verification of a bundle file, in the order that keeps untrusted bytes away from everything
 * else: size cap before decoding, strict JSON before any field is read, the signature before the
 * statement is believed, and the content's hash before its bytes are handed on. The bytes returned
 * are the bytes that were hashed; nothing is re-read or re-serialised after the check.
 */

export const DEFAULT_MAX_BUNDLE_BYTES = 32 * 1_048_576;

export interface VerifyOptions {
  keyset: TrustedKeyset;
  /** The environment this verifier serves; bundles for any other are refused. */
  environment: string;
  /** Defaults to the keyset's project. */
  project?: string;
  /** Epoch ms; defaults to the clock. */
  now?: number;
  /** Accept development-signed bundles (workstations, never production). Default false. */
  allowDevelopment?: boolean;
  maxBytes?: number;
  /** Overrides the statement's allowance for a verifier clock that lags the signer's. */
  maxClockSkewSeconds?: number;
  /** The newest bundle accepted before: an older serial, or the same serial with other content, is refused. */
  previous?: { serial: number; sha256: string };
}

export interface VerifiedBundle {
  statement: BundleStatement;
  /** The content bytes whose sha256 and size the statement signs. */
  contentBytes: Uint8Array;
  /** The key whose signature was accepted. */
  keyid: string;
  /** Size of the bundle file. */
  size: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export async function verifyBundle(bytes: Uint8Array, options: VerifyOptions): Promise<VerifiedBundle> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES;
  if (bytes.byteLength > maxBytes)
    throw new VerificationError(
      'too-large',
      `the bundle is ${bytes.byteLength} bytes, over the cap of ${maxBytes}`,
    );
  const now = options.now ?? Date.now();

  const file = parseBundleFile(bytes);
  const envelope = decodeEnvelope(file.envelope, 'bundle', 'bad-format');
  if (envelope.payloadType !== STATEMENT_PAYLOAD_TYPE)
    throw new VerificationError(
      'wrong-payload-type',
      `the envelope's payload type is "${envelope.payloadType}", not "${STATEMENT_PAYLOAD_TYPE}"`,
    );

  // The signatures come first: nothing in the statement is believed before one verifies. Every
  // signature is checked, so their order never decides: one by a key that may sign this bundle
  // suffices, whatever else the envelope carries.
  const keyset = options.keyset;
  const environment = options.environment;
  const check = await checkSignatures(
    envelope,
    'bundle',
    (keyid) => keyset.keys.get(keyid),
    () => [...keyset.keys.values()].filter((key) => key.environments.has(environment)),
  );
  if (check.verified.length === 0) {
    if (check.failed.length > 0)
      throw new VerificationError(
        'bad-signature',
        `the signature by key ${check.failed.map(short).join(', ')} does not verify`,
      );
    const claimsDevelopment = unverifiedDevelopmentClaim(envelope.payload);
    const by = [
      ...check.unknown.map(short),
      ...(check.anonymousFailed > 0
        ? [`${check.anonymousFailed} signature${check.anonymousFailed === 1 ? '' : 's'} naming no key`]
        : []),
    ];
    throw new VerificationError(
      claimsDevelopment && !options.allowDevelopment ? 'development-signed' : 'unknown-key',
      `signed by ${by.join(', ')}, not by a key of the ${keyset.project} keyset (version ${keyset.version})${check.anonymousFailed > 0 ? ` allowed for ${environment}` : ''}` +
        (claimsDevelopment
          ? options.allowDevelopment
            ? '; it says it is development-signed: give the development keyset'
            : '; it says it is development-signed, and this verifier refuses development bundles'
          : ''),
    );
  }

  const statement = parseStatement(envelope.payload);
  if (statement.development && !options.allowDevelopment)
    throw new VerificationError(
      'development-signed',
      'the bundle is development-signed; this verifier refuses development bundles',
    );
  const project = options.project ?? keyset.project;
  if (statement.project !== project || statement.project !== keyset.project)
    throw new VerificationError(
      'wrong-project',
      `the bundle is for project "${statement.project}", not "${project}"`,
    );
  if (statement.environment !== environment)
    throw new VerificationError(
      'wrong-environment',
      `the bundle is for environment "${statement.environment}", not "${environment}"`,
    );

  const skewMs = (options.maxClockSkewSeconds ?? statement.maxClockSkewSeconds) * 1000;
  const issuedAt = parseInstant(statement.issuedAt)!;
  const expiresAt = parseInstant(statement.expiresAt)!;
  if (issuedAt > now + skewMs)
    throw new VerificationError(
      'issued-in-future',
      `the bundle was issued at ${statement.issuedAt}, after now (${formatInstant(now)}) plus the allowed clock skew of ${skewMs / 1000} s`,
    );
  if (now >= expiresAt)
    throw new VerificationError(
      'expired',
      `the bundle was issued at ${statement.issuedAt} and expired at ${statement.expiresAt} (now ${formatInstant(now)})`,
    );
  const key = signerFor(check.verified, {
    environment,
    allowDevelopment: options.allowDevelopment === true,
    now,
    issuedAt,
    skewMs,
  });

  const contentBytes = file.contentBytes ?? decodeBase64Strict(file.content);
  if (!contentBytes) throw new VerificationError('bad-base64', 'the bundle content is not valid base64');
  if (contentBytes.byteLength !== statement.content.size)
    throw new VerificationError(
      'content-mismatch',
      `the content is ${contentBytes.byteLength} bytes, the signed statement says ${statement.content.size}`,
    );
  const sha256 = await sha256Hex(contentBytes);
  if (sha256 !== statement.content.sha256)
    throw new VerificationError(
      'content-mismatch',
      `the content's sha256 is ${sha256}, the signed statement says ${statement.content.sha256}`,
    );

  const previous = options.previous;
  if (previous) {
    if (statement.serial < previous.serial)
      throw new VerificationError(
        'rollback',
        `serial ${statement.serial} is older than serial ${previous.serial}, accepted before (a rollback)`,
      );
    if (statement.serial === previous.serial && sha256 !== previous.sha256)
      throw new VerificationError(
        'serial-reused',
        `serial ${statement.serial} was accepted before with other content (sha256 ${previous.sha256.slice(0, 16)}…)`,
      );
  }
  return { statement, contentBytes, keyid: key.keyid, size: bytes.byteLength };
}

interface SignerNeeds {
  environment: string;
  allowDevelopment: boolean;
  now: number;
  issuedAt: number;
  skewMs: number;
}

/**
 * Why a key whose signature verified may not vouch for this bundle; undefined when it may. A key
 * signs for its environments, within its window: the bundle's issuedAt must be inside it (a key
 * past its end date, or retired, signs nothing new) and so must the verifier's now (past its end
 * date, nothing the key signed is trusted any more). notBefore allows for the clock skew.
 */
function unfitness(key: TrustedKey, needs: SignerNeeds): { code: VerificationCode; why: string } | undefined {
  if (!key.environments.has(needs.environment))
    return {
      code: 'key-not-for-environment',
      why: `key ${short(key.keyid)} may sign for ${[...key.environments].join(', ')}, not for ${needs.environment}`,
    };
  if (key.development && !needs.allowDevelopment)
    return {
      code: 'development-signed',
      why: `key ${short(key.keyid)} is a development key, and this verifier refuses development bundles`,
    };
  const window = `valid from ${formatInstant(key.notBefore)}${Number.isFinite(key.notAfter) ? ` until ${formatInstant(key.notAfter)}` : ''}`;
  for (const [label, at] of [
    ['now', needs.now],
    ['at issue', needs.issuedAt],
  ] as const) {
    if (at + needs.skewMs < key.notBefore || at >= key.notAfter)
      return {
        code: 'key-not-valid',
        why: `key ${short(key.keyid)} is not valid ${label} (${formatInstant(at)}; ${window})`,
      };
  }
  if (needs.issuedAt >= key.retiredAt)
    return {
      code: 'key-not-valid',
      why: `key ${short(key.keyid)} was retired at ${formatInstant(key.retiredAt)} and signs nothing issued since (the bundle was issued at ${formatInstant(needs.issuedAt)})`,
    };
  return undefined;
}

/**
 * The key that vouches for the bundle: the first in key id order of those whose signature verified
 * and that may sign it. When none may, the refusal names every key's reason, with the code of the
 * key closest to passing (right environment, then right kind), so it too ignores signature order.
 */
function signerFor(verified: readonly TrustedKey[], needs: SignerNeeds): TrustedKey {
  const reasons: { code: VerificationCode; why: string }[] = [];
  for (const key of verified) {
    const reason = unfitness(key, needs);
    if (!reason) return key;
    reasons.push(reason);
  }
  const rank: VerificationCode[] = ['key-not-valid', 'development-signed', 'key-not-for-environment'];
  const code = rank.find((c) => reasons.some((r) => r.code === c)) ?? reasons[0]!.code;
  throw new VerificationError(code, reasons.map((r) => r.why).join('; '));
}

export interface BundleFile {
  content: unknown;
  envelope: unknown;
  /** The content decoded, when the file was read the fast way (canonicalBundleFile). */
  contentBytes?: Uint8Array;
}

const parseBundleFile = (bytes: Uint8Array): BundleFile =>
  canonicalBundleFile(bytes) ?? strictBundleFile(bytes);

/** The bundle file read by the strict JSON parser: any spelling, every refusal with its reason. */
export function strictBundleFile(bytes: Uint8Array): BundleFile {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new VerificationError('not-utf8', 'the bundle is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = parseStrictJson(text);
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    const code =
      error.problem === 'duplicate-key'
        ? 'duplicate-key'
        : error.problem === 'trailing-bytes'
          ? 'trailing-bytes'
          : 'malformed-json';
    throw new VerificationError(code, `the bundle is not strict JSON: ${error.message}`);
  }
  if (!isRecord(value) || value.format !== SIGNED_BUNDLE_FORMAT)
    throw new VerificationError(
      'bad-format',
      `not a flags bundle (expected format "${SIGNED_BUNDLE_FORMAT}")`,
    );
  return { content: value.content, envelope: value.envelope };
}

const CONTENT_FIRST = '{"content":"';

/**
 * The usual bundle, as `flags build` writes it (ASCII, content first), read without a string of the
 * whole file: its multi-megabyte content is decoded from the text of its own bytes, and the rest of
 * the file, with the content's string emptied, is parsed strictly as always. The content is the
 * bytes up to the next quote; strict base64 admits no character a JSON string could not hold as
 * it is (no quote, backslash or control character), so where it decodes, the file is what the
 * strict parser reads (test/runtime/bundle-file.test.ts holds the two together). Anything else,
 * right or wrong, is left to the strict parser (undefined), so a bundle is refused for the same
 * reason either way. One copy of the file instead of three, and no scan for control characters:
 * verifying a 5 MB bundle takes ~9 ms instead of ~14 (measured).
 */
export function canonicalBundleFile(bytes: Uint8Array): BundleFile | undefined {
  const text = asciiText(bytes);
  if (!text.startsWith(CONTENT_FIRST)) return undefined;
  const end = text.indexOf('"', CONTENT_FIRST.length);
  if (end < 0) return undefined;
  // Decoding checks every character of the content is base64 (so ASCII); the rest is checked here.
  const content = text.slice(CONTENT_FIRST.length, end);
  const contentBytes = decodeBase64Strict(content);
  if (!contentBytes) return undefined;
  const rest = text.slice(end + 1);
  if (NOT_ASCII.test(rest)) return undefined;
  let value: unknown;
  try {
    value = parseStrictJson(`${CONTENT_FIRST}"${rest}`);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value.format !== SIGNED_BUNDLE_FORMAT) return undefined;
  return { content, envelope: value.envelope, contentBytes };
}

const NOT_ASCII = /[^\x00-\x7f]/;

/** Only for a better message when no trusted key signed: never used for a decision to accept. */
function unverifiedDevelopmentClaim(payload: Uint8Array): boolean {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(payload));
    return isRecord(value) && value.development === true;
  } catch {
    return false;
  }
}

function parseStatement(bytes: Uint8Array): BundleStatement {
  let value: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    value = parseStrictJson(text);
  } catch (error) {
    throw new VerificationError(
      'bad-statement',
      `the signed statement is not strict JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  // The build signs canonical JSON (RFC 8785) only; any other spelling of the same data was made
  // by something else, and is refused rather than interpreted.
  if (!isCanonical(value, text))
    throw new VerificationError(
      'non-canonical',
      'the signed statement is not canonical JSON (RFC 8785), as flags build writes it; rebuild and sign it with flags build',
    );
  const bad = (field: string): never => {
    throw new VerificationError('bad-statement', `the signed statement has a missing or invalid ${field}`);
  };
  if (!isRecord(value)) return bad('body');
  if (value.format !== STATEMENT_FORMAT)
    throw new VerificationError(
      'unsupported-format',
      `unsupported statement format ${JSON.stringify(value.format)}`,
    );
  if (!(READABLE_CONTENT_FORMATS as readonly unknown[]).includes(value.bundleFormat))
    throw new VerificationError(
      'unsupported-format',
      `unsupported bundle format ${JSON.stringify(value.bundleFormat)}: this runtime reads ${READABLE_CONTENT_FORMATS.join(' and ')}; the bundle was built by a newer toolkit, so upgrade flags-as-code in this application (the last good bundle keeps serving)`,
    );
  if (typeof value.project !== 'string') bad('project');
  if (typeof value.environment !== 'string') bad('environment');
  if (!Number.isSafeInteger(value.serial) || (value.serial as number) < 1) bad('serial');
  const issuedAt = parseInstant(value.issuedAt);
  const expiresAt = parseInstant(value.expiresAt);
  if (issuedAt === undefined) bad('issuedAt');
  if (expiresAt === undefined || expiresAt <= issuedAt!) bad('expiresAt');
  const skew = value.maxClockSkewSeconds;
  if (!Number.isSafeInteger(skew) || (skew as number) < 0 || (skew as number) > 3600)
    bad('maxClockSkewSeconds');
  const content = value.content;
  if (!isRecord(content) || typeof content.sha256 !== 'string' || !HEX64.test(content.sha256))
    bad('content.sha256');
  if (!Number.isSafeInteger((content as Record<string, unknown>).size)) bad('content.size');
  const source = value.source;
  if (!isRecord(source) || typeof source.commit !== 'string' || typeof source.dirty !== 'boolean')
    bad('source');
  if (typeof value.development !== 'boolean') bad('development');
  if (value.nextChangeAt !== undefined && parseInstant(value.nextChangeAt) === undefined) bad('nextChangeAt');
  return value as unknown as BundleStatement;
}

/** The key and variant-name patterns of the flag model (test/runtime/formats.test.ts holds them to it). */
export const FLAG_KEY = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_FLAG_KEY_LENGTH = 100;
export const VARIANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Parses verified content. Its bytes are signed, yet they are held to what `flags build` makes:
 * canonical JSON (so no duplicate member, escape or other spelling can mean one thing to this
 * parser and another to a reviewer's), flag keys and variant names of the model's patterns (so a
 * key with a Unicode hyphen, or the NFC and NFD spellings of one name, cannot sit beside the real
 * one), and variants that exist. A signing mistake or a stolen key cannot smuggle in what a
 * reviewed flag file could not say. The content is deep-frozen: what evaluation hands out can
 * never change what it answers next.
 */
export function parseContent(verified: VerifiedBundle): BundleContent {
  let value: unknown;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(verified.contentBytes);
    value = JSON.parse(text);
  } catch {
    throw new VerificationError('bad-content', 'the signed content is not JSON');
  }
  const format = verified.statement.bundleFormat;
  if (!isRecord(value) || value.format !== format || !isRecord(value.flags))
    throw new VerificationError('bad-content', `the signed content is not ${format}`);
  if (value.claimChanges !== undefined && !Array.isArray(value.claimChanges))
    throw new VerificationError('bad-content', 'the signed content has a malformed claimChanges');
  if (!frozenIfCanonical(value, text))
    throw new VerificationError(
      'non-canonical',
      'the signed content is not canonical JSON (RFC 8785), as flags build writes it (a duplicate member, an escape or another spelling); rebuild it with flags build',
    );
  if (value.project !== verified.statement.project || value.environment !== verified.statement.environment)
    throw new VerificationError(
      'bad-content',
      `the content is for ${String(value.project)}/${String(value.environment)}, the statement for ${verified.statement.project}/${verified.statement.environment}`,
    );
  for (const [key, flag] of Object.entries(value.flags)) {
    if (!FLAG_KEY.test(key) || key.length > MAX_FLAG_KEY_LENGTH)
      throw new VerificationError(
        'bad-content',
        `the content holds the flag key ${JSON.stringify(key)}${/[^\x20-\x7e]/.test(key) ? ` (with ${describeNonAscii(key)})` : ''}, outside the key pattern ${FLAG_KEY.source} (at most ${MAX_FLAG_KEY_LENGTH} characters); flags build never writes it`,
      );
    if (
      !isRecord(flag) ||
      !isRecord(flag.variants) ||
      !isRecord(flag.grants) ||
      typeof flag.enabled !== 'boolean' ||
      typeof flag.offVariant !== 'string' ||
      typeof flag.defaultVariant !== 'string' ||
      !['boolean', 'string', 'number', 'object'].includes(flag.valueType as string)
    )
      throw new VerificationError('bad-content', `flag ${JSON.stringify(key)} in the content is malformed`);
    const variants = flag.variants;
    for (const name of Object.keys(variants))
      if (!VARIANT_NAME.test(name))
        throw new VerificationError(
          'bad-content',
          `flag "${key}" has the variant name ${JSON.stringify(name)}, outside the pattern ${VARIANT_NAME.source}`,
        );
    const missing = (variant: unknown) => typeof variant !== 'string' || !Object.hasOwn(variants, variant);
    const rollout = flag.rollout;
    if (
      missing(flag.offVariant) ||
      missing(flag.defaultVariant) ||
      (rollout !== undefined && (!isRecord(rollout) || missing(rollout.variant))) ||
      Object.values(flag.grants).some((grant) => !isRecord(grant) || missing(grant.variant))
    )
      throw new VerificationError(
        'bad-content',
        `flag "${key}" in the content serves a variant it does not define`,
      );
  }
  return value as unknown as BundleContent;
}

/** Whether `text` is the canonical JSON of `value` (a value too deep to canonicalize is not). */
function isCanonical(value: unknown, text: string): boolean {
  try {
    return canonicalJson(value) === text;
  } catch {
    return false;
  }
}

const MAX_DEPTH = 256;
const INTEGER_LIKE = /^(?:0|[1-9][0-9]*)$/;

/**
 * Whether `text` is the canonical JSON of `value` (just parsed from it), freezing `value` all the
 * way down on the way: one walk checks that every object's members are in canonical order (and
 * freezes it), then the native JSON.stringify, which spells strings and numbers as RFC 8785 does
 * and keeps the parsed order, must give the text back, so no whitespace, escape, number spelling
 * or duplicate member survives. Integer-like member names, which JavaScript enumerates first, send
 * it to the member-by-member canonicalJson. About half the cost of canonicalizing and then freezing.
 */
function frozenIfCanonical(value: unknown, text: string): boolean {
  let ordered = true;
  let native = true;
  const walk = (node: unknown, depth: number): boolean => {
    if (typeof node !== 'object' || node === null) return true;
    if (depth > MAX_DEPTH) return false;
    Object.freeze(node);
    if (Array.isArray(node)) {
      for (const item of node) if (!walk(item, depth + 1)) return false;
      return true;
    }
    const keys = Object.keys(node);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (native && key.charCodeAt(0) <= 0x39 && INTEGER_LIKE.test(key)) native = false;
      if (i > 0 && keys[i - 1]! >= key) ordered = false;
      if (!walk((node as Record<string, unknown>)[key], depth + 1)) return false;
    }
    return true;
  };
  if (!walk(value, 0)) return false;
  if (!native) return isCanonical(value, text);
  return ordered && JSON.stringify(value) === text;
}

/** The code points outside printable ASCII, for a message that shows what the eye cannot. */
function describeNonAscii(text: string): string {
  const points = [...new Set([...text].filter((c) => !/[\x20-\x7e]/.test(c)))].map(
    (c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
  );
  return points.join(', ');
}
