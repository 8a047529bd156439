import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fsync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MemberRegion, MemberTable } from '../core/bundle/content.js';
import { FlagsError, InputError, UsageError } from '../errors.js';
import { writeFileAtomic } from './files.js';
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
  const [{ commit, shallow }, count, status] = await Promise.all([
    head(root),
    gitOutput(root, ['rev-list', '--first-parent', '--count', 'HEAD']),
    gitOutput(root, STATUS),
  ]);
  if (shallow)
    throw new UsageError(
      'the clone is shallow, so the serial (the commit count) would be wrong',
      'fetch the full history (actions/checkout with fetch-depth: 0), or give --serial',
    );
  return { commit, serial: Number(count.trim()), dirty: status.trim() !== '' };
}

/** The commit and dirtiness alone, for builds whose serial is given. */
export async function commitInfo(root: string): Promise<{ commit: string; dirty: boolean }> {
  const [{ commit }, status] = await Promise.all([head(root), gitOutput(root, STATUS)]);
  return { commit, dirty: status.trim() !== '' };
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

const failed = (result: GitResult): boolean =>
  result.error !== undefined || (result.code !== 0 && result.stderr.length > 0);

function runGit(root: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((done) => {
    execFile('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      // A non-zero exit is a result (failed() decides); a git that cannot run at all is an error.
      done({ code, stdout, stderr, ...(error && typeof error.code !== 'number' ? { error } : {}) });
    });
  });
}

async function gitOutput(root: string, args: readonly string[]): Promise<string> {
  const result = await runGit(root, args);
  if (failed(result))
    throw new FlagsError(`git ${args.join(' ')} failed: ${(result.error?.message ?? result.stderr).trim()}`);
  return result.stdout;
}

export interface OutputFile {
  name: string;
  bytes: Uint8Array;
}

/**
 * Writes every output only after all of them were made, each by an atomic rename: a reader sees a
 * bundle whole (old or new), and a failing build leaves the previous outputs untouched.
 */
export function writeOutputs(outDir: string, files: readonly OutputFile[]): string[] {
  return files.map((file) => {
    const path = join(outDir, file.name);
    writeFileAtomic(path, file.bytes);
    return path;
  });
}

/**
 * Atomic writes in two steps, so that waiting for the disk overlaps the work still to do: `stage`
 * writes a file's bytes to a temporary file beside it (into the page cache: a copy) and starts
 * flushing it (fsync on libuv's threads, which needs no turn of the event loop to proceed) while
 * the caller goes on signing and verifying the next bundle; `commit` waits for every flush and only
 * then renames each file over its target. Nothing is renamed unless every file was written and
 * flushed, and `abort` (or a failed write) removes the temporary files, so a failed build leaves
 * the previous outputs untouched and no temporary file behind, as writeFileAtomic does for one file.
 */
export class StagedWrites {
  private readonly staged: { temp: string; path: string; flushed: Promise<void> }[] = [];

  stage(path: string, data: Uint8Array | readonly Uint8Array[], mode = 0o644): void {
    mkdirSync(dirname(path), { recursive: true });
    const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
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
 * One UTF-8 file, read with one read and never split into strings per member:
 *
 *     flags-bundle-fragments/2 TAB <salt>
 *     {"flags":<n>,"rows":<bytes>,"environments":[[<name>,<bytes>],…]}
 *     <key> TAB <file sha256> TAB <end of the member in environment 1> TAB … (n rows, in key order)
 *     <members of environment 1>            the content between "flags":{ and }, <bytes> long
 *     …
 *
 * The file is checked whole before any of it is used: the salt, the sizes adding up to the file's
 * length, every row well formed with increasing ends, a comma after every member but the last and
 * a quote opening each one. A file that fails is ignored (and replaced by the next build), as is
 * one written by another toolkit or for another policy. It is written atomically (off the main
 * thread), and only when this build's members differ from the ones read.
 */
export class ContentCache {
  private saving: Promise<void> | undefined;

  private constructor(
    private readonly path: string | undefined,
    private readonly salt: string,
    /** The members of the last build, when the file was there, current and sound. */
    readonly previous: MemberTable | undefined,
  ) {}

  static disabled(): ContentCache {
    return new ContentCache(undefined, '', undefined);
  }

  static open(cacheDir: string, policy: unknown): ContentCache {
    const path = join(cacheDir, 'bundle-fragments.txt');
    const salt = `${toolFingerprint()}\0${sha256(JSON.stringify(policy))}`;
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(path);
    } catch {
      // no cache yet, or an unreadable one: start empty
    }
    return new ContentCache(
      path,
      salt,
      bytes ? parseMemberTable(bytes, `${CACHE_HEADER}\t${salt}`) : undefined,
    );
  }

  /** Starts writing the table (atomically, on libuv's threads); `settled` waits for it. */
  save(table: MemberTable): void {
    if (!this.path) return;
    const chunks = serializeMemberTable(table, `${CACHE_HEADER}\t${this.salt}`);
    if (!chunks) return;
    const writes = new StagedWrites();
    writes.stage(this.path, chunks);
    // A read-only checkout still builds, only without the cache.
    this.saving = writes.commit().then(
      () => undefined,
      () => undefined,
    );
  }

  async settled(): Promise<void> {
    await this.saving;
  }
}

const CACHE_HEADER = 'flags-bundle-fragments/2';

function serializeMemberTable(table: MemberTable, header: string): Uint8Array[] | undefined {
  const regions = [...table.regions];
  let rows = '';
  for (let i = 0; i < table.keys.length; i++) {
    const key = table.keys[i]!;
    const hash = table.hashes[i]!;
    // Keys are kebab-case by the schema; anything that could break a row is simply not cached.
    if (key === '' || UNSAFE.test(key) || UNSAFE.test(hash)) return undefined;
    rows += `${key}\t${hash}`;
    for (const [, region] of regions) rows += `\t${region.ends[i]}`;
    rows += '\n';
  }
  const rowBytes = Buffer.from(rows, 'utf8');
  const description = {
    flags: table.keys.length,
    rows: rowBytes.byteLength,
    environments: regions.map(([name, region]) => [name, region.bytes.byteLength]),
  };
  const chunks: Uint8Array[] = [Buffer.from(`${header}\n${JSON.stringify(description)}\n`, 'utf8'), rowBytes];
  for (const [, region] of regions) chunks.push(region.bytes, NEWLINE);
  return chunks;
}

const UNSAFE = /[\t\n\r]/;
const NEWLINE = new Uint8Array([0x0a]);

function parseMemberTable(bytes: Buffer, header: string): MemberTable | undefined {
  try {
    const headerEnd = bytes.indexOf(0x0a);
    if (headerEnd < 0 || bytes.toString('utf8', 0, headerEnd) !== header) return undefined;
    const descriptionEnd = bytes.indexOf(0x0a, headerEnd + 1);
    if (descriptionEnd < 0) return undefined;
    const description: unknown = JSON.parse(bytes.toString('utf8', headerEnd + 1, descriptionEnd));
    if (!isDescription(description)) return undefined;
    const { flags: n, environments } = description;
    // The rows, then each region followed by a newline, up to the end of the file exactly.
    const rowsEnd = descriptionEnd + 1 + description.rows;
    let expected = rowsEnd;
    for (const [, size] of environments) expected += size + 1;
    if (expected !== bytes.byteLength) return undefined;
    const rows = bytes.toString('utf8', descriptionEnd + 1, rowsEnd);
    const keys: string[] = new Array(n);
    const hashes: string[] = new Array(n);
    const ends = environments.map(() => new Uint32Array(n));
    let p = 0;
    for (let i = 0; i < n; i++) {
      const keyEnd = rows.indexOf('\t', p);
      const hashEnd = rows.indexOf('\t', keyEnd + 1);
      if (keyEnd <= p || hashEnd < 0) return undefined;
      keys[i] = rows.slice(p, keyEnd);
      hashes[i] = rows.slice(keyEnd + 1, hashEnd);
      if (i > 0 && !(keys[i - 1]! < keys[i]!)) return undefined;
      p = hashEnd;
      for (const column of ends) {
        if (rows.charCodeAt(p) !== 0x09) return undefined;
        let value = 0;
        let digits = 0;
        for (p++; ; p++, digits++) {
          const c = rows.charCodeAt(p) - 0x30;
          if (!(c >= 0 && c <= 9)) break;
          value = value * 10 + c;
        }
        if (digits === 0 || digits > 10) return undefined;
        column[i] = value;
      }
      if (rows.charCodeAt(p) !== 0x0a) return undefined;
      p++;
    }
    if (p !== rows.length) return undefined;
    const regions = new Map<string, MemberRegion>();
    let offset = rowsEnd;
    for (let e = 0; e < environments.length; e++) {
      const [name, size] = environments[e]!;
      const region = bytes.subarray(offset, offset + size);
      if (bytes[offset + size] !== 0x0a || !soundRegion(region, ends[e]!)) return undefined;
      regions.set(name, { bytes: region, ends: ends[e]! });
      offset += size + 1;
    }
    return { keys, hashes, regions };
  } catch {
    return undefined;
  }
}

/** Every member starts with a quote and is followed by a comma, the last one ending the region. */
function soundRegion(region: Uint8Array, ends: Uint32Array): boolean {
  const n = ends.length;
  if (n === 0) return region.byteLength === 0;
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = ends[i]!;
    if (end <= start || region[start] !== 0x22) return false;
    if (i + 1 < n ? region[end] !== 0x2c : end !== region.byteLength) return false;
    start = end + 1;
  }
  return true;
}

function isDescription(
  value: unknown,
): value is { flags: number; rows: number; environments: [string, number][] } {
  if (typeof value !== 'object' || value === null) return false;
  const { flags, rows, environments } = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(flags) &&
    (flags as number) >= 0 &&
    Number.isSafeInteger(rows) &&
    (rows as number) >= 0 &&
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
