import { parentPort } from 'node:worker_threads';
import { type VerifyOptions, verifyBundle } from '../runtime/verify.js';

/**
 * A worker thread that verifies the bundles a build has just signed (see bundle-verifier.ts), with
 * the runtime's own verifier, while the build goes on with the next environment.
 */

export interface VerifyRequest {
  id: number;
  bytes: Uint8Array;
  options: VerifyOptions;
}

export type VerifyReply = { id: number; ok: true } | { id: number; error: string };

const port = parentPort;
if (!port) throw new Error('verify-worker runs as a worker thread');

port.on('message', async ({ id, bytes, options }: VerifyRequest) => {
  try {
    await verifyBundle(bytes, options);
    port.postMessage({ id, ok: true } satisfies VerifyReply);
  } catch (error) {
    port.postMessage({
      id,
      error: error instanceof Error ? error.message : String(error),
    } satisfies VerifyReply);
  }
});
