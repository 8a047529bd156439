import { open, readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';
import { VerificationError } from './errors.js';
import type { StateStore } from './state.js';

/**
 * The runtime's Node conveniences: a bundle or keyset read from a path, and a state file. The
 * runtime loads this module only when it is given a path (a dynamic import), so an application on
 * Deno, Bun, Workers or in a browser never loads a `node:` module.
 */

const tooLarge = (size: number | string, maxBytes: number) =>
  new VerificationError('too-large', `the input is ${size} bytes, over the cap of ${maxBytes}`);

/** Reads a file, never more than the cap: its size is checked before reading. */
export async function readFileCapped(path: string, maxBytes: number): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new VerificationError(
      'unreadable',
      `cannot open ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw tooLarge(size, maxBytes);
    // Read one byte past the size: a file that grew since the stat is caught too.
    const buffer = new Uint8Array(size + 1);
    let read = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, read, buffer.length - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
      if (read > size) throw tooLarge(`more than ${size}`, maxBytes);
    }
    return buffer.subarray(0, read);
  } finally {
    await handle.close();
  }
}

/** A state file: read whole, written atomically (temporary file, fsync, rename) and private (0600). */
export function fileStateStore(path: string): StateStore {
  return {
    name: path,
    async read() {
      try {
        return await readFile(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async write(text) {
      writeFileAtomic(path, text, 0o600);
    },
  };
}
