import type { Worker } from 'node:worker_threads';
import { type VerifyOptions, verifyBundle } from '../runtime/verify.js';
import type { VerifyReply, VerifyRequest } from './verify-worker.js';
import { startWorkerThread } from './worker-thread.js';

/**
 * Verifies each bundle a build signs, as an application's verifier will, before any is renamed
 * into place. Verifying a multi-megabyte bundle (UTF-8, strict JSON, base64, SHA-256, signature)
 * costs about as much as making it, so for large bundles a worker thread does it while this thread
 * makes the next one; the build waits for every verdict before it commits its writes. A verifier
 * without a worker (small bundles: a thread costs more than it saves) or whose worker is lost
 * verifies on this thread: the verdict is the same either way.
 */
export class BundleVerifier {
  private readonly pending = new Map<
    number,
    { request: VerifyRequest & { size: number }; settle: (error?: Error) => void }
  >();
  private next = 0;

  private worker: Worker | undefined;
  /** A worker is wanted but not started yet. */
  private later = false;

  private constructor(worker: undefined) {
    this.worker = worker;
  }

  /** A verifier with a worker thread, started now so that it is ready by the time bundles are. */
  static withWorker(): BundleVerifier {
    const verifier = new BundleVerifier(undefined);
    verifier.spawn();
    return verifier;
  }

  /**
   * A verifier whose worker starts on `startWorker()` or, at the latest, with the first bundle:
   * the build starts it once the files are read, so that its start does not compete with reading
   * them (measured: ~15 ms of a warm build).
   */
  static withWorkerLater(): BundleVerifier {
    const verifier = new BundleVerifier(undefined);
    verifier.later = true;
    return verifier;
  }

  /** Starts the worker of a `withWorkerLater` verifier; anything else is left as it is. */
  startWorker(): void {
    if (!this.later) return;
    this.later = false;
    this.spawn();
  }

  private spawn(): void {
    let worker: Worker;
    try {
      worker = startWorkerThread('verify-worker');
    } catch {
      return; // verdicts are given on this thread
    }
    this.worker = worker;
    worker.on('message', (reply: VerifyReply) => {
      const entry = this.pending.get(reply.id);
      if (!entry) return;
      this.pending.delete(reply.id);
      entry.settle('error' in reply ? new Error(reply.error) : undefined);
    });
    worker.on('error', (error) => this.lose(`it failed: ${error.message}`));
    worker.on('exit', (code) => this.lose(`it exited with code ${code}`));
  }

  static inline(): BundleVerifier {
    return new BundleVerifier(undefined);
  }

  /**
   * Resolves when `bytes` verifies; rejects with the verifier's reason when it does not. With a
   * worker, `bytes` is handed over (its memory moves to the worker, unless it shares it with
   * other data), so the caller must be done with it: written, measured.
   */
  verify(bytes: Uint8Array, options: VerifyOptions): Promise<void> {
    if (this.later) this.startWorker();
    if (!this.worker) return verifyHere(bytes, options);
    const request = { id: this.next++, bytes, options, size: bytes.byteLength };
    const verdict = new Promise<void>((resolve, reject) =>
      this.pending.set(request.id, { request, settle: (error) => (error ? reject(error) : resolve()) }),
    );
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const message: VerifyRequest = { id: request.id, bytes, options };
    this.worker.postMessage(message, whole && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : []);
    return verdict;
  }

  /** Stops the worker; verdicts not yet given are no longer wanted. */
  close(): void {
    this.later = false;
    this.pending.clear();
    this.stop();
  }

  private stop(): void {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    worker.unref();
    worker.terminate().catch(() => {});
  }

  /**
   * The worker failed or exited: what it still owed is verified here, unless its bytes went over
   * to the worker; that bundle fails (it is never written unverified).
   */
  private lose(why: string): void {
    this.stop();
    const owed = [...this.pending.values()];
    this.pending.clear();
    for (const { request, settle } of owed) {
      if (request.bytes.byteLength === 0 && request.size > 0) {
        settle(new Error(`the thread verifying it stopped before it answered (${why})`));
        continue;
      }
      verifyHere(request.bytes, request.options).then(
        () => settle(),
        (error: Error) => settle(error),
      );
    }
  }
}

async function verifyHere(bytes: Uint8Array, options: VerifyOptions): Promise<void> {
  try {
    await verifyBundle(bytes, options);
  } catch (error) {
    throw error instanceof Error ? error : new Error(String(error));
  }
}
