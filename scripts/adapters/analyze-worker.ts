import { parentPort, workerData } from 'node:worker_threads';
import { analyzeFlagFile } from '../core/check/analyze-file.js';
import type { Policy } from '../core/model/policy.js';
import type { FlagFileBytes } from './repo-files.js';

/** A worker thread of the analysis pool: receives chunks of files, answers with their results. */
const policy = (workerData as { policy: Policy }).policy;
parentPort?.on('message', (chunk: { id: number; files: FlagFileBytes[] }) => {
  const results = chunk.files.map((f) => analyzeFlagFile(f.file, f.hash, f.bytes, policy));
  parentPort?.postMessage({ id: chunk.id, results });
});
