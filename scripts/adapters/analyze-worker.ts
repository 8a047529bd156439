import { parentPort } from 'node:worker_threads';
import type { FileResult } from '../core/check/file-result.js';
import type { Policy } from '../core/model/policy.js';
import { isJsonSafe } from './cache.js';

/**
 * A worker thread of the analysis pool. It starts loading the analysis code (the YAML parser, ajv,
 * the compiled flag schema) the moment it boots, while the main thread is still reading files and
 * the cache, so that by the time chunks arrive only the analysis itself is left to do.
 *
 * Chunks arrive as one transferred buffer with offsets; results go back as JSON lines, which the
 * main thread parses faster than structured clones and can append to the cache as they are. A
 * result that JSON cannot carry exactly (NaN, infinities, -0) goes back as a structured clone.
 */

export interface PolicyMessage {
  type: 'policy';
  policy: Policy;
}

export interface ChunkMessage {
  type: 'chunk';
  id: number;
  files: string[];
  hashes: string[];
  /** files.length + 1 offsets into buffer. */
  offsets: number[];
  buffer: ArrayBuffer;
}

export interface ChunkReply {
  id: number;
  /** One JSON text per file; '' where the result is in `exact` instead. */
  lines: string[];
  exact: [number, FileResult][];
}

export interface ErrorReply {
  id: number;
  error: string;
}

/** Sent once the analysis code is loaded: from then on chunks cost only their analysis. */
export interface ReadyReply {
  ready: true;
}

const port = parentPort;
if (!port) throw new Error('analyze-worker runs as a worker thread');

const analysis = (async () => {
  const [{ analyzeFlagFile }, { validators }] = await Promise.all([
    import('../core/check/analyze-file.js'),
    import('../core/model/validators.js'),
  ]);
  validators().flag;
  return analyzeFlagFile;
})();
analysis.then(
  () => port.postMessage({ ready: true } satisfies ReadyReply),
  // A failed load is reported with the first chunk, which the pool then analyses elsewhere.
  () => {},
);

let policy: Policy | undefined;
let queue: Promise<void> = Promise.resolve();

port.on('message', (message: PolicyMessage | ChunkMessage) => {
  if (message.type === 'policy') {
    policy = message.policy;
    return;
  }
  const current = policy;
  queue = queue.then(() => run(message, current));
});

async function run(chunk: ChunkMessage, current: Policy | undefined): Promise<void> {
  try {
    if (!current) throw new Error('no policy before the first chunk');
    const analyzeFlagFile = await analysis;
    const bytes = new Uint8Array(chunk.buffer);
    const lines: string[] = [];
    const exact: [number, FileResult][] = [];
    for (let i = 0; i < chunk.files.length; i++) {
      const result = analyzeFlagFile(
        chunk.files[i]!,
        chunk.hashes[i]!,
        bytes.subarray(chunk.offsets[i]!, chunk.offsets[i + 1]!),
        current,
      );
      if (isJsonSafe(result)) lines.push(JSON.stringify(result));
      else {
        lines.push('');
        exact.push([i, result]);
      }
    }
    port!.postMessage({ id: chunk.id, lines, exact } satisfies ChunkReply);
  } catch (error) {
    port!.postMessage({
      id: chunk.id,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    } satisfies ErrorReply);
  }
}
