import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { type Signer, signerOf } from '../core/bundle/sign.js';
import { createKeyset, keysetEntry, serializeKeysetFile } from '../core/bundle/keyset.js';
import { InputError, UsageError } from '../errors.js';
import { VerificationError } from '../runtime/errors.js';
import type { TrustedKeyset } from '../runtime/keyset.js';
import { fileStateStore } from '../runtime/node-files.js';
import { verifyKeysetWithState } from '../runtime/state.js';
import { writeFileAtomic } from './files.js';
import { defaultCacheDir } from './repository.js';

/**
 * Private keys: from an environment variable or a file, never from the repository. With no key
 * configured, `flags build` signs with a development key kept in the (git-ignored) cache folder,
 * with a self-signed development keyset beside it so local verification works.
 */

export interface SigningKey {
  environment: string;
  signer: Signer;
  /** Where the key came from, for messages; never the key itself. */
  origin: string;
  development: boolean;
}

export const signingKeyVariable = (environment: string): string =>
  `FLAGS_SIGNING_KEY_${environment.toUpperCase().replace(/-/g, '_')}`;

/** A PKCS#8 PEM, or the base64 of its DER (handy for one-line secrets). */
export function parsePrivateKey(text: string, origin: string): KeyObject {
  let key: KeyObject;
  try {
    key = text.includes('-----BEGIN')
      ? createPrivateKey({ key: text, format: 'pem' })
      : createPrivateKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'pkcs8' });
  } catch {
    throw new UsageError(
      `${origin} does not hold a private key`,
      'give a PKCS#8 PEM as written by flags keygen',
    );
  }
  if (key.asymmetricKeyType !== 'ed25519')
    throw new UsageError(
      `${origin} holds a ${key.asymmetricKeyType} key, not Ed25519`,
      'make one with flags keygen',
    );
  return key;
}

/**
 * Refuses a path inside a git work tree unless git ignores it: a private key must never be
 * committed. Tracked files count as not ignored.
 */
export function assertOutsideRepository(path: string, what: string): void {
  let dir = dirname(resolve(path));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const top = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8' });
  if (top.status !== 0) return; // not in a work tree
  const root = top.stdout.trim();
  const rel = relative(root, resolve(path));
  if (rel.startsWith('..') || isAbsolute(rel)) return;
  const ignored = spawnSync('git', ['check-ignore', '-q', '--', rel], { cwd: root });
  const tracked = spawnSync('git', ['ls-files', '--error-unmatch', '--', rel], {
    cwd: root,
    stdio: 'ignore',
  });
  if (ignored.status === 0 && tracked.status !== 0) return;
  throw new UsageError(
    `${what} ${path} is inside the git repository ${root} and not ignored by git`,
    'keep private keys outside the repository (e.g. ~/.config/flags/<env>.pem) or in your secret store',
  );
}

export function readPrivateKeyFile(path: string): KeyObject {
  assertOutsideRepository(path, 'the key file');
  let text: string;
  try {
    if (process.platform !== 'win32') {
      const mode = statSync(path).mode & 0o777;
      if (mode & 0o077)
        throw new UsageError(
          `the key file ${path} can be read by others (mode ${mode.toString(8).padStart(4, '0')})`,
          `chmod 600 ${path}`,
        );
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `cannot read the key file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  return parsePrivateKey(text, `the key file ${path}`);
}

/** Writes a private key PEM with mode 0600; refuses to overwrite unless `force`. */
export function writePrivateKeyFile(path: string, pem: string, force = false): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = openSync(path, force ? 'w' : 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new UsageError(`${path} already exists`, 'choose another path, or pass --force to replace it');
    throw error;
  }
  try {
    writeSync(fd, pem);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
}

/** `path=env1,env2` or `env:VARIABLE=env1,env2` → a key and its environments. */
export function readKeySpec(spec: string): { key: KeyObject; environments: string[]; origin: string } {
  const at = spec.lastIndexOf('=');
  const source = at === -1 ? spec : spec.slice(0, at);
  const environments =
    at === -1
      ? []
      : spec
          .slice(at + 1)
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean);
  return { ...readKeySource(source), environments };
}

export function readKeySource(source: string): { key: KeyObject; origin: string } {
  if (source.startsWith('env:')) {
    const name = source.slice(4);
    const value = process.env[name];
    if (!value) throw new UsageError(`the environment variable ${name} is not set`);
    return { key: parsePrivateKey(value, `$${name}`), origin: `$${name}` };
  }
  return { key: readPrivateKeyFile(source), origin: source };
}

export interface DevelopmentKey {
  privateKey: KeyObject;
  path: string;
  keysetPath: string;
  created: boolean;
}

export const developmentKeyDir = (root: string, env = process.env): string =>
  env.FLAGS_DEV_KEY_DIR ? resolve(env.FLAGS_DEV_KEY_DIR) : join(defaultCacheDir(root), 'dev-key');

/** The workstation's development key; made on first use. Its keyset is rewritten when the policy changes. */
export function developmentKey(
  root: string,
  project: string,
  environments: readonly string[],
): DevelopmentKey {
  const dir = developmentKeyDir(root);
  const path = join(dir, 'dev-key.pem');
  const keysetPath = join(dir, 'keyset.json');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The folder ignores itself, so the key stays out of git even where .cache is not ignored.
  if (!existsSync(join(dir, '.gitignore'))) writeFileAtomic(join(dir, '.gitignore'), '*\n');
  let created = false;
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writePrivateKeyFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    created = true;
  }
  const privateKey = parsePrivateKey(readFileSync(path, 'utf8'), `the development key ${path}`);
  const [keyid, entry] = keysetEntry({
    publicKey: createPublicKey(privateKey),
    environments,
    notBefore: Date.parse('2000-01-01T00:00:00Z'),
    development: true,
    comment: 'development key made by flags build; never trusted in production',
  });
  // Ed25519 signatures are deterministic, so the same key and policy give the same file.
  const keyset = serializeKeysetFile(
    createKeyset(project, { [keyid]: entry }, [signerOf(privateKey)], Date.parse('2000-01-01T00:00:00Z')),
  );
  let existing: string | undefined;
  try {
    existing = readFileSync(keysetPath, 'utf8');
  } catch {
    existing = undefined;
  }
  if (existing !== keyset) writeFileAtomic(keysetPath, keyset);
  return { privateKey, path, keysetPath, created };
}

export interface ResolveKeysOptions {
  root: string;
  project: string;
  /** Every environment of the policy (the development keyset covers them all). */
  policyEnvironments: readonly string[];
  environments: readonly string[];
  keyFile?: string;
  requireKey?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface ResolvedKeys {
  keys: SigningKey[];
  development?: DevelopmentKey;
}

/** Per environment: --key-file, then FLAGS_SIGNING_KEY_<ENV>, then FLAGS_SIGNING_KEY, else the development key. */
export function resolveSigningKeys(options: ResolveKeysOptions): ResolvedKeys {
  const env = options.env ?? process.env;
  const fromFile = options.keyFile ? readPrivateKeyFile(options.keyFile) : undefined;
  const keys: SigningKey[] = [];
  let development: DevelopmentKey | undefined;
  const parsed = new Map<string, KeyObject>();
  for (const environment of options.environments) {
    const specific = signingKeyVariable(environment);
    let key: KeyObject | undefined;
    let origin = '';
    if (fromFile) {
      key = fromFile;
      origin = options.keyFile!;
    } else {
      const name = env[specific] ? specific : env.FLAGS_SIGNING_KEY ? 'FLAGS_SIGNING_KEY' : undefined;
      if (name) {
        key = parsed.get(name) ?? parsePrivateKey(env[name]!, `$${name}`);
        parsed.set(name, key);
        origin = `$${name}`;
      }
    }
    if (key) {
      keys.push({ environment, signer: signerOf(key), origin, development: false });
      continue;
    }
    if (options.requireKey)
      throw new UsageError(
        `no signing key for ${environment}`,
        `set ${specific} or FLAGS_SIGNING_KEY (a PKCS#8 PEM from flags keygen), or pass --key-file`,
      );
    development ??= developmentKey(options.root, options.project, options.policyEnvironments);
    keys.push({
      environment,
      signer: signerOf(development.privateKey),
      origin: `the development key ${development.path}`,
      development: true,
    });
  }
  return development ? { keys, development } : { keys };
}

/**
 * Verifies a keyset file's chain of versions (held to a state file when given one, as the runtime
 * does); a refusal becomes an InputError naming the file.
 */
export async function verifyKeysetFile(
  path: string,
  bytes: Uint8Array | string,
  root?: string,
  stateFile?: string,
): Promise<TrustedKeyset> {
  try {
    return await verifyKeysetWithState(
      bytes,
      root ? { root } : {},
      stateFile === undefined ? undefined : fileStateStore(stateFile),
    );
  } catch (error) {
    if (error instanceof VerificationError)
      throw new InputError(`keyset refused [${error.code}]: ${error.message}`, {
        location: { file: path },
        ...(keysetHint(error.code) ? { hint: keysetHint(error.code) } : {}),
      });
    throw error;
  }
}

function keysetHint(code: string): string | undefined {
  switch (code) {
    case 'keyset-key-not-valid':
    case 'keyset-old-key-missing':
      return 'sign the new version with a current, unretired key of each environment it changes (--sign-with)';
    case 'keyset-root-mismatch':
      return 'this is not the keyset whose version 1 you pinned: check --keyset-root against flags keyset show';
    default:
      return undefined;
  }
}
