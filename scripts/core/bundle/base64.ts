/** Standard base64 with padding, as the toolkit writes bundles and keysets (the runtime only decodes). */
export const encodeBase64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
