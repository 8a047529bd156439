import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  writeSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { PolicyAnalysis } from '../core/check/analyze-policy.js';
import type { Finding } from '../core/findings/finding.js';
import type { Policy } from '../core/model/policy.js';
import { writeCacheFile } from './files.js';
import { sha256 } from './repo-files.js';

/**
 * Where the caches live and why they can be believed.
 *
 * A cache may only ever make a command faster; it must never change a verdict or a bundle. Anyone
 * who can put a file in the working tree (a pull request) must therefore be unable to write an
 * entry the toolkit accepts. Two rules make that so:
 *
 * - The caches live outside the repository by default: `$FLAGS_CACHE_DIR`, else
 *   `$XDG_CACHE_HOME/flags-as-code/<repo>` (`~/.cache/…`; the temporary folder when there is no
 *   home), `<repo>` a hash of the repository's real path.
 * - Every cache file is sealed with an HMAC-SHA256 under a key made on first use in the cache root
 *   (`mac-key`, 32 random bytes, mode 0600, in a 0700 folder) and never stored in a repository. A
 *   file whose seal does not verify is ignored, wherever it lies, so `--cache-dir` may even point
 *   into the repository: a committed or edited cache file cannot carry the seal. A key file that is
 *   not a private regular file of this user, or that lies inside the repository, turns the caches
 *   off.
 *
 * What a seal cannot defend against is someone who can read the key, i.e. the user's own account.
 */

const KEY_FILE = 'mac-key';
const SEAL = 'flags-cache-seal/1';

/** The folder holding every repository's caches and the key that seals them. */
export function cacheRoot(env = process.env): string {
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'flags-as-code');
  let home = '';
  try {
    home = homedir();
  } catch {
    // no home (a container user without one): the temporary folder below
  }
  if (home) return join(home, '.cache', 'flags-as-code');
  return join(tmpdir(), `flags-as-code-${process.getuid?.() ?? 'user'}`);
}

/** The cache folder of a repository: `$FLAGS_CACHE_DIR`, else a folder of its own under cacheRoot. */
export function cacheDirFor(root: string, env = process.env): string {
  if (env.FLAGS_CACHE_DIR) return resolve(env.FLAGS_CACHE_DIR);
  let real = resolve(root);
  try {
    real = realpathSync(root);
  } catch {
    // a root that does not exist fails later, with its own message
  }
  return join(cacheRoot(env), sha256(real).slice(0, 24));
}

const within = (folder: string, path: string): boolean => {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

const keys = new Map<string, Buffer | undefined>();

/**
 * The sealing key for caches of the repository at `root`; undefined (caches off) when it cannot be
 * had safely. Made with O_EXCL, so two processes starting at once agree on one key.
 */
export function cacheKey(root: string, env = process.env): Buffer | undefined {
  const folder = cacheRoot(env);
  const path = join(folder, KEY_FILE);
  const memo = `${folder}\0${root}`;
  if (keys.has(memo)) return keys.get(memo);
  let key: Buffer | undefined;
  if (!within(resolve(root), path)) {
    try {
      key = readKey(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') key = makeKey(folder, path);
    }
  }
  keys.set(memo, key);
  return key;
}

function readKey(path: string): Buffer | undefined {
  const stat = lstatSync(path);
  // Not a link, not shared: a key others can read or replace seals nothing.
  if (!stat.isFile() || stat.size !== 32 || (stat.mode & 0o077) !== 0) return undefined;
  if (process.getuid && stat.uid !== process.getuid()) return undefined;
  const fd = openSync(path, 'r');
  try {
    const key = Buffer.alloc(32);
    if (readSync(fd, key, 0, 32, 0) !== 32 || fstatSync(fd).ino !== stat.ino) return undefined;
    return key;
  } finally {
    closeSync(fd);
  }
}

function makeKey(folder: string, path: string): Buffer | undefined {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const fd = openSync(path, 'wx', 0o600);
    const key = randomBytes(32);
    try {
      for (let done = 0; done < 32; ) done += writeSync(fd, key, done, 32 - done);
    } finally {
      closeSync(fd);
    }
    return key;
  } catch (error) {
    // Another process made it first: use that one.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      try {
        return readKey(path);
      } catch {
        return undefined;
      }
    }
    return undefined; // a read-only home: no caches
  }
}

/**
 * A sealed cache file: one line `flags-cache-seal/1 <kind> <hmac>` and the body. The HMAC is taken
 * under a key of its own per kind (an HMAC of the kind under the cache key), so a file of one kind
 * never passes for another, and the body is MACed as it is, in one piece (sealCheck can do that
 * on libuv's threads).
 */
const kindKey = (key: Buffer, kind: string): Buffer =>
  createHmac('sha256', key).update(`${SEAL}\0${kind}`).digest();

function sealOf(key: Buffer, kind: string, body: readonly Uint8Array[]): string {
  const mac = createHmac('sha256', kindKey(key, kind));
  for (const chunk of body) mac.update(chunk);
  return mac.digest('hex');
}

/** The seal line of `bytes` when it is one of `kind`: where the body starts, and the MAC. */
function sealLine(kind: string, bytes: Buffer): { body: Buffer; mac: Buffer } | undefined {
  const end = bytes.indexOf(0x0a);
  if (end < 0) return undefined;
  const head = bytes.toString('latin1', 0, end).split(' ');
  if (head.length !== 3 || head[0] !== SEAL || head[1] !== kind || !/^[0-9a-f]{64}$/.test(head[2]!))
    return undefined;
  return { body: bytes.subarray(end + 1), mac: Buffer.from(head[2]!, 'hex') };
}

/**
 * unsealed, with the MAC computed on libuv's threads (WebCrypto): for a large file read while the
 * main thread is busy with other work.
 */
export async function unsealedAsync(key: Buffer, kind: string, bytes: Buffer): Promise<Buffer | undefined> {
  const line = sealLine(kind, bytes);
  if (!line) return undefined;
  const { subtle } = globalThis.crypto;
  const view = (b: Buffer) => new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
  const hmac = await subtle.importKey(
    'raw',
    view(kindKey(key, kind)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['verify'],
  );
  return (await subtle.verify('HMAC', hmac, view(line.mac), view(line.body))) ? line.body : undefined;
}

export function sealed(key: Buffer, kind: string, body: string | readonly Uint8Array[]): Uint8Array[] {
  const chunks = typeof body === 'string' ? [Buffer.from(body, 'utf8')] : body;
  return [Buffer.from(`${SEAL} ${kind} ${sealOf(key, kind, chunks)}\n`, 'ascii'), ...chunks];
}

/** The body of a sealed file whose seal verifies; undefined for anything else. */
export function unsealed(key: Buffer, kind: string, bytes: Buffer): Buffer | undefined {
  const line = sealLine(kind, bytes);
  if (!line) return undefined;
  const expected = Buffer.from(sealOf(key, kind, [line.body]), 'hex');
  return timingSafeEqual(expected, line.mac) ? line.body : undefined;
}

/** Reads a sealed file; undefined when it is absent, unreadable or its seal fails. */
export function readSealed(key: Buffer, kind: string, path: string): Buffer | undefined {
  try {
    return unsealed(key, kind, readFileSync(path));
  } catch {
    return undefined;
  }
}

/** Writes a sealed file atomically in the background (files.ts: writeCacheFile). */
export function writeSealed(
  key: Buffer,
  kind: string,
  path: string,
  body: string | readonly Uint8Array[],
): Promise<void> {
  return writeCacheFile(path, sealed(key, kind, body));
}

/** Whether JSON.stringify then JSON.parse gives back an equal value (no NaN, ±Infinity or -0). */
export function isJsonSafe(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (value === null || typeof value !== 'object') return typeof value !== 'bigint';
  if (Array.isArray(value)) return value.every(isJsonSafe);
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined && !isJsonSafe(v)) return false;
  }
  return true;
}

/** The analysed policy (core/check/analyze-policy.ts), cached by its bytes and the toolkit fingerprint. */
export type { PolicyAnalysis };

const POLICY_CACHE_FILE = 'policy.json';
const FORMAT = 4;

export function readPolicyCache(
  dir: string,
  key: Buffer,
  fingerprint: string,
  bytesHash: string,
): PolicyAnalysis | undefined {
  try {
    const body = readSealed(key, 'policy', join(dir, POLICY_CACHE_FILE));
    if (!body) return undefined;
    const data = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    if (
      data.format === FORMAT &&
      data.fingerprint === fingerprint &&
      data.bytes === bytesHash &&
      data.policy &&
      typeof data.policy === 'object' &&
      Array.isArray(data.findings) &&
      data.at &&
      typeof data.at === 'object'
    )
      return {
        policy: data.policy as Policy,
        findings: data.findings as Finding[],
        at: data.at as PolicyAnalysis['at'],
      };
  } catch {
    // unreadable: analyse the policy
  }
  return undefined;
}

export function writePolicyCache(
  dir: string,
  key: Buffer,
  fingerprint: string,
  bytesHash: string,
  analysis: PolicyAnalysis,
): void {
  if (!isJsonSafe(analysis)) return;
  const data = { format: FORMAT, fingerprint, bytes: bytesHash, ...analysis };
  void writeSealed(key, 'policy', join(dir, POLICY_CACHE_FILE), JSON.stringify(data));
}
