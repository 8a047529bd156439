import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-write.js';
import type { BundleStatement } from './bundle-format.js';
import { VerificationError } from './errors.js';
import { checkNotRolledBack, type KeysetOptions, type TrustedKeyset, verifyKeyset } from './keyset.js';

/**
 * What a verifier remembers across restarts: the newest bundle accepted per project and
 * environment, and the newest keyset version per project. Written atomically (temporary file,
 * fsync, rename) and merged on write, so two processes sharing a file only ever raise it. The
 * runtime and `flags verify --state` hold bundles and keysets to it through the functions below,
 * so one file gives one verdict whichever of them reads it.
 */

export const STATE_FORMAT = 'flags-runtime-state/v1';

export interface BundleMark {
  serial: number;
  sha256: string;
  issuedAt: string;
}

export interface KeysetMark {
  version: number;
  digest: string;
}

export interface RuntimeState {
  format: typeof STATE_FORMAT;
  bundles: Record<string, BundleMark>;
  keysets: Record<string, KeysetMark>;
}

export const bundleStateKey = (project: string, environment: string): string => `${project}/${environment}`;

const isHex64 = (value: unknown): value is string =>
  typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
const empty = (): RuntimeState => ({ format: STATE_FORMAT, bundles: {}, keysets: {} });
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads a state file; a missing one is empty, an unreadable or foreign one an error (never silently reset). */
export function readState(path: string): RuntimeState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw new VerificationError(
      'bad-state',
      `cannot read the state file ${path}: ${(error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new VerificationError(
      'bad-state',
      `the state file ${path} is not JSON; remove it only if you trust the next bundle`,
    );
  }
  if (
    !isRecord(value) ||
    value.format !== STATE_FORMAT ||
    !isRecord(value.bundles) ||
    !isRecord(value.keysets)
  )
    throw new VerificationError('bad-state', `the state file ${path} is not a ${STATE_FORMAT} file`);
  const state = empty();
  for (const [key, mark] of Object.entries(value.bundles)) {
    if (!isRecord(mark) || !Number.isSafeInteger(mark.serial) || !isHex64(mark.sha256))
      throw new VerificationError('bad-state', `the state file ${path} has a malformed entry for ${key}`);
    state.bundles[key] = {
      serial: mark.serial as number,
      sha256: mark.sha256,
      issuedAt: String(mark.issuedAt ?? ''),
    };
  }
  for (const [key, mark] of Object.entries(value.keysets)) {
    if (
      !isRecord(mark) ||
      !Number.isSafeInteger(mark.version) ||
      (mark.version as number) < 1 ||
      !isHex64(mark.digest)
    )
      throw new VerificationError(
        'bad-state',
        `the state file ${path} has a malformed keyset entry for ${key}`,
      );
    state.keysets[key] = { version: mark.version as number, digest: mark.digest };
  }
  return state;
}

/** Raises the marks in the state file (re-read first, so a newer mark written by another process stays). */
export function recordState(
  path: string,
  update: { bundle?: { key: string; mark: BundleMark }; keyset?: { project: string; mark: KeysetMark } },
): void {
  const state = readState(path);
  if (update.bundle) {
    const current = state.bundles[update.bundle.key];
    if (!current || update.bundle.mark.serial >= current.serial)
      state.bundles[update.bundle.key] = update.bundle.mark;
  }
  if (update.keyset) {
    const current = state.keysets[update.keyset.project];
    if (!current || update.keyset.mark.version >= current.version)
      state.keysets[update.keyset.project] = update.keyset.mark;
  }
  writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

/**
 * Verifies a keyset and holds it to the state file: a version older than the one remembered, or a
 * different version of the same number (a substitution), is refused; a newer one raises the mark
 * at once. Without a state file, the keyset is only verified.
 */
export function verifyKeysetWithState(
  bytes: Uint8Array | string,
  options: Omit<KeysetOptions, 'previous'>,
  stateFile: string | undefined,
): TrustedKeyset {
  const keyset = verifyKeyset(bytes, options);
  if (!stateFile) return keyset;
  const seen = readState(stateFile).keysets[keyset.project];
  if (seen) checkNotRolledBack(keyset, seen);
  if (!seen || keyset.version > seen.version)
    recordState(stateFile, {
      keyset: { project: keyset.project, mark: { version: keyset.version, digest: keyset.digest } },
    });
  return keyset;
}

/** The newest bundle remembered for a project and environment (or known in memory, when newer). */
export function rememberedBundle(
  stateFile: string | undefined,
  key: string,
  inMemory?: { serial: number; sha256: string },
): { serial: number; sha256: string } | undefined {
  const remembered = stateFile ? readState(stateFile).bundles[key] : undefined;
  return remembered && (!inMemory || remembered.serial > inMemory.serial) ? remembered : inMemory;
}

/** Raises the bundle mark to an accepted bundle's statement. */
export function rememberBundle(stateFile: string, key: string, statement: BundleStatement): void {
  recordState(stateFile, {
    bundle: {
      key,
      mark: { serial: statement.serial, sha256: statement.content.sha256, issuedAt: statement.issuedAt },
    },
  });
}
