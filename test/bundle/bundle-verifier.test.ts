import { describe, expect, it } from 'vitest';
import { BundleVerifier } from '../../scripts/adapters/bundle-verifier.js';
import {
  closeFile,
  flipBase64Byte,
  keysetFor,
  newKey,
  NOW,
  openFile,
  signedBundle,
} from '../runtime/support.js';

/**
 * A build verifies every bundle it signs before any is written (scripts/commands/build.ts), on a
 * worker thread for large bundles and on its own thread otherwise. Both give the runtime verifier's
 * verdict, with real Ed25519 keys; a bundle the worker took over is never verified twice, and a lost
 * worker fails what it still owed rather than letting it through.
 */

const key = newKey();
const { trusted } = await keysetFor([{ key, environments: ['production'] }]);
const options = { keyset: trusted, environment: 'production', now: NOW };

function tampered(): Uint8Array {
  const file = openFile(signedBundle({ signers: [key.signer] }));
  file.content = flipBase64Byte(file.content, 5);
  return closeFile(file);
}

describe.each([
  ['on a worker thread', () => BundleVerifier.withWorker()],
  ['on a worker thread started by the first bundle', () => BundleVerifier.withWorkerLater()],
  ['on this thread', () => BundleVerifier.inline()],
])('verifying the bundles a build signs, %s', (_, start) => {
  it('accepts what the runtime verifier accepts, and refuses what it refuses, with its reason', async () => {
    const verifier = start();
    try {
      await expect(
        verifier.verify(signedBundle({ signers: [key.signer] }), options),
      ).resolves.toBeUndefined();
      await expect(verifier.verify(tampered(), options)).rejects.toThrow(/sha256|content/);
      await expect(
        verifier.verify(signedBundle({ signers: [key.signer] }), { ...options, environment: 'staging' }),
      ).rejects.toThrow(/not "staging"/);
    } finally {
      verifier.close();
    }
  });

  it('gives every verdict of a batch, in any order of arrival', async () => {
    const verifier = start();
    try {
      const verdicts = [0, 1, 2, 3].map((n) =>
        verifier.verify(n === 2 ? tampered() : signedBundle({ signers: [key.signer] }), options).then(
          () => 'ok',
          () => 'refused',
        ),
      );
      expect(await Promise.all(verdicts)).toEqual(['ok', 'ok', 'refused', 'ok']);
    } finally {
      verifier.close();
    }
  });
});

describe('where verdicts are given', () => {
  const workerOf = (verifier: BundleVerifier) => (verifier as unknown as { worker?: unknown }).worker;

  it('small bundles on this thread, even when asked to start a worker', () => {
    const verifier = BundleVerifier.inline();
    verifier.startWorker();
    expect(workerOf(verifier)).toBeUndefined();
  });

  it('large ones on a worker started when asked, or by the first bundle at the latest', async () => {
    const asked = BundleVerifier.withWorkerLater();
    expect(workerOf(asked)).toBeUndefined();
    asked.startWorker();
    expect(workerOf(asked)).toBeDefined();
    asked.close();
    const first = BundleVerifier.withWorkerLater();
    await first.verify(signedBundle({ signers: [key.signer] }), options);
    expect(workerOf(first)).toBeDefined();
    first.close();
  });
});

describe('a verifier thread that is lost', () => {
  it('fails the bundles it had taken over instead of passing them', async () => {
    const verifier = BundleVerifier.withWorker();
    // Bytes with a buffer of their own move to the worker (a slice of a shared one would be copied).
    const bytes = new Uint8Array(signedBundle({ signers: [key.signer] }));
    const verdict = verifier.verify(bytes, options);
    expect(bytes.byteLength).toBe(0);
    // Lost before it answers: terminated from outside, as a crash would end it.
    (verifier as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(verdict).rejects.toThrow(/stopped before it answered/);
    verifier.close();
  });
});
