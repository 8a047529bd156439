import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { type VerifyOptions, verifyBundle } from '../runtime/verify.js';
import type { VerifyReply, VerifyRequest } from './verify-worker.js';
import { startWorkerThread } from './worker-thread.js';

/**
 * Verifies each bundle a build signs, as an application's verifier will, before any is renamed
 * into place. Verifying a multi-megabyte bundle (UTF-8, strict JSON, base64, SHA-256, signature)
 * costs more than making it, so for large bundles the work is shared: a worker thread verifies one
 * bundle at a time, the oldest waiting, while this thread makes the next one; once this thread has
 * made them all, it verifies the newest waiting ones itself (`verifyRestHere`) instead of idling
 * until the worker gets to them. A verifier without a worker (small bundles: a thread costs more
 * than it saves), whose worker is not ready yet, or whose worker is lost verifies on this thread:
 * the verdict is the same either way.
 */
export class BundleVerifier {
  /** Bundles not handed to the worker yet, oldest first. */
  private readonly waiting: Request[] = [];
  /** The bundle the worker is verifying (its bytes moved there). */
  private taken: Request | undefined;
  private next = 0;

  private worker: Worker | undefined;
  /** The worker has loaded the verifier and said so: only then does it get a bundle. */
  private ready = false;
  /** A worker is wanted but not started yet. */
  private later = false;

  private constructor() {}

  /** A verifier with a worker thread, started now so that it is ready by the time bundles are. */
  static withWorker(): BundleVerifier {
    const verifier = new BundleVerifier();
    verifier.spawn();
    return verifier;
  }

  /**
   * A verifier whose worker starts on `startWorker()` or, at the latest, with the first bundle:
   * the build starts it once the files are read, so that its start does not compete with reading
   * them (measured: ~15 ms of a warm build).
   */
  static withWorkerLater(): BundleVerifier {
    const verifier = new BundleVerifier();
    verifier.later = true;
    return verifier;
  }

  static inline(): BundleVerifier {
    return new BundleVerifier();
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
      if ('ready' in reply) this.ready = true;
      else if (this.taken?.id === reply.id) {
        const { settle } = this.taken;
        this.taken = undefined;
        settle('error' in reply ? new Error(reply.error) : undefined);
      }
      this.handOver();
    });
    worker.on('error', (error) => this.lose(`it failed: ${error.message}`));
    worker.on('exit', (code) => this.lose(`it exited with code ${code}`));
  }

  /**
   * Resolves when `bytes` verifies; rejects with the verifier's reason when it does not. Without a
   * worker the verdict is given at once, on this thread. With one, `bytes` may be handed over (its
   * memory moves to the worker, unless it shares it with other data), so the caller must be done
   * with it: written, measured.
   */
  verify(bytes: Uint8Array, options: VerifyOptions): Promise<void> {
    if (this.later) this.startWorker();
    if (!this.worker) return verifyHere(bytes, options);
    const verdict = new Promise<void>((resolve, reject) =>
      this.waiting.push({
        id: this.next++,
        bytes,
        options,
        size: bytes.byteLength,
        settle: (error) => (error ? reject(error) : resolve()),
      }),
    );
    this.handOver();
    return verdict;
  }

  /**
   * Verifies here, newest first, the bundles the worker has not taken, letting events in between so
   * that a worker that finishes takes the oldest. Resolves once none is waiting; the worker's own
   * verdicts arrive through their promises.
   */
  async verifyRestHere(): Promise<void> {
    for (let request = this.waiting.pop(); request; request = this.waiting.pop()) {
      settleHere(request);
      await yieldToEvents();
    }
  }

  /** Stops the worker; verdicts not yet given are no longer wanted. */
  close(): void {
    this.later = false;
    this.waiting.length = 0;
    this.taken = undefined;
    this.stop();
  }

  /** The oldest waiting bundle goes to the worker, when it is ready and has none. */
  private handOver(): void {
    const worker = this.worker;
    if (!worker || !this.ready || this.taken) return;
    const request = this.waiting.shift();
    if (!request) return;
    this.taken = request;
    const { id, bytes, options } = request;
    const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const message: VerifyRequest = { id, bytes, options };
    worker.postMessage(message, whole && bytes.buffer instanceof ArrayBuffer ? [bytes.buffer] : []);
  }

  private stop(): void {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = false;
    if (!worker) return;
    worker.unref();
    worker.terminate().catch(() => {});
  }

  /**
   * The worker failed or exited: the bundles still waiting are verified here; the one it had taken
   * fails unless its bytes stayed here too (it is never written unverified).
   */
  private lose(why: string): void {
    this.stop();
    const taken = this.taken;
    this.taken = undefined;
    if (taken) {
      if (taken.bytes.byteLength === 0 && taken.size > 0)
        taken.settle(new Error(`the thread verifying it stopped before it answered (${why})`));
      else settleHere(taken);
    }
    for (let request = this.waiting.shift(); request; request = this.waiting.shift()) settleHere(request);
  }
}

interface Request {
  id: number;
  bytes: Uint8Array;
  options: VerifyOptions;
  /** The size before the bytes were handed over (after, a moved buffer reads as empty). */
  size: number;
  settle: (error?: Error) => void;
}

function settleHere(request: Request): void {
  try {
    verifyBundle(request.bytes, request.options);
    request.settle();
  } catch (error) {
    request.settle(error instanceof Error ? error : new Error(String(error)));
  }
}

function verifyHere(bytes: Uint8Array, options: VerifyOptions): Promise<void> {
  try {
    verifyBundle(bytes, options);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
