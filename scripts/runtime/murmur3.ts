/**
 * MurmurHash3 (x86, 32-bit) over the UTF-8 bytes of a string: the hash flagd's `fractional`
 * operator buckets with, so percentage rollouts agree with flagd and OpenFeature tooling.
 */
const encoder = new TextEncoder();

export function murmur3(text: string, seed = 0): number {
  const data = asciiBytes(text) ?? encoder.encode(text);
  const length = data.length;
  const blocks = length & ~3;
  let h = seed >>> 0;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= data[blocks + 2]! << 16;
    if (tail >= 2) k ^= data[blocks + 1]! << 8;
    k ^= data[blocks]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// Keys and organization ids are ASCII in practice; skipping the encoder keeps evaluation allocation-free.
const scratch = new Uint8Array(256);
function asciiBytes(text: string): Uint8Array | undefined {
  if (text.length > scratch.length) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return undefined;
    scratch[i] = c;
  }
  return scratch.subarray(0, text.length);
}

/** The percentage bucket, 0–99, of an organization for a flag: flagd's fractional with weights summing to 100. */
export function bucketOf(flagKey: string, organizationId: string): number {
  return Math.floor((murmur3(flagKey + organizationId) * 100) / 4294967296);
}
