import { describe, expect, it } from 'vitest';
import { decodeBase64Strict } from '../../scripts/runtime/base64.js';
import { type BundleFile, canonicalBundleFile, strictBundleFile } from '../../scripts/runtime/verify.js';
import { newKey, signedBundle } from './support.js';

/**
 * A verifier reads the usual bundle (ASCII, content first) the fast way: the content decoded
 * straight from its bytes, the rest parsed strictly with the content emptied. Wherever the fast way
 * reads a file at all, it must read what the strict parser reads from the same bytes; where it
 * cannot, the strict parser answers. Checked here on a real signed bundle and thousands of
 * single-byte changes, insertions and deletions, in the content, at its edges and in the envelope.
 */

const bundle = signedBundle({ signers: [newKey().signer] });
const text = Buffer.from(bundle).toString('latin1');
const contentStart = '{"content":"'.length;
const contentEnd = text.indexOf('"', contentStart);

const strictly = (bytes: Uint8Array): BundleFile | string => {
  try {
    return strictBundleFile(bytes);
  } catch (error) {
    return (error as { code: string }).code;
  }
};

/** Positions worth changing: the content's edges and middle, its closing quote, the envelope. */
const positions = [
  0,
  contentStart - 1,
  contentStart,
  contentStart + 1,
  (contentStart + contentEnd) >> 1,
  contentEnd - 2,
  contentEnd - 1,
  contentEnd,
  contentEnd + 1,
  contentEnd + 5,
  text.indexOf('"payload"'),
  text.indexOf('"sig"') + 8,
  bundle.length - 2,
  bundle.length - 1,
];

function* variants(): Generator<Uint8Array> {
  yield bundle;
  for (const at of positions) {
    for (let byte = 0; byte < 0x100; byte++) {
      const changed = new Uint8Array(bundle);
      changed[at] = byte;
      yield changed;
      yield Uint8Array.from([...bundle.subarray(0, at), byte, ...bundle.subarray(at)]);
    }
    yield Uint8Array.from([...bundle.subarray(0, at), ...bundle.subarray(at + 1)]);
  }
  const dot = Buffer.from(bundle).toString('latin1');
  yield Buffer.from(dot.replace('"envelope":', '"content":"QUJD","envelope":'), 'latin1');
  yield Buffer.from(`${dot} `, 'latin1');
  yield Buffer.from(`${dot}{}`, 'latin1');
}

describe('reading a bundle file the fast way', () => {
  it('takes the usual bundle, and reads it as the strict parser does', () => {
    const fast = canonicalBundleFile(bundle);
    expect(fast).toBeDefined();
    const strict = strictBundleFile(bundle);
    expect(fast!.envelope).toEqual(strict.envelope);
    expect(fast!.content).toBe(strict.content);
    expect(Buffer.from(fast!.contentBytes!)).toEqual(Buffer.from(decodeBase64Strict(strict.content)!));
  });

  it('reads nothing the strict parser reads otherwise, over thousands of changed bundles', () => {
    let fastReads = 0;
    let leftToStrict = 0;
    for (const bytes of variants()) {
      const fast = canonicalBundleFile(bytes);
      if (!fast) {
        leftToStrict++;
        continue;
      }
      fastReads++;
      const strict = strictly(bytes);
      expect(strict, Buffer.from(bytes).toString('latin1')).not.toBeTypeOf('string');
      const read = strict as BundleFile;
      expect(fast.envelope).toEqual(read.envelope);
      expect(fast.content).toBe(read.content);
      const decoded = decodeBase64Strict(read.content);
      expect(decoded).toBeDefined();
      expect(Buffer.from(fast.contentBytes!)).toEqual(Buffer.from(decoded!));
    }
    // Both ways were taken, so the comparison above was made, and refusals were left to the parser.
    expect(fastReads).toBeGreaterThan(100);
    expect(leftToStrict).toBeGreaterThan(1000);
  });
});
