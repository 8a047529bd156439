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
import { join, relative, sep } from 'node:path';
import { finding, type Finding } from '../core/findings/finding.js';

/**
 * Finds and reads the flag files of a repository. Symbolic links are followed only while they stay
 * inside the repository; files over the size cap are never read whole.
 */

export const FLAGS_DIR = 'flags';

export interface FlagFileBytes {
  file: string;
  hash: string;
  bytes: Uint8Array;
}

export interface ReadFlagFiles {
  files: FlagFileBytes[];
  findings: Finding[];
}

const toPosix = (path: string) => path.split(sep).join('/');

export function readFlagFiles(root: string, maxBytes: number): ReadFlagFiles {
  const findings: Finding[] = [];
  const files: FlagFileBytes[] = [];
  const realRoot = realpathSync(root);
  const dir = join(root, FLAGS_DIR);
  if (!existsSync(dir)) return { files, findings };
  const visited = new Set<string>();
  const walk = (abs: string) => {
    const real = realpathSync(abs);
    if (visited.has(real)) return;
    visited.add(real);
    const entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const path = join(abs, entry.name);
      const file = toPosix(relative(root, path));
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(path);
        } catch {
          findings.push(
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
          findings.push(
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
      if (isDir) walk(path);
      else if (isFile && isFlagFileName(entry.name)) {
        if (entry.name.endsWith('.yml')) {
          findings.push(
            finding(
              'file/wrong-extension',
              file,
              { line: 1, col: 1 },
              'flag files end in .yaml',
              `rename to ${entry.name.replace(/\.yml$/, '.yaml')}`,
            ),
          );
        }
        const read = readCapped(path, maxBytes);
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
    }
  };
  walk(dir);
  return { files, findings };
}

/** Files under flags/ that are flags: YAML, not the policy or other files starting with an underscore. */
export const isFlagFileName = (name: string): boolean => /\.ya?ml$/.test(name) && !name.startsWith('_');

function readCapped(
  path: string,
  maxBytes: number,
): { bytes: Uint8Array } | { size: number } | { error: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) return { size };
    const bytes = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return { bytes: bytes.subarray(0, read) };
  } finally {
    closeSync(fd);
  }
}

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

export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');
