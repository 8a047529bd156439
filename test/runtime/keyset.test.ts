import { describe, expect, it } from 'vitest';
import {
  appendKeysetVersion,
  createKeyset,
  keysetEntry,
  rotatedKeys,
  serializeKeysetFile,
} from '../../scripts/core/bundle/keyset.js';
import type { Signer } from '../../scripts/core/bundle/sign.js';
import { VerificationError } from '../../scripts/runtime/errors.js';
import { type KeysetFile, type KeysetKey, verifyKeyset } from '../../scripts/runtime/keyset.js';
import { NOW, newKey, PROJECT, type TestKey } from './support.js';

const entry = (key: TestKey, environments: string[]): [string, KeysetKey] =>
  keysetEntry({ publicKey: key.publicKey, environments, notBefore: NOW });

const first = (keys: [TestKey, string[]][]): KeysetFile =>
  createKeyset(
    PROJECT,
    Object.fromEntries(keys.map(([k, e]) => entry(k, e))),
    keys.map(([k]) => k.signer),
    NOW,
  );

const next = async (
  file: KeysetFile,
  keys: Record<string, KeysetKey>,
  signers: Signer[],
): Promise<KeysetFile> =>
  appendKeysetVersion(file, await verifyKeyset(serializeKeysetFile(file)), keys, signers, NOW + 1000);

async function refusal(file: KeysetFile | string, options = {}): Promise<VerificationError> {
  try {
    await verifyKeyset(typeof file === 'string' ? file : serializeKeysetFile(file), options);
  } catch (error) {
    if (error instanceof VerificationError) return error;
    throw error;
  }
  throw new Error('the keyset was accepted');
}

describe('keysets', () => {
  const prod = newKey();
  const stage = newKey();
  const v1 = first([
    [prod, ['production']],
    [stage, ['development', 'staging']],
  ]);

  it('version 1 verifies when every key it holds signed it, and yields the keys by id', async () => {
    const trusted = await verifyKeyset(serializeKeysetFile(v1));
    expect(trusted.version).toBe(1);
    expect([...trusted.keys.get(prod.keyid)!.environments]).toEqual(['production']);
    expect(trusted.root).toBe(trusted.digest);
  });

  it('rejects version 1 missing the signature of one of its keys', async () => {
    const file = createKeyset(
      PROJECT,
      Object.fromEntries([entry(prod, ['production']), entry(stage, ['staging'])]),
      [prod.signer],
      NOW,
    );
    expect((await refusal(file)).code).toBe('keyset-new-key-missing');
  });

  it('accepts a rotation signed by both the old and the new key', async () => {
    const fresh = newKey();
    const before = await verifyKeyset(serializeKeysetFile(v1));
    const keys = rotatedKeys(
      before.payload.keys,
      prod.keyid,
      { publicKey: fresh.publicKey, notBefore: NOW },
      NOW + 3_600_000,
    );
    const v2 = await next(v1, keys, [prod.signer, fresh.signer]);
    const trusted = await verifyKeyset(serializeKeysetFile(v2), { root: before.root });
    expect(trusted.version).toBe(2);
    expect([...trusted.keys.get(fresh.keyid)!.environments]).toEqual(['production']);
    expect(trusted.keys.get(prod.keyid)!.notAfter).toBe(NOW + 3_600_000);
  });

  it('rejects a rotation signed by only the old key', async () => {
    const fresh = newKey();
    const keys = rotatedKeys((await verifyKeyset(serializeKeysetFile(v1))).payload.keys, prod.keyid, {
      publicKey: fresh.publicKey,
      notBefore: NOW,
    });
    expect((await refusal(await next(v1, keys, [prod.signer]))).code).toBe('keyset-new-key-missing');
  });

  it('rejects a rotation signed by only the new key', async () => {
    const fresh = newKey();
    const keys = rotatedKeys((await verifyKeyset(serializeKeysetFile(v1))).payload.keys, prod.keyid, {
      publicKey: fresh.publicKey,
      notBefore: NOW,
    });
    expect((await refusal(await next(v1, keys, [fresh.signer]))).code).toBe('keyset-old-key-missing');
  });

  it('rejects a staging key signing in a new production key', async () => {
    const intruder = newKey();
    const keys = {
      ...(await verifyKeyset(serializeKeysetFile(v1))).payload.keys,
      ...Object.fromEntries([entry(intruder, ['production'])]),
    };
    const error = await refusal(await next(v1, keys, [stage.signer, intruder.signer]));
    expect(error.code).toBe('keyset-old-key-missing');
    expect(error.message).toContain('production');
  });

  it('rejects a version that does not chain to the one before', async () => {
    const fresh = newKey();
    const keys = {
      ...(await verifyKeyset(serializeKeysetFile(v1))).payload.keys,
      ...Object.fromEntries([entry(fresh, ['staging'])]),
    };
    const v2 = await next(v1, keys, [stage.signer, fresh.signer]);
    const other = first([[newKey(), ['production']]]);
    const grafted: KeysetFile = { ...v2, versions: [other.versions[0]!, v2.versions[1]!] };
    expect((await refusal(grafted)).code).toBe('keyset-chain-broken');
  });

  it('rejects a keyset whose version 1 is not the pinned root', async () => {
    const other = first([[newKey(), ['production']]]);
    const root = (await verifyKeyset(serializeKeysetFile(v1))).root;
    expect((await refusal(other, { root })).code).toBe('keyset-root-mismatch');
  });

  it('rejects going back to an older version than one seen before', async () => {
    const fresh = newKey();
    const keys = {
      ...(await verifyKeyset(serializeKeysetFile(v1))).payload.keys,
      ...Object.fromEntries([entry(fresh, ['staging'])]),
    };
    const v2 = await verifyKeyset(serializeKeysetFile(await next(v1, keys, [stage.signer, fresh.signer])));
    expect((await refusal(v1, { previous: { version: 2, digest: v2.digest } })).code).toBe('keyset-rollback');
  });

  it('rejects a key whose id is not the sha256 of its public key', async () => {
    const file = JSON.parse(serializeKeysetFile(v1)) as KeysetFile;
    const payload = JSON.parse(Buffer.from(file.versions[0]!.payload, 'base64').toString());
    const [id, key] = Object.entries(payload.keys)[0]!;
    // Change the last hex digit to a different one, so the id always differs from the real one.
    payload.keys = { [`${id.slice(0, 63)}${id.endsWith('0') ? '1' : '0'}`]: key };
    file.versions[0]!.payload = Buffer.from(JSON.stringify(payload)).toString('base64');
    const error = await refusal(file);
    expect(error.code).toBe('keyset-invalid');
    expect(error.message).toContain('not the sha256 of its public key');
  });

  it('rejects duplicate keys in the keyset file', async () => {
    const text = serializeKeysetFile(v1).replace('"format":', '"format": "x",\n  "format":');
    expect((await refusal(text)).code).toBe('duplicate-key');
  });
});

/**
 * Issue 12, item 5: a retired key keeps no authority. `rotate` retires the old key when its
 * successor takes over; from then on it signs nothing, however its holder dates what it signs.
 */
describe('keysets after a rotation', async () => {
  const HOUR = 3_600_000;
  const prod = newKey();
  const stage = newKey();
  const successor = newKey();
  const v1 = first([
    [prod, ['production']],
    [stage, ['staging']],
  ]);
  const t1 = await verifyKeyset(serializeKeysetFile(v1));
  const rotation = NOW + HOUR;
  const graceEnds = rotation + 24 * HOUR;
  const v2 = appendKeysetVersion(
    v1,
    t1,
    rotatedKeys(
      t1.payload.keys,
      prod.keyid,
      { publicKey: successor.publicKey, notBefore: rotation },
      graceEnds,
    ),
    [prod.signer, successor.signer],
    rotation,
  );
  const t2 = await verifyKeyset(serializeKeysetFile(v2));
  const rogue = newKey();
  const withRogue = { ...t2.payload.keys, ...Object.fromEntries([entry(rogue, ['production'])]) };
  const append = (keys: Record<string, KeysetKey>, signers: Signer[], issuedAt: number) =>
    appendKeysetVersion(v2, t2, keys, signers, issuedAt);

  it('marks the old key retired at the rotation and trusted until the end of the grace period', () => {
    const old = t2.keys.get(prod.keyid)!;
    expect(old.retiredAt).toBe(rotation);
    expect(old.notAfter).toBe(graceEnds);
    expect(t2.payload.keys[prod.keyid]!.retiredAt).toBe('2026-11-24T13:00:00Z');
  });

  it('refuses a version adding a key that the retired key co-signs after its end date', async () => {
    const error = await refusal(append(withRogue, [prod.signer, rogue.signer], graceEnds + HOUR));
    expect(error.code).toBe('keyset-key-not-valid');
    expect(error.message).toContain(`key ${prod.keyid.slice(0, 16)}… was retired at 2026-11-24T13:00:00Z`);
    expect(error.message).toContain('sign with a current key');
  });

  it('refuses the same version dated back into the grace period, or before the rotation', async () => {
    expect((await refusal(append(withRogue, [prod.signer, rogue.signer], rotation + HOUR))).code).toBe(
      'keyset-key-not-valid',
    );
    const backdated = await refusal(append(withRogue, [prod.signer, rogue.signer], rotation - HOUR));
    expect(backdated.code).toBe('keyset-chain-broken');
    expect(backdated.message).toContain('never go back in time');
  });

  it('refuses a retired key giving itself a new life', async () => {
    const revived = {
      ...t2.payload.keys,
      [prod.keyid]: { ...t1.payload.keys[prod.keyid]!, notAfter: '2030-01-01T00:00:00Z' },
    };
    expect((await refusal(append(revived, [prod.signer], graceEnds + HOUR))).code).toBe(
      'keyset-key-not-valid',
    );
  });

  it('accepts the same change signed by the successor, and keeps verifying the rotation long after the grace period', async () => {
    const trusted = await verifyKeyset(
      serializeKeysetFile(append(withRogue, [successor.signer, rogue.signer], NOW + 400 * 24 * HOUR)),
    );
    expect(trusted.version).toBe(3);
    expect(trusted.keys.has(rogue.keyid)).toBe(true);
  });

  it('refuses a key past its end date (never rotated) adding a key, and lets a current key do it', async () => {
    const short = newKey();
    const file = createKeyset(
      PROJECT,
      Object.fromEntries([
        keysetEntry({
          publicKey: short.publicKey,
          environments: ['production'],
          notBefore: NOW,
          notAfter: NOW + HOUR,
        }),
        entry(prod, ['production']),
      ]),
      [short.signer, prod.signer],
      NOW,
    );
    const trusted = await verifyKeyset(serializeKeysetFile(file));
    const keys = { ...trusted.payload.keys, ...Object.fromEntries([entry(rogue, ['production'])]) };
    const late = appendKeysetVersion(file, trusted, keys, [short.signer, rogue.signer], NOW + 2 * HOUR);
    const error = await refusal(late);
    expect(error.code).toBe('keyset-key-not-valid');
    expect(error.message).toContain('past its end date (2026-11-24T13:00:00Z)');
    const fine = appendKeysetVersion(file, trusted, keys, [prod.signer, rogue.signer], NOW + 2 * HOUR);
    expect((await verifyKeyset(serializeKeysetFile(fine))).version).toBe(2);
  });

  it('tries a keyset signature naming no key against the keys of both versions', async () => {
    const file = JSON.parse(serializeKeysetFile(v2)) as KeysetFile;
    for (const signature of file.versions[1]!.signatures) delete (signature as { keyid?: string }).keyid;
    expect((await verifyKeyset(serializeKeysetFile(file))).version).toBe(2);
    const stranger = first([[newKey(), ['production']]]).versions[0]!.signatures[0]!;
    file.versions[1]!.signatures.push({ sig: stranger.sig } as KeysetFile['versions'][0]['signatures'][0]);
    expect((await refusal(file)).code).toBe('keyset-bad-signature');
  });

  it('refuses a retiredAt outside the key window', async () => {
    const keys = { ...t2.payload.keys };
    keys[prod.keyid] = { ...keys[prod.keyid]!, retiredAt: '2020-01-01T00:00:00Z' };
    const error = await refusal(append(keys, [successor.signer], rotation + HOUR));
    expect(error.code).toBe('keyset-invalid');
    expect(error.message).toContain('bad retiredAt');
  });
});
