import { describe, expect, it } from 'vitest';
import { appendKeysetVersion, rotatedKeys, serializeKeysetFile } from '../../scripts/core/bundle/keyset.js';
import { VerificationError } from '../../scripts/runtime/errors.js';
import { type KeysetFile, verifyKeyset } from '../../scripts/runtime/keyset.js';
import { MAX_SIGNATURE_CHECKS, MAX_SIGNATURES } from '../../scripts/runtime/signature.js';
import { type VerifyOptions, verifyBundle } from '../../scripts/runtime/verify.js';
import { closeFile, flipBase64Byte, keysetFor, NOW, newKey, openFile, signedBundle } from './support.js';

/**
 * Issue 12, item 7: the order of a bundle's signatures never decides. One valid signature by a key
 * that may sign the bundle suffices, whatever comes before or after it; a signature naming no key
 * (DSSE makes keyid optional) is tried against the keys allowed for the environment.
 */

const production = newKey();
const staging = newKey();
const { trusted: keyset, text } = await keysetFor([
  { key: production, environments: ['production'] },
  { key: staging, environments: ['staging'] },
]);
const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
  keyset,
  environment: 'production',
  now: NOW + 3_600_000,
  ...extra,
});

async function refusal(bytes: Uint8Array, extra: Partial<VerifyOptions> = {}): Promise<VerificationError> {
  try {
    await verifyBundle(bytes, options(extra));
  } catch (error) {
    if (error instanceof VerificationError) return error;
    throw error;
  }
  throw new Error('the bundle was accepted');
}

type Signature = { keyid?: string; sig: string };
/** The bundle with its signatures put in the order `arrange` gives. */
const arranged = (bytes: Uint8Array, arrange: (signatures: Signature[]) => Signature[]): Uint8Array => {
  const file = openFile(bytes);
  file.envelope.signatures = arrange(file.envelope.signatures);
  return closeFile(file);
};
const byKey = (keyid: string) => (s: Signature) => s.keyid === keyid;
const orders = (bytes: Uint8Array, first: string) => [
  arranged(bytes, (s) => [...s.filter(byKey(first)), ...s.filter((x) => !byKey(first)(x))]),
  arranged(bytes, (s) => [...s.filter((x) => !byKey(first)(x)), ...s.filter(byKey(first))]),
];

describe('the signatures of a bundle', () => {
  it('accept a production bundle whose valid staging signature comes first, in either order', async () => {
    const bundle = signedBundle({ signers: [production.signer, staging.signer] });
    for (const bytes of orders(bundle, staging.keyid)) {
      const verified = await verifyBundle(bytes, options());
      expect(verified.keyid).toBe(production.keyid);
    }
  });

  it("accept a bundle whose retired key's signature comes before its successor's", async () => {
    const successor = newKey();
    const file = JSON.parse(text) as KeysetFile;
    const rotation = NOW + 60_000;
    const keys = rotatedKeys(
      keyset.payload.keys,
      production.keyid,
      { publicKey: successor.publicKey, notBefore: rotation },
      rotation + 86_400_000,
    );
    const rotated = await verifyKeyset(
      serializeKeysetFile(
        appendKeysetVersion(file, keyset, keys, [production.signer, successor.signer], rotation),
      ),
    );
    const bundle = signedBundle({
      signers: [production.signer, successor.signer],
      statement: { issuedAt: rotation + 1000 },
    });
    for (const bytes of orders(bundle, production.keyid)) {
      const verified = await verifyBundle(bytes, options({ keyset: rotated }));
      expect(verified.keyid).toBe(successor.keyid);
    }
    // The retired key alone signs nothing issued since its retirement.
    const alone = signedBundle({ signers: [production.signer], statement: { issuedAt: rotation + 1000 } });
    const error = await refusal(alone, { keyset: rotated });
    expect(error.code).toBe('key-not-valid');
    expect(error.message).toContain('retired at');
  });

  it('accept a valid signature beside one by a trusted key that does not verify, in either order', async () => {
    const also = newKey();
    const { trusted } = await keysetFor([
      { key: production, environments: ['production'] },
      { key: also, environments: ['production'] },
    ]);
    const bundle = arranged(signedBundle({ signers: [production.signer, also.signer] }), (s) =>
      s.map((x) => (x.keyid === also.keyid ? { ...x, sig: flipBase64Byte(x.sig, 5) } : x)),
    );
    for (const bytes of orders(bundle, also.keyid))
      expect((await verifyBundle(bytes, options({ keyset: trusted }))).keyid).toBe(production.keyid);
    const broken = arranged(bundle, (s) => s.filter(byKey(also.keyid)));
    expect((await refusal(broken, { keyset: trusted })).code).toBe('bad-signature');
  });

  it('refuse a bundle signed only by keys that may not sign it, naming each reason, in any order', async () => {
    const bundle = signedBundle({ signers: [staging.signer] });
    const error = await refusal(bundle);
    expect(error.code).toBe('key-not-for-environment');
    expect(error.message).toContain('not for production');
  });

  it('accept a signature naming no key (absent or empty keyid), tried against the production keys', async () => {
    const bundle = signedBundle({ signers: [production.signer] });
    for (const keyid of [undefined, '']) {
      const bytes = arranged(bundle, (s) =>
        s.map(({ sig }) => (keyid === undefined ? { sig } : { keyid, sig })),
      );
      expect(openFile(bytes).envelope.signatures[0].keyid).toBe(keyid);
      expect((await verifyBundle(bytes, options())).keyid).toBe(production.keyid);
    }
  });

  it('refuse a signature naming no key when no key allowed for the environment made it', async () => {
    const bytes = arranged(signedBundle({ signers: [staging.signer] }), (s) => s.map(({ sig }) => ({ sig })));
    const error = await refusal(bytes);
    expect(error.code).toBe('unknown-key');
    expect(error.message).toContain('1 signature naming no key');
  });

  it('refuse a keyid that is not a string', async () => {
    const bytes = arranged(signedBundle({ signers: [production.signer] }), (s) =>
      s.map(({ sig }) => ({ keyid: 7, sig }) as unknown as Signature),
    );
    expect((await refusal(bytes)).code).toBe('bad-format');
  });

  it(`bound the work: more than ${MAX_SIGNATURES} signatures, or more than ${MAX_SIGNATURE_CHECKS} checks, are refused before any is tried`, async () => {
    const bundle = signedBundle({ signers: [production.signer] });
    const many = arranged(bundle, (s) => Array.from({ length: MAX_SIGNATURES + 1 }, () => s[0]!));
    expect((await refusal(many)).message).toContain(`more than ${MAX_SIGNATURES} signatures`);

    const productionKeys = Array.from({ length: 5 }, () => newKey());
    const { trusted } = await keysetFor(productionKeys.map((key) => ({ key, environments: ['production'] })));
    const anonymous = arranged(signedBundle({ signers: [productionKeys[0]!.signer] }), (s) =>
      Array.from({ length: MAX_SIGNATURES }, () => ({ sig: s[0]!.sig })),
    );
    const error = await refusal(anonymous, { keyset: trusted });
    expect(error.code).toBe('bad-format');
    expect(error.message).toContain(`over the cap of ${MAX_SIGNATURE_CHECKS}`);
    // Within the cap, the same signatures pass.
    const few = arranged(anonymous, (s) => s.slice(0, 3));
    expect((await verifyBundle(few, options({ keyset: trusted }))).keyid).toBe(productionKeys[0]!.keyid);
  });
});
