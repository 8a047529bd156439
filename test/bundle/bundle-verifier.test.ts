import { describe, expect, it } from 'vitest';
import { BundleVerifier } from '../../scripts/adapters/bundle-verifier.js';
import {
  closeFile,
  flipBase64Byte,
  keysetFor,
  newKey,
  NOW,
  openFile,
  sampleContent,
  signedBundle,
} from '../runtime/support.js';

/**
 * A build verifies every bundle it signs before any is written (scripts/commands/build.ts), on a
 * worker thread for large bundles and on its own thread otherwise, or both: the build's thread
 * verifies what the worker has not taken once it has made every bundle. Each gives the runtime
 * verifier's verdict, with real Ed25519 keys; a bundle the worker took over is never verified twice,
 * and a lost worker fails what it still owed rather than letting it through.
 */

const key = newKey();
const { trusted } = keysetFor([{ key, environments: ['production'] }]);
const options = { keyset: trusted, environment: 'production', now: NOW };

function tampered(): Uint8Array {
  const file = openFile(signedBundle({ signers: [key.signer] }));
  file.content = flipBase64Byte(file.content, 5);
  return closeFile(file);
}

/**
 * A bundle of several megabytes with a buffer of its own (one the worker takes moves there), long
 * enough to verify that a worker lost right after taking it has not answered yet.
 */
function largeBundle(): Uint8Array {
  const content = sampleContent();
  const [flag] = Object.values(content.flags);
  const flags = Object.fromEntries(
    Array.from({ length: 20_000 }, (_, i) => [`flag-${String(i).padStart(5, '0')}`, flag!]),
  );
  return new Uint8Array(signedBundle({ signers: [key.signer], content: { ...content, flags } }));
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

describe('sharing the bundles with the worker', () => {
  it('verifies here, newest first, what the worker has not taken', async () => {
    const verifier = BundleVerifier.withWorker();
    try {
      // Bytes with a buffer of their own: one the worker takes moves there and reads as empty here.
      const bundles = [0, 1, 2].map(() => new Uint8Array(signedBundle({ signers: [key.signer] })));
      const tamperedLast = new Uint8Array(tampered());
      const verdicts = [...bundles, tamperedLast].map((bytes) =>
        verifier.verify(bytes, options).then(
          () => 'ok',
          () => 'refused',
        ),
      );
      await verifier.verifyRestHere();
      // The worker had not said it was ready when this thread began: the newest stayed here.
      expect(tamperedLast.byteLength).toBeGreaterThan(0);
      expect(await Promise.all(verdicts)).toEqual(['ok', 'ok', 'ok', 'refused']);
    } finally {
      verifier.close();
    }
  });

  it('hands the worker one bundle at a time, once it is ready', async () => {
    const verifier = BundleVerifier.withWorker();
    try {
      const bundles = [0, 1].map(() => new Uint8Array(signedBundle({ signers: [key.signer] })));
      const verdicts = bundles.map((bytes) => verifier.verify(bytes, options));
      expect(bundles.map((b) => b.byteLength > 0)).toEqual([true, true]);
      await Promise.all(verdicts);
      // Both went to the worker in turn, none was verified here.
      expect(bundles.map((b) => b.byteLength)).toEqual([0, 0]);
    } finally {
      verifier.close();
    }
  });
});

describe('a verifier thread that is lost', () => {
  it('fails the bundles it had taken over instead of passing them', async () => {
    const verifier = BundleVerifier.withWorker();
    // Once the worker has answered, it is ready and idle: the next bundle goes to it at once.
    await verifier.verify(signedBundle({ signers: [key.signer] }), options);
    const bytes = largeBundle();
    const verdict = verifier.verify(bytes, options);
    expect(bytes.byteLength).toBe(0);
    // Lost before it answers: terminated from outside, as a crash would end it.
    (verifier as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await expect(verdict).rejects.toThrow(/stopped before it answered/);
    verifier.close();
  });
});
