import { spawn } from 'node:child_process';
import {
  closeSync,
  fsync,
  mkdirSync,
  fstatSync,
  openSync,
  read,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { MemberRegion, MemberTable } from '../core/bundle/content.js';
import { FlagsError, InputError, UsageError } from '../errors.js';
import { unsealed, unsealedAsync, writeSealed } from './cache.js';
import { tempBeside } from './files.js';
import { toolFingerprint } from './fingerprint.js';
import { FLAGS_DIR, sha256 } from './repo-files.js';

/**
 * The files and git facts around a build: where the source stands (commit, serial, uncommitted
 * changes), the committed keyset, and writing outputs so a reader never sees half a bundle.
 */

export const DEFAULT_KEYSET_FILE = join('keys', 'keyset.json');

export interface SourceInfo {
  commit: string;
  /** First-parent commit count of HEAD: grows with every commit on the published branch. */
  serial: number;
  /** Uncommitted or untracked changes under flags/. */
  dirty: boolean;
}

/*
 * The git facts come from plain `git` child processes, all started at once when the command starts
 * (before the repository loads, which they overlap): importing simple-git alone would cost more
 * than the three queries, each a few milliseconds. Failures read as simple-git reads them (an error
 * when git exits non-zero and says something on stderr), and a folder that is not a repository is
 * reported by the same check the other commands use.
 */

const STATUS = ['status', '--porcelain', '--untracked-files=all', '--', FLAGS_DIR];

export async function sourceInfo(root: string): Promise<SourceInfo> {
  const count = gitOutput(root, ['rev-list', '--first-parent', '--count', 'HEAD']);
  const status = gitOutput(root, STATUS);
  const { commit, shallow } = await settledFirst(head(root), count, status);
  if (shallow)
    throw new UsageError(
      'the clone is shallow, so the serial (the commit count) would be wrong',
      'fetch the full history (actions/checkout with fetch-depth: 0), or give --serial',
    );
  return { commit, serial: Number((await count).trim()), dirty: (await status).trim() !== '' };
}

/** The commit and dirtiness alone, for builds whose serial is given. */
export async function commitInfo(root: string): Promise<{ commit: string; dirty: boolean }> {
  const status = gitOutput(root, STATUS);
  const { commit } = await settledFirst(head(root), status);
  return { commit, dirty: (await status).trim() !== '' };
}

/**
 * The first promise's outcome, the others left to be awaited later but never unhandled: what is
 * wrong with HEAD (no repository, no commit) is said before any other git failure.
 */
function settledFirst<T>(first: Promise<T>, ...others: Promise<unknown>[]): Promise<T> {
  for (const other of others) other.catch(() => undefined);
  return first;
}

async function head(root: string): Promise<{ commit: string; shallow: boolean }> {
  const args = ['rev-parse', '--is-shallow-repository', '--verify', '--quiet', 'HEAD^{commit}'];
  const result = await runGit(root, args);
  let lines: string[] = [];
  if (failed(result)) {
    const { ensureRepository, gitAt } = await import('./git.js');
    await ensureRepository(gitAt(root), root);
  } else lines = result.stdout.trim().split('\n');
  const commit = lines[1]?.trim() ?? '';
  if (!/^[0-9a-f]{40,64}$/.test(commit))
    throw new UsageError('the repository has no commit to build from', 'commit the flag files first');
  return { commit, shallow: lines[0]?.trim() === 'true' };
}

interface GitResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

/** As simple-git decides: git could not run, or it exited non-zero and said something on stderr. */
const failed = (result: GitResult): boolean =>
  result.error !== undefined || (result.code !== 0 && result.stderr.length > 0);

function runGit(root: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((done) => {
    // stdin ignored: one pipe less to set up, on the main thread, before the repository loads.
    const child = spawn('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => done({ code: null, stdout: '', stderr: '', error }));
    child.on('close', (code) =>
      done({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

async function gitOutput(root: string, args: readonly string[]): Promise<string> {
  const result = await runGit(root, args);
  if (failed(result))
    throw new FlagsError(`git ${args.join(' ')} failed: ${(result.error?.message ?? result.stderr).trim()}`);
  return result.stdout;
}

/**
 * Atomic writes in two steps, so that waiting for the disk overlaps the work still to do: `stage`
 * writes a file's bytes to a temporary file beside it (into the page cache: a copy) and starts
 * flushing it (fsync on libuv's threads, which needs no turn of the event loop to proceed) while
 * the caller goes on signing and verifying the next bundle; `commit` waits for every flush and only
 * then renames each file over its target. Nothing is renamed unless every file was written and
 * flushed, and `abort` (or a failed write) removes the temporary files, so a failed build leaves
 * the previous outputs untouched and no temporary file behind, as writeFileAtomic
 * (scripts/adapters/files.ts) does for one file.
 */
export class StagedWrites {
  private readonly staged: { temp: string; path: string; flushed: Promise<void> }[] = [];

  /** Writes `data` to a temporary file beside `path` and starts flushing it; returns that file. */
  stage(path: string, data: Uint8Array | readonly Uint8Array[], mode = 0o644): string {
    mkdirSync(dirname(path), { recursive: true });
    const temp = tempBeside(path);
    let fd: number | undefined;
    try {
      fd = openSync(temp, 'w', mode);
      for (const chunk of data instanceof Uint8Array ? [data] : data)
        for (let done = 0; done < chunk.byteLength; )
          done += writeSync(fd, chunk, done, chunk.byteLength - done);
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      rmSync(temp, { force: true });
      throw error;
    }
    const opened = fd;
    const flushed = new Promise<void>((done, fail) =>
      fsync(opened, (error) => {
        try {
          closeSync(opened);
        } catch (closing) {
          error ??= closing as NodeJS.ErrnoException;
        }
        if (error) fail(error);
        else done();
      }),
    );
    flushed.catch(() => undefined); // reported by commit or ignored by abort, never unhandled
    this.staged.push({ temp, path, flushed });
    return temp;
  }

  /** Renames every staged file over its target; throws the first failure after removing the rest. */
  async commit(): Promise<string[]> {
    const staged = this.staged.splice(0);
    const results = await Promise.allSettled(staged.map((s) => s.flushed));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) {
      removeAll(staged.map((s) => s.temp));
      throw failure.reason;
    }
    for (let n = 0; n < staged.length; n++) {
      try {
        renameSync(staged[n]!.temp, staged[n]!.path);
      } catch (error) {
        removeAll(staged.slice(n).map((s) => s.temp));
        throw error;
      }
    }
    return staged.map((s) => s.path);
  }

  async abort(): Promise<void> {
    const staged = this.staged.splice(0);
    await Promise.allSettled(staged.map((s) => s.flushed));
    removeAll(staged.map((s) => s.temp));
  }
}

function removeAll(paths: readonly string[]): void {
  for (const path of paths) rmSync(path, { force: true });
}

export function readKeysetBytes(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError(`cannot read the keyset ${path}: ${(error as Error).message}`);
  }
}

/**
 * The members of the last build's contents (MemberTable), beside the check's cache and salted the
 * same way (toolkit fingerprint and policy), so a rebuild copies the compiled members of every
 * unchanged flag file as bytes and compiles only the flags whose files changed.
 *
 * One UTF-8 file, read in one read (started while the repository loads), whose columns are parsed
 * by JSON.parse and whose members are never split into strings:
 *
 *     flags-bundle-fragments/2 TAB <salt>
 *     {"flags":<n>,"environments":[[<name>,<bytes>],…]}
 *     [<key>,…]                      the flags' keys, in content order
 *     [<sha256 of the flag file>,…]
 *     [<offset where member i ends>,…]          one line per environment
 *     <members of environment 1>            the content between "flags":{ and }, <bytes> long
 *     …
 *
 * The file is checked before any of it is used: the salt, the columns and the sizes adding up to
 * the file's length; buildContents checks that every stretch of members it copies starts at the
 * member of its first flag and ends where a member ends. A file that fails is ignored (and replaced
 * by the next build), as is one written by another toolkit or for another policy. What a member
 * holds is trusted as the check's cached results are: the file is only ever written whole.
 * It is written whole (temporary file, rename), off the main thread, and only when this build's
 * members differ from the ones read. The file is sealed (cache.ts), and its seal is checked on
 * libuv's threads as it is read: a file without this user's seal is never used. A signing build
 * uses no cache at all (build.ts).
 */
export class ContentCache {
  private saving: Promise<void> | undefined;

  private constructor(
    private readonly path: string | undefined,
    private readonly key: Buffer | undefined,
    private readonly salt: string,
    /** The members of the last build, when the file was there, current and sound. */
    readonly previous: MemberTable | undefined,
  ) {}

  static disabled(): ContentCache {
    return new ContentCache(undefined, undefined, '', undefined);
  }

  /**
   * Reads the file on libuv's threads while the repository loads, to be handed to `open` later: in
   * one read request, which proceeds without the event loop (readFile reads in chunks, each waiting
   * for a turn of the loop, which a busy main thread does not give).
   */
  /** Size of the last build's content in the cache (0 without one): how large the bundles are. */
  static sizeAt(cacheDir: string): number {
    try {
      return statSync(join(cacheDir, CACHE_FILE)).size;
    } catch {
      return 0;
    }
  }

  /** The body of the sealed file, read and its seal checked on libuv's threads; undefined if unfit. */
  static prefetch(cacheDir: string, key: Buffer): Promise<Buffer | undefined> {
    let fd: number;
    let size: number;
    try {
      fd = openSync(join(cacheDir, CACHE_FILE), 'r');
    } catch {
      return Promise.resolve(undefined);
    }
    try {
      size = fstatSync(fd).size;
    } catch {
      closeSync(fd);
      return Promise.resolve(undefined);
    }
    const bytes = Buffer.allocUnsafeSlow(size);
    const whole = new Promise<Buffer | undefined>((done) =>
      read(fd, bytes, 0, size, 0, (error, count) => {
        closeSync(fd);
        done(error || count !== size ? undefined : bytes);
      }),
    );
    return whole.then((b) => (b ? unsealedAsync(key, CACHE_KIND, b) : undefined)).catch(() => undefined);
  }

  /**
   * The cache in `cacheDir` for this toolkit and policy, sealed with `key`; `body` is what prefetch
   * gave (read again here when it gave nothing).
   */
  static open(cacheDir: string, key: Buffer, policy: unknown, body?: Buffer): ContentCache {
    const path = join(cacheDir, CACHE_FILE);
    const salt = `${toolFingerprint()}\0${sha256(JSON.stringify(policy))}`;
    if (body === undefined)
      try {
        body = unsealed(key, CACHE_KIND, readFileSync(path));
      } catch {
        // no cache yet, or an unreadable one: start empty
      }
    return new ContentCache(
      path,
      key,
      salt,
      body ? parseMemberTable(body, `${CACHE_HEADER}\t${salt}`) : undefined,
    );
  }

  /**
   * Writes the table in the background (files.ts: writeCacheFile); `settled` waits for that. A file
   * cut short by a crash fails the checks above and is ignored, and the bundles' own flushes need
   * not queue behind it. A read-only checkout still builds, only without the cache.
   */
  save(table: MemberTable): void {
    if (!this.path || !this.key) return;
    this.saving = writeSealed(
      this.key,
      CACHE_KIND,
      this.path,
      serializeMemberTable(table, `${CACHE_HEADER}\t${this.salt}`),
    );
  }

  async settled(): Promise<void> {
    await this.saving;
  }
}

const CACHE_HEADER = 'flags-bundle-fragments/2';
const CACHE_KIND = 'bundle-fragments';
const CACHE_FILE = 'bundle-fragments.txt';

function serializeMemberTable(table: MemberTable, header: string): Uint8Array[] {
  const regions = [...table.regions];
  const description = {
    flags: table.keys.length,
    environments: regions.map(([name, region]) => [name, region.bytes.byteLength]),
  };
  // One JSON array per column, so writing and reading them is JSON.stringify and JSON.parse.
  const lines = [
    `${header}\n${JSON.stringify(description)}\n${JSON.stringify(table.keys)}\n${JSON.stringify(table.hashes)}\n`,
    ...regions.map(([, region]) => `${JSON.stringify(Array.from(region.ends))}\n`),
  ];
  const chunks: Uint8Array[] = [Buffer.from(lines.join(''), 'utf8')];
  for (const [, region] of regions) chunks.push(region.bytes, NEWLINE);
  return chunks;
}

const NEWLINE = new Uint8Array([0x0a]);

function parseMemberTable(bytes: Buffer, header: string): MemberTable | undefined {
  try {
    let at = 0;
    const line = (): string => {
      const end = bytes.indexOf(0x0a, at);
      if (end < 0) throw new RangeError('cut short');
      const text = bytes.toString('utf8', at, end);
      at = end + 1;
      return text;
    };
    if (line() !== header) return undefined;
    const description: unknown = JSON.parse(line());
    if (!isDescription(description)) return undefined;
    const { flags: n, environments } = description;
    const keys: unknown = JSON.parse(line());
    const hashes: unknown = JSON.parse(line());
    if (!isStrings(keys, n) || !isStrings(hashes, n)) return undefined;
    const ends = environments.map(() => {
      const column: unknown = JSON.parse(line());
      if (!Array.isArray(column) || column.length !== n) throw new RangeError('not a column');
      return Uint32Array.from(column as number[]);
    });
    // Then each region and a newline, up to the end of the file exactly.
    let expected = at;
    for (const [, size] of environments) expected += size + 1;
    if (expected !== bytes.byteLength) return undefined;
    const regions = new Map<string, MemberRegion>();
    for (let e = 0; e < environments.length; e++) {
      const [name, size] = environments[e]!;
      const region = bytes.subarray(at, at + size);
      if (bytes[at + size] !== 0x0a) return undefined;
      regions.set(name, { bytes: region, ends: ends[e]! });
      at += size + 1;
    }
    return { keys, hashes, regions };
  } catch {
    return undefined;
  }
}

function isDescription(value: unknown): value is { flags: number; environments: [string, number][] } {
  if (typeof value !== 'object' || value === null) return false;
  const { flags, environments } = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(flags) &&
    (flags as number) >= 0 &&
    Array.isArray(environments) &&
    environments.every(
      (e) =>
        Array.isArray(e) &&
        e.length === 2 &&
        typeof e[0] === 'string' &&
        Number.isSafeInteger(e[1]) &&
        e[1] >= 0,
    ) &&
    new Set(environments.map((e) => e[0])).size === environments.length
  );
}

const isStrings = (value: unknown, length: number): value is string[] =>
  Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'string');
