import { open } from 'node:fs/promises';
import { VerificationError } from './errors.js';

/**
 * Reads a bundle or keyset from a file, a URL or bytes, never more than the cap: a file's size and
 * a response's Content-Length are checked before reading, and a body is cut off as soon as it
 * passes the cap, so an oversized input is refused before anything parses it.
 */

export type Source = { path: string } | { url: string | URL; init?: RequestInit } | { bytes: Uint8Array };

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export function describeSource(source: Source): string {
  if ('path' in source) return source.path;
  if ('url' in source) return String(source.url);
  return `${source.bytes.byteLength} bytes`;
}

export async function readSource(
  source: Source,
  maxBytes: number,
  fetchImpl?: FetchLike,
): Promise<Uint8Array> {
  if ('bytes' in source) {
    if (source.bytes.byteLength > maxBytes) throw tooLarge(source.bytes.byteLength, maxBytes);
    return source.bytes;
  }
  if ('path' in source) return readFileCapped(source.path, maxBytes);
  return fetchCapped(source.url, source.init, maxBytes, fetchImpl ?? globalThis.fetch);
}

const tooLarge = (size: number | string, maxBytes: number) =>
  new VerificationError('too-large', `the input is ${size} bytes, over the cap of ${maxBytes}`);

async function readFileCapped(path: string, maxBytes: number): Promise<Uint8Array> {
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
    const buffer = Buffer.allocUnsafe(size + 1);
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

async function fetchCapped(
  url: string | URL,
  init: RequestInit | undefined,
  maxBytes: number,
  fetchImpl: FetchLike,
): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetchImpl(url, { redirect: 'follow', ...init });
  } catch (error) {
    throw new VerificationError('fetch-failed', `cannot fetch ${String(url)}: ${(error as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new VerificationError('fetch-failed', `fetching ${String(url)} answered ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(declared, maxBytes);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(`more than ${maxBytes}`, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}
