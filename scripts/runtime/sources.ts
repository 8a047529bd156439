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
  if ('path' in source) {
    // Node only, loaded only when used: the runtime's other modules import no `node:` module.
    const { readFileCapped } = await import('./node-files.js');
    return readFileCapped(source.path, maxBytes);
  }
  const fetched = await fetchCapped(source.url, source.init, maxBytes, fetchImpl);
  if (!fetched.bytes)
    throw new VerificationError(
      'fetch-failed',
      `fetching ${String(source.url)} answered 304 to a request that was not conditional`,
    );
  return fetched.bytes;
}

/** A fetched body with its headers; no bytes for a 304 (Not Modified) answer, which has no body. */
export interface Fetched {
  bytes: Uint8Array | undefined;
  headers: Headers;
}

const tooLarge = (size: number | string, maxBytes: number) =>
  new VerificationError('too-large', `the input is ${size} bytes, over the cap of ${maxBytes}`);

export async function fetchCapped(
  url: string | URL,
  init: RequestInit | undefined,
  maxBytes: number,
  fetchImpl: FetchLike = globalThis.fetch,
): Promise<Fetched> {
  let response: Response;
  try {
    response = await fetchImpl(url, { redirect: 'follow', ...init });
  } catch (error) {
    throw new VerificationError('fetch-failed', `cannot fetch ${String(url)}: ${(error as Error).message}`);
  }
  const headers = response.headers;
  if (response.status === 304) {
    await response.body?.cancel().catch(() => undefined);
    return { bytes: undefined, headers };
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
  if (!response.body) return { bytes: new Uint8Array(0), headers };
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
  if (chunks.length === 1) return { bytes: chunks[0]!, headers };
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { bytes, headers };
}
