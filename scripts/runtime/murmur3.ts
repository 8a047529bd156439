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

/**
 * murmur3's state after the whole 4-byte blocks of a flag key, so the bucket of `key + org` can be
 * computed from the organization's characters alone: no concatenation and no copying per call.
 */
export interface KeyPrefix {
  h: number;
  /** The key's last bytes that do not fill a block, little-endian, and how many there are. */
  tail: number;
  tailLength: number;
  keyLength: number;
}

const ASCII = /^[\x00-\x7f]*$/;

export function keyPrefix(key: string): KeyPrefix | undefined {
  if (!ASCII.test(key)) return undefined;
  let h = 0;
  const blocks = key.length & ~3;
  for (let i = 0; i < blocks; i += 4) {
    h = mixBlock(
      h,
      key.charCodeAt(i) |
        (key.charCodeAt(i + 1) << 8) |
        (key.charCodeAt(i + 2) << 16) |
        (key.charCodeAt(i + 3) << 24),
    );
  }
  let tail = 0;
  for (let i = blocks; i < key.length; i++) tail |= key.charCodeAt(i) << ((i - blocks) * 8);
  return { h, tail, tailLength: key.length - blocks, keyLength: key.length };
}

function mixBlock(h: number, block: number): number {
  let k = Math.imul(block, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** bucketOf(key, org) continued from the key's prefix; falls back to the full hash for non-ASCII ids. */
export function bucketAfter(prefix: KeyPrefix, key: string, organizationId: string): number {
  let h = prefix.h;
  let k = prefix.tail;
  let n = prefix.tailLength;
  const length = organizationId.length;
  for (let i = 0; i < length; i++) {
    const c = organizationId.charCodeAt(i);
    if (c > 0x7f) return bucketOf(key, organizationId);
    k |= c << (n << 3);
    if (++n === 4) {
      h = mixBlock(h, k);
      k = 0;
      n = 0;
    }
  }
  if (n > 0) {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
  }
  h ^= prefix.keyLength + length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.floor(((h >>> 0) * 100) / 4294967296);
}
