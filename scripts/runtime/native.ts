/**
 * What a JavaScript runtime offers natively beyond the standard APIs, found by feature detection
 * (never imported, so Deno, Workers and browsers load nothing they lack): Node's and Bun's Buffer
 * and the newer Uint8Array.fromBase64. A bundle's content is megabytes, read on every load, and
 * these do in a tenth of a millisecond what code written here does in several; everything that
 * uses them has a standard-API path as well, and gives the same answers on both (tested).
 */

export interface NativeBuffer {
  from(text: string, encoding: 'base64'): Uint8Array;
  from(bytes: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'latin1'): string };
}

export type FromBase64 = (
  text: string,
  options: { alphabet: 'base64' | 'base64url'; lastChunkHandling: 'loose' },
) => Uint8Array;

export const nativeBuffer: NativeBuffer | undefined = (globalThis as { Buffer?: NativeBuffer }).Buffer;

export const fromBase64: FromBase64 | undefined = (Uint8Array as unknown as { fromBase64?: FromBase64 })
  .fromBase64;

const utf8 = new TextDecoder('utf-8');

/**
 * The text of bytes meant to be ASCII, where ASCII decodes the same in every encoding; any other
 * byte becomes some character at or above U+0080 (which one depends on the path), for the caller to
 * refuse.
 */
export const asciiText: (bytes: Uint8Array) => string = nativeBuffer
  ? (bytes) => nativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  : (bytes) => utf8.decode(bytes);

/** The standard-API path of asciiText, for tests holding both paths to the same answers. */
export const portableAsciiText = (bytes: Uint8Array): string => utf8.decode(bytes);

/** The part of Node's crypto the runtime uses (Node, Bun and Deno have it). */
export interface NodeCrypto {
  createHash(algorithm: 'sha256'): { update(bytes: Uint8Array): { digest(encoding: 'hex'): string } };
  createPublicKey(key: { key: Uint8Array; format: 'der'; type: 'spki' }): object;
  verify(algorithm: null, data: Uint8Array, key: object, signature: Uint8Array): boolean;
}

type BuiltinModules = { getBuiltinModule?: (id: string) => unknown };

/**
 * Node's crypto where the runtime has one, without an import: WebCrypto's answers arrive through a
 * thread pool, which on a busy machine costs several milliseconds per bundle; Node's own sha256 and
 * Ed25519 answer at once (bench/verify.ts).
 */
export const nodeCrypto: NodeCrypto | undefined = (() => {
  try {
    return (globalThis as { process?: BuiltinModules }).process?.getBuiltinModule?.('node:crypto') as
      | NodeCrypto
      | undefined;
  } catch {
    return undefined;
  }
})();
