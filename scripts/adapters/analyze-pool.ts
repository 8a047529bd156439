import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import type { FileResult } from '../core/check/file-result.js';
import type { Policy } from '../core/model/policy.js';
import type { ChunkMessage, ChunkReply, ErrorReply, PolicyMessage, ReadyReply } from './analyze-worker.js';
import type { FlagFileBytes } from './repo-files.js';
import { startWorkerThread } from './worker-thread.js';

/**
 * Analyses files on every core. Worker threads and the main thread pull chunks from one queue, so
 * a slow chunk on one thread never leaves another idle; each worker holds two chunks so it never
 * waits for the main thread to come back from a chunk of its own. Workers are started before the
 * files are read (see loadRepository) so their start-up overlaps the reading.
 *
 * The analysis code (YAML parser, ajv, zod) is loaded only by the threads that analyse: a check
 * answered from the cache never loads it on the main thread.
 */

/** Fewer files than this are analysed on the main thread alone: a worker costs more than it saves. */
export const MIN_FOR_WORKERS = 400;
/** Worker threads worth starting for `files` files when `threads` may be used (the main thread is one). */
export const workersFor = (threads: number, files: number): number =>
  threads > 1 && files >= MIN_FOR_WORKERS ? threads - 1 : 0;
/** With a worker already running, the main thread joins in only for larger batches. */
const MIN_FOR_MAIN = 200;
const MAX_CHUNK = 64;
const IN_FLIGHT = 2;
const YOUNG_MB = 8;
const OLD_MB = 32;

export interface PoolOptions {
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface AnalyzeOptions {
  onProgress?: (done: number, total: number) => void;
  /**
   * Called for each result as it arrives, with its JSON when a worker already made it (the cache
   * stores that text as it is); lets the caller write results out instead of holding them twice.
   */
  onResult?: (index: number, result: FileResult, json: string | undefined) => void;
}

type AnalyzeFile = typeof import('../core/check/analyze-file.js').analyzeFlagFile;
let localAnalyzer: Promise<AnalyzeFile> | undefined;
const loadAnalyzer = (): Promise<AnalyzeFile> =>
  (localAnalyzer ??= import('../core/check/analyze-file.js').then((m) => m.analyzeFlagFile));

interface Slot {
  worker: Worker;
  inFlight: Set<number>;
  alive: boolean;
  /** The worker has loaded the analysis code (whenReady waits for this). */
  ready: boolean;
}

interface Job {
  files: readonly FlagFileBytes[];
  chunks: { start: number; end: number }[];
  next: number;
  retry: number[];
  done: number;
  finished: number;
  out: FileResult[];
  onProgress?: (done: number, total: number) => void;
  onResult?: (index: number, result: FileResult, json: string | undefined) => void;
  /** Resolves the main thread's wait for a worker reply or a lost worker. */
  wake: () => void;
}

export class AnalysisPool {
  private readonly slots: Slot[];
  private job: Job | undefined;

  private constructor(workers: number) {
    this.slots = Array.from({ length: workers }, () => this.spawn());
  }

  /** Starts `workers` worker threads; they begin loading the analysis code at once. */
  static start(workers: number): AnalysisPool {
    return new AnalysisPool(Math.max(0, workers));
  }

  /** Resolves once every live worker has loaded the analysis code (for tests and measurements). */
  async whenReady(): Promise<void> {
    while (this.slots.some((s) => s.alive && !s.ready))
      await new Promise((resolve) => setTimeout(resolve, 5));
  }

  get size(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  async analyze(
    files: readonly FlagFileBytes[],
    policy: Policy,
    options: AnalyzeOptions = {},
  ): Promise<FileResult[]> {
    const out: FileResult[] = new Array(files.length);
    if (files.length === 0) return out;
    const threads = this.size + 1;
    const size = Math.max(1, Math.min(MAX_CHUNK, Math.ceil(files.length / (threads * 4))));
    const chunks: Job['chunks'] = [];
    for (let start = 0; start < files.length; start += size)
      chunks.push({ start, end: Math.min(files.length, start + size) });
    const job: Job = {
      files,
      chunks,
      next: 0,
      retry: [],
      done: 0,
      finished: 0,
      out,
      onProgress: options.onProgress,
      onResult: options.onResult,
      wake() {},
    };
    this.job = job;
    try {
      for (const slot of this.slots) {
        if (!slot.alive) continue;
        slot.worker.postMessage({ type: 'policy', policy } satisfies PolicyMessage);
        this.feed(slot);
      }
      // The main thread works too, unless a small batch can go to a worker, warm or still booting:
      // the main thread would spend longer loading the analysis code than the worker needs.
      const mainJoins = files.length >= MIN_FOR_MAIN || !this.slots.some((s) => s.alive);
      let analyze: AnalyzeFile | undefined;
      while (job.finished < chunks.length) {
        // Without a live worker (none started, or all lost) this thread finishes the queue.
        const id = mainJoins || this.size === 0 ? this.take() : undefined;
        if (id !== undefined) {
          analyze ??= await loadAnalyzer();
          this.runHere(id, analyze, policy);
          // Let worker replies in between chunks, so workers are refilled while this thread works.
          await yieldToEvents();
          continue;
        }
        await new Promise<void>((resolve) => {
          job.wake = resolve;
        });
      }
      return out;
    } finally {
      this.job = undefined;
    }
  }

  /** Stops the workers without waiting for them, so a process never lingers on their exit. */
  close(): void {
    for (const slot of this.slots) {
      slot.alive = false;
      slot.worker.unref();
      slot.worker.terminate().catch(() => {});
    }
  }

  private take(): number | undefined {
    const job = this.job;
    if (!job) return undefined;
    if (job.retry.length > 0) return job.retry.pop();
    return job.next < job.chunks.length ? job.next++ : undefined;
  }

  private runHere(id: number, analyze: AnalyzeFile, policy: Policy): void {
    const job = this.job!;
    const { start, end } = job.chunks[id]!;
    for (let i = start; i < end; i++) {
      const f = job.files[i]!;
      const result = analyze(f.file, f.hash, f.bytes, policy);
      job.out[i] = result;
      job.onResult?.(i, result, undefined);
    }
    this.complete(end - start);
  }

  private complete(count: number): void {
    const job = this.job!;
    job.finished++;
    job.done += count;
    job.onProgress?.(job.done, job.files.length);
    job.wake();
  }

  private feed(slot: Slot): void {
    const job = this.job;
    // A worker still booting gets its chunks too: they wait in its queue, and it starts on them the
    // moment it is ready. Waiting for its ready message instead left it idle for as long as this
    // thread spent on its first chunk, slowed by a cold JIT (measured: ~200 ms of a cold check).
    if (!job || !slot.alive) return;
    while (slot.inFlight.size < IN_FLIGHT) {
      const id = this.take();
      if (id === undefined) return;
      const { start, end } = job.chunks[id]!;
      const offsets = [0];
      let total = 0;
      for (let i = start; i < end; i++) {
        total += job.files[i]!.bytes.length;
        offsets.push(total);
      }
      // One fresh buffer per chunk, transferred rather than copied into the worker.
      const buffer = new Uint8Array(total);
      for (let i = start; i < end; i++) buffer.set(job.files[i]!.bytes, offsets[i - start]!);
      const message: ChunkMessage = {
        type: 'chunk',
        id,
        files: job.files.slice(start, end).map((f) => f.file),
        hashes: job.files.slice(start, end).map((f) => f.hash),
        offsets,
        buffer: buffer.buffer,
      };
      slot.inFlight.add(id);
      slot.worker.postMessage(message, [buffer.buffer]);
    }
  }

  private receive(slot: Slot, reply: ChunkReply | ErrorReply | ReadyReply): void {
    if ('ready' in reply) {
      slot.ready = true;
      this.feed(slot);
      return;
    }
    const job = this.job;
    slot.inFlight.delete(reply.id);
    if (!job) return;
    if ('error' in reply) {
      // Hand it on; once no worker is left it runs here, and throws here if the analysis throws.
      job.retry.push(reply.id);
      this.retire(slot);
      return;
    }
    const { start, end } = job.chunks[reply.id]!;
    const parsed = JSON.parse(`[${reply.lines.map((l) => l || 'null').join(',')}]`) as (FileResult | null)[];
    for (const [i, result] of reply.exact) parsed[i] = result;
    for (let i = start; i < end; i++) {
      const result = parsed[i - start]!;
      job.out[i] = result;
      job.onResult?.(i, result, reply.lines[i - start] || undefined);
    }
    this.complete(end - start);
    this.feed(slot);
  }

  private retire(slot: Slot): void {
    if (!slot.alive) return;
    slot.alive = false;
    const job = this.job;
    if (job) job.retry.push(...slot.inFlight);
    slot.inFlight.clear();
    slot.worker.unref();
    slot.worker.terminate().catch(() => {});
    for (const other of this.slots) this.feed(other);
    job?.wake();
  }

  private spawn(): Slot {
    const options = {
      // A worker keeps nothing between chunks, so a small heap keeps the process under its memory
      // budget: a cold check's peak is at the end of the analysis, with the main thread's results
      // and the worker's heap both at their largest. Measured over 6 cold checks of 10,000 flags:
      // old generation 32 MB, peak 180 instead of 186 MB (median; at most 182 instead of 192),
      // for ~4% more time (more collections), a trade the time targets have room for and the
      // memory target had not. A worker that runs out of memory is lost, and its chunks are
      // analysed on the main thread. FLAGS_WORKER_YOUNG_MB and FLAGS_WORKER_OLD_MB are for measuring.
      resourceLimits: {
        maxYoungGenerationSizeMb: Number(process.env.FLAGS_WORKER_YOUNG_MB ?? YOUNG_MB),
        maxOldGenerationSizeMb: Number(process.env.FLAGS_WORKER_OLD_MB ?? OLD_MB),
      },
    };
    const worker = startWorkerThread('analyze-worker', options);
    const slot: Slot = { worker, inFlight: new Set(), alive: true, ready: false };
    worker.on('message', (reply: ChunkReply | ErrorReply | ReadyReply) => this.receive(slot, reply));
    const lost = () => this.retire(slot);
    worker.on('error', lost);
    worker.on('exit', lost);
    return slot;
  }
}

/** Analyses files on all cores (or `threads`), in the order given. */
export async function analyzeAll(
  files: readonly FlagFileBytes[],
  policy: Policy,
  options: PoolOptions = {},
): Promise<FileResult[]> {
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const workers = Math.min(workersFor(threads, files.length), 8);
  const pool = AnalysisPool.start(workers);
  try {
    return await pool.analyze(files, policy, { onProgress: options.onProgress });
  } finally {
    pool.close();
  }
}
