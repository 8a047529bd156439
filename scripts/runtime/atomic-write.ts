import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Writes a file so that readers see either the old content or the new one, never a half-written
 * file: write a temporary file beside it, flush it, then rename it over the target. It lives in the
 * runtime (which may import nothing else of the toolkit); the toolkit's adapters use it too.
 */
/** A fresh temporary file's path beside `path` (same folder, so a rename into place is atomic). */
export const tempBeside = (path: string): string =>
  join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);

export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
  /**
   * Flush to disk before the rename. Only a cache that validates what it reads may skip it: after a
   * crash it may find an empty or torn file, which it ignores, but never a half-written one.
   */
  durable = true,
): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = tempBeside(path);
  try {
    const fd = openSync(temp, 'w', mode);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}
