import { isAscii } from 'node:buffer';
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, Script } from 'node:vm';
import { writeFileAtomic } from './runtime/atomic-write.js';

/**
 * Loads the bundled CLI (build/image/flags.cjs) with a V8 code cache.
 *
 * Why: a check after a small change is mostly start-up, and compiling the CLI's code is a large part
 * of it. Node 22+ can cache compiled ES modules (module.enableCompileCache), Node 20 cannot, and
 * neither caches the code a run compiles lazily. V8's code cache for a script holds the bytecode of
 * every function compiled so far, so a cache made after a representative run (image.ts makes one
 * at build time) spares the next run nearly all compilation: ~30 ms of a ~210 ms warm check.
 *
 * The cache file starts with the SHA-256 of the source it was made from. V8 itself only checks the
 * source's length, so without this a rebuilt image of the same length could run stale bytecode.
 * A cache that is missing, made for another source or rejected by V8 (another Node version or
 * other V8 flags) is ignored, and the caller may save a fresh one after its run.
 */

export const IMAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'image');
export const IMAGE_FILE = join(IMAGE_DIR, 'flags.cjs');
export const CODE_CACHE_FILE = join(IMAGE_DIR, 'flags.cjs.code-cache');
const DIGEST_BYTES = 32;

/** What the image exports: scripts/image-entry.ts, compiled into it. */
export type CliImage = typeof import('./image-entry.js');

export interface LoadedImage {
  cli: CliImage;
  /** Whether the code cache was missing, stale or rejected, so that saving one would help. */
  stale: boolean;
  /** Writes the code cache of everything compiled so far (atomically; errors are the caller's). */
  saveCodeCache(): void;
}

export function loadImage(file = IMAGE_FILE, cacheFile = CODE_CACHE_FILE): LoadedImage {
  const bytes = readFileSync(file);
  const digest = hash('sha256', bytes, 'buffer') as unknown as Buffer;
  // esbuild writes ASCII (image.ts drops the comments that could hold anything else), and V8 scans
  // a one-byte string faster; anything else is decoded as the UTF-8 it is.
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const stored = readOptional(cacheFile);
  const cachedData =
    stored && stored.length > DIGEST_BYTES && stored.subarray(0, DIGEST_BYTES).equals(digest)
      ? stored.subarray(DIGEST_BYTES)
      : undefined;
  // The wrapper Node gives a CommonJS module; the image is one, written by esbuild.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    // The image makes no dynamic imports today; if one appears, it resolves as in any module.
    importModuleDynamically: constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  const module = { exports: {} as CliImage };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return {
    cli: module.exports,
    stale,
    saveCodeCache: () =>
      // Not flushed to disk: a torn cache fails the digest or V8's own checks and is ignored.
      writeFileAtomic(cacheFile, Buffer.concat([digest, script.createCachedData()]), 0o644, false),
  };
}

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}
