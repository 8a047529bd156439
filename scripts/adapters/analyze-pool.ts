import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEvents } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { analyzeFlagFile } from '../core/check/analyze-file.js';
import type { FileResult } from '../core/check/file-result.js';
import type { Policy } from '../core/model/policy.js';
import type { FlagFileBytes } from './repo-files.js';

/**
 * Analyses files on every core: worker threads and the main thread pull chunks from one queue, so
 * a slow chunk on one thread never leaves another idle. Small batches stay on the main thread,
 * where starting a worker would cost more than it saves.
 */

const CHUNK = 200;
const MIN_FOR_WORKERS = 600;

export interface PoolOptions {
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

export async function analyzeAll(
  files: readonly FlagFileBytes[],
  policy: Policy,
  options: PoolOptions = {},
): Promise<FileResult[]> {
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const results: FileResult[] = new Array(files.length);
  const chunks: { id: number; start: number; files: FlagFileBytes[] }[] = [];
  for (let start = 0, id = 0; start < files.length; start += CHUNK, id++)
    chunks.push({ id, start, files: files.slice(start, start + CHUNK) });
  let next = 0;
  let done = 0;
  const progress = (n: number) => {
    done += n;
    options.onProgress?.(done, files.length);
  };
  const workerCount = files.length >= MIN_FOR_WORKERS ? Math.min(threads - 1, chunks.length - 1) : 0;
  const workers = Array.from({ length: workerCount }, () => startWorker(policy));
  try {
    const workerRuns = workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          const feed = () => {
            const chunk = chunks[next++];
            if (!chunk) return resolve();
            worker.postMessage({ id: chunk.id, files: chunk.files });
          };
          worker.on('message', (message: { id: number; results: FileResult[] }) => {
            const chunk = chunks[message.id]!;
            message.results.forEach((r, i) => {
              results[chunk.start + i] = r;
            });
            progress(message.results.length);
            feed();
          });
          worker.on('error', reject);
          worker.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`analysis worker exited with code ${code}`)),
          );
          feed();
        }),
    );
    for (let chunk = chunks[next++]; chunk; chunk = chunks[next++]) {
      chunk.files.forEach((f, i) => {
        results[chunk!.start + i] = analyzeFlagFile(f.file, f.hash, f.bytes, policy);
      });
      progress(chunk.files.length);
      // Let worker messages in between chunks, so workers are fed while the main thread works too.
      await yieldToEvents();
    }
    await Promise.all(workerRuns);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

function startWorker(policy: Policy): Worker {
  const url = new URL(
    import.meta.url.endsWith('.ts') ? './analyze-worker.ts' : './analyze-worker.js',
    import.meta.url,
  );
  // Under the test runner the sources are TypeScript; tsx lets the worker load them too.
  const execArgv = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return new Worker(url, { workerData: { policy }, execArgv });
}
