import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signEnvelope } from '../../scripts/core/bundle/sign.js';
import { canonicalBytes } from '../../scripts/core/canonical-json.js';
import { STATEMENT_PAYLOAD_TYPE } from '../../scripts/runtime/bundle-format.js';
import { pae } from '../../scripts/runtime/dsse.js';
import { VerificationError } from '../../scripts/runtime/errors.js';
import { importEd25519Spki, verifyEd25519 } from '../../scripts/runtime/crypto.js';
import { parseContent, type VerifyOptions, verifyBundle } from '../../scripts/runtime/verify.js';
import {
  closeFile,
  flipBase64Byte,
  keysetFor,
  NOW,
  newKey,
  openFile,
  sampleContent,
  signedBundle,
} from './support.js';

const production = newKey();
const staging = newKey();
const both = newKey();
const { trusted: keyset } = await keysetFor([
  { key: production, environments: ['production'] },
  { key: staging, environments: ['staging'] },
  { key: both, environments: ['staging', 'production'] },
]);
const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({
  keyset,
  environment: 'production',
  now: NOW + 3_600_000,
  ...extra,
});
const good = signedBundle({ signers: [production.signer] });

async function refusal(bytes: Uint8Array, extra: Partial<VerifyOptions> = {}): Promise<VerificationError> {
  try {
    await verifyBundle(bytes, options(extra));
  } catch (error) {
    if (error instanceof VerificationError) return error;
    throw error;
  }
  throw new Error('the bundle was accepted');
}

// biome-ignore lint/suspicious/noExplicitAny: surgery on parsed JSON in tests
const edit = (mutate: (file: Record<string, any>) => void): Uint8Array => {
  const file = openFile(good);
  mutate(file);
  return closeFile(file);
};

describe('verifyBundle accepts', () => {
  it('a bundle signed by a trusted key for its environment, handing back exactly the signed content bytes', async () => {
    const verified = await verifyBundle(good, options());
    const contentBytes = canonicalBytes(sampleContent('production'));
    expect(Buffer.from(verified.contentBytes).equals(Buffer.from(contentBytes))).toBe(true);
    expect(verified.statement.content.sha256).toBe(createHash('sha256').update(contentBytes).digest('hex'));
    expect(verified.keyid).toBe(production.keyid);
    expect(parseContent(verified).flags['new-checkout']?.rollout?.percentage).toBe(25);
  });

  it('URL-safe base64, which DSSE allows', async () => {
    const bytes = edit((f) => {
      f.envelope.payload = Buffer.from(f.envelope.payload, 'base64').toString('base64url');
    });
    expect((await verifyBundle(bytes, options())).statement.serial).toBe(7);
  });

  it('a bundle issued slightly in the future, within the allowed clock skew', async () => {
    const bytes = signedBundle({ signers: [production.signer], statement: { issuedAt: NOW + 200_000 } });
    expect((await verifyBundle(bytes, options({ now: NOW }))).statement.serial).toBe(7);
  });
});

describe('verifyBundle rejects', () => {
  it('a bundle whose signed payload has one byte flipped', async () => {
    const bytes = edit((f) => {
      f.envelope.payload = flipBase64Byte(f.envelope.payload, 40);
    });
    expect((await refusal(bytes)).code).toBe('bad-signature');
  });

  it('a bundle whose signature has one byte flipped', async () => {
    const bytes = edit((f) => {
      f.envelope.signatures[0].sig = flipBase64Byte(f.envelope.signatures[0].sig, 10);
    });
    expect((await refusal(bytes)).code).toBe('bad-signature');
  });

  it('a bundle whose content has one byte flipped', async () => {
    const bytes = edit((f) => {
      f.content = flipBase64Byte(f.content, 100);
    });
    const error = await refusal(bytes);
    expect(error.code).toBe('content-mismatch');
    expect(error.message).toContain('sha256');
  });

  it('a bundle without signatures', async () => {
    expect((await refusal(edit((f) => delete f.envelope.signatures))).code).toBe('no-signatures');
  });

  it('a bundle with an empty list of signatures', async () => {
    expect(
      (
        await refusal(
          edit((f) => {
            f.envelope.signatures = [];
          }),
        )
      ).code,
    ).toBe('no-signatures');
  });

  it('a bundle signed by a key id the keyset does not hold', async () => {
    const stranger = newKey();
    const error = await refusal(signedBundle({ signers: [stranger.signer] }));
    expect(error.code).toBe('unknown-key');
    expect(error.message).toContain(stranger.keyid.slice(0, 16));
  });

  it("a trusted key id carrying another key's signature", async () => {
    const stranger = newKey();
    const forged = openFile(signedBundle({ signers: [stranger.signer] }));
    forged.envelope.signatures[0].keyid = production.keyid;
    expect((await refusal(closeFile(forged))).code).toBe('bad-signature');
  });

  it('a bundle signed over another payload type', async () => {
    const file = openFile(good);
    const payload = Buffer.from(file.envelope.payload, 'base64');
    file.envelope = signEnvelope('application/vnd.in-toto+json', payload, [production.signer]);
    expect((await refusal(closeFile(file))).code).toBe('wrong-payload-type');
  });

  it('a bundle whose payload type was changed after signing', async () => {
    const bytes = edit((f) => {
      f.envelope.payloadType = 'application/json';
    });
    expect((await refusal(bytes)).code).toBe('wrong-payload-type');
  });

  it('a signature moved to another payload type, because PAE binds the type', async () => {
    const payload = new TextEncoder().encode('{"serial":1}');
    const envelope = signEnvelope(STATEMENT_PAYLOAD_TYPE, payload, [production.signer]);
    const sig = Buffer.from(envelope.signatures[0]!.sig, 'base64');
    const key = (await importEd25519Spki(production.publicKey.export({ type: 'spki', format: 'der' })))!;
    expect(await verifyEd25519(key, pae(STATEMENT_PAYLOAD_TYPE, payload), sig)).toBe(true);
    expect(await verifyEd25519(key, pae('application/json', payload), sig)).toBe(false);
  });

  it('a staging bundle given to a production verifier', async () => {
    const bytes = signedBundle({ environment: 'staging', signers: [staging.signer] });
    expect((await verifyBundle(bytes, options({ environment: 'staging' }))).statement.environment).toBe(
      'staging',
    );
    expect(['wrong-environment', 'key-not-for-environment']).toContain((await refusal(bytes)).code);
  });

  it('a staging bundle by its environment field, even when signed by a key allowed for production', async () => {
    const bytes = signedBundle({ environment: 'staging', signers: [both.signer] });
    expect((await refusal(bytes)).code).toBe('wrong-environment');
  });

  it('a bundle claiming production but signed by a key that may only sign for staging', async () => {
    const bytes = signedBundle({ environment: 'production', signers: [staging.signer] });
    const error = await refusal(bytes);
    expect(error.code).toBe('key-not-for-environment');
    expect(error.message).toContain('staging');
  });

  it('an older serial after a newer one', async () => {
    const older = signedBundle({ signers: [production.signer], statement: { serial: 6 } });
    expect((await refusal(older, { previous: { serial: 7, sha256: 'f'.repeat(64) } })).code).toBe('rollback');
  });

  it('the same serial with different content', async () => {
    const first = await verifyBundle(good, options());
    const other = signedBundle({ signers: [production.signer], content: sampleContent('production', 1) });
    const previous = { serial: 7, sha256: first.statement.content.sha256 };
    expect((await refusal(other, { previous })).code).toBe('serial-reused');
    // the same bundle again is fine
    expect((await verifyBundle(good, options({ previous }))).statement.serial).toBe(7);
  });

  it('an expired bundle', async () => {
    const error = await refusal(good, { now: NOW + 168 * 3_600_000 });
    expect(error.code).toBe('expired');
    expect(error.message).toContain('2026-12-01T12:00:00Z');
  });

  it('a bundle issued in the future beyond the allowed clock skew', async () => {
    const bytes = signedBundle({ signers: [production.signer], statement: { issuedAt: NOW + 301_000 } });
    expect((await refusal(bytes, { now: NOW })).code).toBe('issued-in-future');
  });

  it('the content of one build with the envelope of another', async () => {
    const other = openFile(
      signedBundle({ signers: [production.signer], content: sampleContent('production', 1) }),
    );
    const spliced = edit((f) => {
      f.content = other.content;
    });
    expect((await refusal(spliced)).code).toBe('content-mismatch');
  });

  it('oversized input before parsing it', async () => {
    const garbage = new Uint8Array(2048).fill(0x7b); // "{{{{…": would fail to parse
    expect((await refusal(garbage, { maxBytes: 1024 })).code).toBe('too-large');
    expect((await refusal(good, { maxBytes: good.byteLength - 1 })).code).toBe('too-large');
  });

  it('duplicate keys in the bundle file, where JSON.parse would take the last', async () => {
    const text = new TextDecoder().decode(good);
    const other = openFile(
      signedBundle({ signers: [production.signer], content: sampleContent('production', 1) }),
    );
    const doubled = text.replace('{"content":', `{"content":${JSON.stringify(other.content)},"content":`);
    expect(JSON.parse(doubled).content).toBe(openFile(good).content);
    const error = await refusal(new TextEncoder().encode(doubled));
    expect(error.code).toBe('duplicate-key');
    expect(error.message).toContain('"content"');
  });

  it('duplicate keys inside the envelope, also when spelled with escapes', async () => {
    const text = new TextDecoder().decode(good);
    const doubled = text.replace('"payloadType":', '"payloadTyp\\u0065":"x","payloadType":');
    expect((await refusal(new TextEncoder().encode(doubled))).code).toBe('duplicate-key');
  });

  it('trailing bytes after the bundle, even a newline', async () => {
    const text = new TextDecoder().decode(good);
    expect((await refusal(new TextEncoder().encode(`${text}\n`))).code).toBe('trailing-bytes');
    expect((await refusal(new TextEncoder().encode(`${text}{}`))).code).toBe('trailing-bytes');
  });

  it('malformed base64 in the payload, a signature or the content', async () => {
    const payload = edit((f) => {
      f.envelope.payload = `${f.envelope.payload.slice(0, 8)}!${f.envelope.payload.slice(9)}`;
    });
    const sig = edit((f) => {
      f.envelope.signatures[0].sig = f.envelope.signatures[0].sig.replace(/==$/, '=');
    });
    const content = edit((f) => {
      f.content = ` ${f.content}`;
    });
    const mixed = edit((f) => {
      f.envelope.payload = f.envelope.payload.replace(/[+/]/, (c: string) => (c === '+' ? '-' : '_')) + '+';
    });
    for (const bytes of [payload, sig, content, mixed])
      expect((await refusal(bytes)).code).toBe('bad-base64');
  });

  it('a public key embedded in the bundle: it is ignored, never trusted', async () => {
    const attacker = newKey();
    const spki = attacker.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const embedded = openFile(signedBundle({ signers: [attacker.signer] }));
    embedded.keys = {
      [attacker.keyid]: { algorithm: 'ed25519', publicKey: spki, environments: ['production'] },
    };
    embedded.envelope.signatures[0].publicKey = spki;
    expect((await refusal(closeFile(embedded))).code).toBe('unknown-key');
    embedded.envelope.signatures[0].keyid = production.keyid;
    expect((await refusal(closeFile(embedded))).code).toBe('bad-signature');
  });

  it('a development-signed bundle given to a production verifier', async () => {
    const dev = newKey();
    const bytes = signedBundle({ signers: [dev.signer], statement: { development: true } });
    // Not in the production keyset at all: refused, and the message says why it matters.
    const unknown = await refusal(bytes);
    expect(unknown.code).toBe('development-signed');
    // Even with the development key in the keyset, only a verifier that allows development accepts it.
    const { trusted } = await keysetFor([{ key: dev, environments: ['production'], development: true }]);
    expect((await refusal(bytes, { keyset: trusted })).code).toBe('development-signed');
    const realStatement = signedBundle({ signers: [dev.signer] });
    expect((await refusal(realStatement, { keyset: trusted })).code).toBe('development-signed');
    expect(
      (await verifyBundle(bytes, options({ keyset: trusted, allowDevelopment: true }))).statement.development,
    ).toBe(true);
  });

  it('a bundle of another project', async () => {
    const bytes = signedBundle({ signers: [production.signer], patch: (s) => ({ ...s, project: 'other' }) });
    expect((await refusal(bytes)).code).toBe('wrong-project');
  });

  it('a bundle signed by a key outside its validity window', async () => {
    const old = newKey();
    const { trusted } = await keysetFor([
      {
        key: old,
        environments: ['production'],
        notBefore: Date.parse('2025-01-01T00:00:00Z'),
        notAfter: NOW - 1000,
      },
    ]);
    expect((await refusal(signedBundle({ signers: [old.signer] }), { keyset: trusted })).code).toBe(
      'key-not-valid',
    );
  });

  it('bytes that are not UTF-8, or start with a byte order mark', async () => {
    expect((await refusal(new Uint8Array([0x7b, 0xff, 0x7d]))).code).toBe('not-utf8');
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...good]);
    expect((await refusal(bom)).code).toBe('malformed-json');
  });

  it('a statement that is not a statement', async () => {
    const file = openFile(good);
    file.envelope = signEnvelope(STATEMENT_PAYLOAD_TYPE, canonicalBytes({ format: 'flags-statement/v1' }), [
      production.signer,
    ]);
    expect((await refusal(closeFile(file))).code).toBe('unsupported-format');
  });
});
