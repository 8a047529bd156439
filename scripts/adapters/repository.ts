import { join } from 'node:path';
import { analyzePolicy, POLICY_FILE } from '../core/check/analyze-policy.js';
import type { FileResult } from '../core/check/file-result.js';
import { CODEOWNERS_LOCATIONS, type Codeowners, parseCodeowners } from '../core/codeowners/parse.js';
import type { Finding } from '../core/findings/finding.js';
import type { Flag } from '../core/model/flag.js';
import type { Policy } from '../core/model/policy.js';
import { analyzeAll } from './analyze-pool.js';
import { ResultCache } from './cache.js';
import { toolFingerprint } from './fingerprint.js';
import { readFlagFiles, readOptional, sha256 } from './repo-files.js';

/**
 * Loads a repository from disk: policy, CODEOWNERS and every flag file, analysed in parallel and
 * answered from the cache where the bytes are unchanged. Every command starts here.
 */

export interface Repository {
  root: string;
  policy: Policy;
  /** Whether the policy file parsed; when it did not, `policy` holds the defaults. */
  policyOk: boolean;
  files: FileResult[];
  preliminary: Finding[];
  codeowners: Codeowners | undefined;
  stats: { files: number; cached: number; analysed: number };
}

export interface LoadOptions {
  cacheDir?: string | false;
  threads?: number;
  onProgress?: (done: number, total: number) => void;
}

export const defaultCacheDir = (root: string): string =>
  process.env.FLAGS_CACHE_DIR ?? join(root, '.cache', 'flags');

export async function loadRepository(root: string, options: LoadOptions = {}): Promise<Repository> {
  const policyBytes = readOptional(join(root, POLICY_FILE));
  const { policy, findings: preliminary } = analyzePolicy(POLICY_FILE, policyBytes);
  const policyOk = !preliminary.some((f) => f.severity === 'error');
  const read = readFlagFiles(root, policy.limits.maxFileBytes);
  preliminary.push(...read.findings);
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir(root) : options.cacheDir;
  const cache =
    cacheDir === false
      ? ResultCache.disabled()
      : ResultCache.open(cacheDir, toolFingerprint(), sha256(JSON.stringify(policy)));
  const results: FileResult[] = new Array(read.files.length);
  const misses: number[] = [];
  read.files.forEach((f, i) => {
    const hit = cache.get(f.file, f.hash);
    if (hit) results[i] = hit;
    else misses.push(i);
  });
  const analysed = await analyzeAll(
    misses.map((i) => read.files[i]!),
    policy,
    { threads: options.threads, onProgress: options.onProgress },
  );
  analysed.forEach((result, j) => {
    results[misses[j]!] = result;
    cache.set(result);
  });
  try {
    cache.save();
  } catch {
    // a read-only checkout still gets checked, only without the cache
  }
  return {
    root,
    policy,
    policyOk,
    files: results,
    preliminary,
    codeowners: readCodeowners(root),
    stats: { files: results.length, cached: results.length - misses.length, analysed: misses.length },
  };
}

export function readCodeowners(root: string): Codeowners | undefined {
  for (const location of CODEOWNERS_LOCATIONS) {
    const bytes = readOptional(join(root, location));
    if (bytes) return parseCodeowners(location, new TextDecoder().decode(bytes));
  }
  return undefined;
}

/** The flags that passed the schema, by file. */
export const validFlags = (repo: Pick<Repository, 'files'>): { file: string; flag: Flag }[] =>
  repo.files.flatMap((r) => (r.flag ? [{ file: r.file, flag: r.flag }] : []));
