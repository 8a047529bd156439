import type { BundleStatement } from './bundle-format.js';
import { VerificationError } from './errors.js';
import { checkNotRolledBack, type KeysetOptions, type TrustedKeyset, verifyKeyset } from './keyset.js';

/**
 * What a verifier remembers across restarts: the newest bundle accepted per project and
 * environment, and the newest keyset version per project. Written atomically (temporary file,
 * fsync, rename) and merged on write, so two processes sharing a file only ever raise it. The
 * runtime and `flags verify --state` hold bundles and keysets to it through the functions below,
 * so one file gives one verdict whichever of them reads it.
 *
 * Where it is kept is the application's choice: a StateStore. On Node a state file is one
 * (node-files.ts, loaded only when a path is given); where there is no filesystem (Workers,
 * browsers) the application passes its own (a KV entry, a Durable Object, localStorage).
 */

/** Where the state is kept: the text written last, or undefined when nothing was written yet. */
export interface StateStore {
  read(): Promise<string | undefined>;
  write(text: string): Promise<void>;
  /** How errors name it (a file's path). */
  readonly name?: string;
}

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

/** Reads the state from its store (nothing stored yet is the empty state; a corrupt one is an error). */
export async function readState(store: StateStore): Promise<RuntimeState> {
  const path = store.name ?? "(the application's state store)";
  let text: string | undefined;
  try {
    text = await store.read();
  } catch (error) {
    throw new VerificationError(
      'bad-state',
      `cannot read the state file ${path}: ${(error as Error).message}`,
    );
  }
  if (text === undefined) return empty();
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
export async function recordState(
  store: StateStore,
  update: { bundle?: { key: string; mark: BundleMark }; keyset?: { project: string; mark: KeysetMark } },
): Promise<void> {
  const state = await readState(store);
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
  await store.write(`${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Verifies a keyset and holds it to the state file: a version older than the one remembered, or a
 * different version of the same number (a substitution), is refused; a newer one raises the mark
 * at once. Without a state file, the keyset is only verified.
 */
export async function verifyKeysetWithState(
  bytes: Uint8Array | string,
  options: Omit<KeysetOptions, 'previous'>,
  store: StateStore | undefined,
): Promise<TrustedKeyset> {
  const keyset = await verifyKeyset(bytes, options);
  if (!store) return keyset;
  const seen = (await readState(store)).keysets[keyset.project];
  if (seen) checkNotRolledBack(keyset, seen);
  if (!seen || keyset.version > seen.version)
    await recordState(store, {
      keyset: { project: keyset.project, mark: { version: keyset.version, digest: keyset.digest } },
    });
  return keyset;
}

/** The newest bundle remembered for a project and environment (or known in memory, when newer). */
export async function rememberedBundle(
  store: StateStore | undefined,
  key: string,
  inMemory?: { serial: number; sha256: string },
): Promise<{ serial: number; sha256: string } | undefined> {
  const remembered = store ? (await readState(store)).bundles[key] : undefined;
  return remembered && (!inMemory || remembered.serial > inMemory.serial) ? remembered : inMemory;
}

/** Raises the bundle mark to an accepted bundle's statement. */
export async function rememberBundle(
  store: StateStore,
  key: string,
  statement: BundleStatement,
): Promise<void> {
  await recordState(store, {
    bundle: {
      key,
      mark: { serial: statement.serial, sha256: statement.content.sha256, issuedAt: statement.issuedAt },
    },
  });
}
