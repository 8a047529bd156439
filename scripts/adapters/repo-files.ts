import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { finding, type Finding } from '../core/findings/finding.js';
import { ORGANIZATIONS_DIR, POLICY_FILE } from '../core/model/constants.js';

/**
 * Finds and reads the flag files of a repository. Symbolic links are never followed: each is a
 * `file/symlink` finding; files over the size cap are never read whole.
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
  const dir = join(root, FLAGS_DIR);
  const top = lstatOrUndefined(dir);
  if (!top) return { entries, count };
  if (top.isSymbolicLink()) {
    entries.push(symlinkFinding(root, FLAGS_DIR));
    return { entries, count };
  }
  const walk = (abs: string, rel: string) => {
    const list = readdirSync(abs, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of list) {
      const name = entry.name;
      if (name.startsWith('.')) continue;
      const path = abs + sep + name;
      // Built by hand: path.relative and a split/join per file cost more than the read itself.
      const file = `${rel}/${name}`;
      if (entry.isSymbolicLink()) {
        // Never followed: whatever it points to, a link makes a flag's content a file elsewhere,
        // which a change under flags/ (and its review) does not show.
        if (isFlagFileName(name) || isDirectory(path)) entries.push(symlinkFinding(root, file));
        continue;
      }
      // Subscription files (flags/_organizations/) are no flag files: adapters/organizations.ts reads them.
      if (entry.isDirectory()) {
        if (file !== ORGANIZATIONS_DIR) walk(path, file);
      } else if (entry.isFile() && isFlagFileName(name)) {
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

const lstatOrUndefined = (path: string) => {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
};

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/**
 * The one finding for a symbolic link where the toolkit reads a file (a flag file or a folder of
 * them, the policy, CODEOWNERS), wherever it points: inside the repository, outside, or nowhere.
 */
export function symlinkFinding(root: string, file: string): Finding {
  const path = join(root, file);
  let target: string;
  try {
    target = readlinkSync(path);
  } catch {
    target = '?';
  }
  let where: string;
  try {
    const real = realpathSync(path);
    const realRoot = realpathSync(root);
    where =
      real === realRoot || real.startsWith(realRoot + sep)
        ? `${relative(realRoot, real).split(sep).join('/') || '.'} in the repository`
        : 'outside the repository';
  } catch {
    where = 'which does not exist';
  }
  return finding(
    'file/symlink',
    file,
    { line: 1, col: 1 },
    symlinkMessage(file, target, where),
    SYMLINK_HINT,
  );
}

export const SYMLINK_HINT =
  'replace the link with the file itself (a linked folder with the folder and its files)';

export const symlinkMessage = (file: string, target: string, where: string): string =>
  `symbolic link to ${target} (${where}); refused: a change to its target would change what is read here without a change to ${file}`;

/** Where a link stored in git (not on disk) points: the same words as symlinkFinding, from the path alone. */
export function symlinkTargetIn(file: string, target: string): string {
  if (target.startsWith('/')) return 'outside the repository';
  const resolved = posix.normalize(posix.join(posix.dirname(file), target));
  return resolved === '..' || resolved.startsWith('../')
    ? 'outside the repository'
    : `${resolved} in the repository`;
}

/**
 * A file the toolkit trusts (the policy, CODEOWNERS) read from the working tree, refusing a link at
 * the file or at any folder on its way (`.github` linked elsewhere). Absent: no bytes, no finding.
 */
export function readRegularFile(
  root: string,
  file: string,
): { bytes: Uint8Array } | { absent: true } | { symlink: Finding } {
  const parts = file.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join('/');
    const stat = lstatOrUndefined(join(root, rel));
    if (!stat) return { absent: true };
    if (stat.isSymbolicLink()) return { symlink: symlinkFinding(root, rel) };
  }
  const bytes = readOptional(join(root, file));
  return bytes === undefined ? { absent: true } : { bytes };
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
