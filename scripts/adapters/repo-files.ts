import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { join, sep } from 'node:path';
import { finding, type Finding } from '../core/findings/finding.js';
import { POLICY_FILE } from '../core/model/constants.js';

/**
 * Finds and reads the flag files of a repository. Symbolic links are followed only while they stay
 * inside the repository; files over the size cap are never read whole.
 *
 * Listing and reading are separate steps so that the analysis threads can start booting as soon as
 * the number of files is known, while the files are still being read.
 */

export const FLAGS_DIR = 'flags';
/** Where the policy lives (from the zod-free constants, so reading loads no parser or schema). */
export const POLICY_PATH = POLICY_FILE;

export interface FlagFileBytes {
  file: string;
  hash: string;
  bytes: Uint8Array;
}

export interface ReadFlagFiles {
  files: FlagFileBytes[];
  findings: Finding[];
}

/** A flag file found by the walk, not read yet. */
export interface ListedFile {
  file: string;
  path: string;
}

/** The walk's output in walk order: files to read and findings about links and names. */
export interface FlagFileListing {
  entries: (ListedFile | Finding)[];
  count: number;
}

const isListed = (entry: ListedFile | Finding): entry is ListedFile => !('code' in entry);

export function listFlagFiles(root: string): FlagFileListing {
  const entries: (ListedFile | Finding)[] = [];
  let count = 0;
  const realRoot = realpathSync(root);
  const dir = join(root, FLAGS_DIR);
  if (!existsSync(dir)) return { entries, count };
  const visited = new Set<string>();
  const walk = (abs: string, rel: string) => {
    const real = realpathSync(abs);
    if (visited.has(real)) return;
    visited.add(real);
    const list = readdirSync(abs, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of list) {
      const name = entry.name;
      if (name.startsWith('.')) continue;
      const path = abs + sep + name;
      // Built by hand: path.relative and a split/join per file cost more than the read itself.
      const file = `${rel}/${name}`;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(path);
        } catch {
          entries.push(
            finding(
              'file/unreadable',
              file,
              { line: 1, col: 1 },
              'symbolic link points to nothing',
              'remove the link or restore its target',
            ),
          );
          continue;
        }
        if (target !== realRoot && !target.startsWith(realRoot + sep)) {
          entries.push(
            finding(
              'file/symlink-escape',
              file,
              { line: 1, col: 1 },
              `symbolic link leaves the repository (to ${target})`,
              'replace the link with the file itself',
            ),
          );
          continue;
        }
        const stat = statSync(target);
        isDir = stat.isDirectory();
        isFile = stat.isFile();
      }
      if (isDir) walk(path, file);
      else if (isFile && isFlagFileName(name)) {
        if (name.endsWith('.yml')) {
          entries.push(
            finding(
              'file/wrong-extension',
              file,
              { line: 1, col: 1 },
              'flag files end in .yaml',
              `rename to ${name.replace(/\.yml$/, '.yaml')}`,
            ),
          );
        }
        entries.push({ file, path });
        count++;
      }
    }
  };
  walk(dir, FLAGS_DIR);
  return { entries, count };
}

/** Reads and hashes the listed files; findings stay in walk order, as one walk would give them. */
export function readListedFiles(listing: FlagFileListing, maxBytes: number): ReadFlagFiles {
  const findings: Finding[] = [];
  const files: FlagFileBytes[] = [];
  const reader = new CappedReader(maxBytes);
  for (const entry of listing.entries) {
    if (!isListed(entry)) {
      findings.push(entry);
      continue;
    }
    const { file } = entry;
    const read = reader.read(entry.path);
    if ('size' in read) {
      findings.push(
        finding(
          'file/too-large',
          file,
          { line: 1, col: 1 },
          `file is ${read.size} bytes, over the cap of ${maxBytes}`,
          'split the flag or raise limits.maxFileBytes in the policy',
        ),
      );
    } else if ('error' in read) {
      findings.push(
        finding(
          'file/unreadable',
          file,
          { line: 1, col: 1 },
          `cannot read the file: ${read.error}`,
          'check the file permissions',
        ),
      );
    } else {
      files.push({ file, hash: sha256(read.bytes), bytes: read.bytes });
    }
  }
  return { files, findings };
}

export function readFlagFiles(root: string, maxBytes: number): ReadFlagFiles {
  return readListedFiles(listFlagFiles(root), maxBytes);
}

/** Files under flags/ that are flags: YAML, not the policy or other files starting with an underscore. */
export const isFlagFileName = (name: string): boolean => /\.ya?ml$/.test(name) && !name.startsWith('_');

/**
 * Reads whole files up to a cap. Flag files are small: each is read straight into the free end of a
 * shared slab (no fstat, no copy, no allocation per file); only a file that fills the window gets
 * an fstat and its own buffer.
 */
class CappedReader {
  private readonly window: number;
  private slab: Buffer;
  private used = 0;

  constructor(private readonly maxBytes: number) {
    this.window = Math.min(maxBytes + 1, 65_536);
    this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, this.window));
  }

  read(path: string): { bytes: Uint8Array } | { size: number } | { error: string } {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
    }
    try {
      if (this.slab.length - this.used < this.window) {
        this.slab = Buffer.allocUnsafeSlow(Math.max(SLAB_BYTES, this.window));
        this.used = 0;
      }
      let n = readSync(fd, this.slab, this.used, this.window, 0);
      if (n < this.window) {
        const bytes = this.slab.subarray(this.used, this.used + n);
        this.used += n;
        return { bytes };
      }
      const size = fstatSync(fd).size;
      if (size > this.maxBytes) return { size };
      const bytes = Buffer.allocUnsafeSlow(size);
      n = 0;
      while (n < size) {
        const got = readSync(fd, bytes, n, size - n, n);
        if (got === 0) break;
        n += got;
      }
      if (n > this.maxBytes) return { size: n };
      return { bytes: bytes.subarray(0, n) };
    } catch (error) {
      return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
    } finally {
      closeSync(fd);
    }
  }
}

const SLAB_BYTES = 1 << 20;

export function readOptional(path: string): Uint8Array | undefined {
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const bytes = Buffer.allocUnsafe(size);
      const n = readSync(fd, bytes, 0, size, 0);
      return bytes.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * SHA-256 in hex. `crypto.hash` (Node 20.12+) skips the Hash object a streaming digest needs, which
 * is a fifth of the cost of hashing ten thousand small files; older runtimes take the long way.
 */
const oneShot = (
  crypto as { hash?: (algorithm: string, data: Uint8Array | string, encoding: 'hex') => string }
).hash;
export const sha256 = (data: Uint8Array | string): string =>
  oneShot ? oneShot('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
