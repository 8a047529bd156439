import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { PolicyPositions } from '../core/check/analyze-policy.js';
import type { FileResult } from '../core/check/file-result.js';
import { CODEOWNERS_LOCATIONS, type Codeowners, parseCodeowners } from '../core/codeowners/parse.js';
import type { Finding } from '../core/findings/finding.js';
import type { Flag } from '../core/model/flag.js';
import type { Policy } from '../core/model/policy.js';
import { AnalysisPool, workersFor } from './analyze-pool.js';
import { type PolicyAnalysis, ResultCache, readPolicyCache, writePolicyCache } from './cache.js';
import { toolFingerprint } from './fingerprint.js';
import {
  type FlagFileBytes,
  listFlagFiles,
  POLICY_PATH,
  readListedFiles,
  readOptional,
  sha256,
} from './repo-files.js';

/**
 * Loads a repository from disk: policy, CODEOWNERS and every flag file, analysed on all cores and
 * answered from the cache where the bytes are unchanged. Every command starts here.
 *
 * The order is chosen for speed: list the files, read the policy and the cache, start worker
 * threads early when there is no cache to answer from (they load the parser and compile the schema
 * while this thread reads and hashes the files), and hand the files the cache cannot answer to the
 * pool, where this thread works alongside the workers.
 */

export interface Repository {
  root: string;
  policy: Policy;
  /** Where the policy file sets what repository-wide findings are about (analyze-policy.ts). */
  policyAt: PolicyPositions;
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

/** What reading a repository yields before any flag file is analysed. */
export interface RepositoryFiles {
  root: string;
  policy: Policy;
  policyAt: PolicyPositions;
  policyOk: boolean;
  /** Every flag file that could be read, with its bytes and their SHA-256, in path order. */
  files: FlagFileBytes[];
  /** Findings made while reading: the policy, unreadable or oversized files, links, names. */
  preliminary: Finding[];
  codeowners: Codeowners | undefined;
  /** The toolkit fingerprint ('' without a cache): part of every cache key. */
  fingerprint: string;
  /** Hash of the analysed policy: part of every cache key. */
  policyHash: string;
}

/**
 * Lists, reads and hashes the flag files, and reads the policy (from its cache when the bytes match)
 * and CODEOWNERS. Loads no parser when the policy is cached. `beforeRead` runs once the listing is
 * known and before the files are read, so that worker threads can boot meanwhile.
 */
export async function readRepository(
  root: string,
  options: {
    cacheDir?: string | false;
    /** Runs once the files are listed, before the policy is read: the earliest a pool can start. */
    onListed?: (files: number) => void;
    beforeRead?: (files: number, fingerprint: string, policyHash: string) => void;
  } = {},
): Promise<RepositoryFiles> {
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir(root) : options.cacheDir;
  const listing = listFlagFiles(root);
  options.onListed?.(listing.count);
  const fingerprint = cacheDir === false ? '' : toolFingerprint();
  const { policy, findings, at } = await analysePolicy(
    readOptional(join(root, POLICY_PATH)),
    cacheDir,
    fingerprint,
  );
  const preliminary = [...findings];
  const policyOk = !preliminary.some((f) => f.severity === 'error');
  const policyHash = sha256(JSON.stringify(policy));
  options.beforeRead?.(listing.count, fingerprint, policyHash);
  const read = readListedFiles(listing, policy.limits.maxFileBytes);
  preliminary.push(...read.findings);
  return {
    root,
    policy,
    policyAt: at,
    policyOk,
    files: read.files,
    preliminary,
    codeowners: readCodeowners(root),
    fingerprint,
    policyHash,
  };
}

export async function loadRepository(
  root: string,
  options: LoadOptions & {
    /** The files, when the caller has read them already. */
    read?: RepositoryFiles;
    /** A pool the caller started; loadRepository uses it and closes it. */
    pool?: AnalysisPool;
  } = {},
): Promise<Repository> {
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir(root) : options.cacheDir;
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const workers = (files: number) => workersFor(threads, files);
  let pool: AnalysisPool | undefined = options.pool;
  try {
    const read =
      options.read ??
      (await readRepository(root, {
        cacheDir,
        // With nothing to answer from, every file will be analysed: start the workers before the
        // files are read, so they load the parser and the validator meanwhile. With a cache, most
        // checks change a few files, and a worker would cost more to start and stop than it saves.
        // Without a cache, before the policy: analysing an uncached policy loads zod on this thread.
        onListed: (count) => {
          if (cacheDir === false && workers(count) > 0) pool = AnalysisPool.start(workers(count));
        },
        beforeRead: (count, fingerprint, policyHash) => {
          if (cacheDir === false || pool || workers(count) === 0) return;
          if (!ResultCache.mayAnswer(cacheDir, fingerprint, policyHash))
            pool = AnalysisPool.start(workers(count));
        },
      }));
    const cache =
      cacheDir === false
        ? ResultCache.disabled()
        : ResultCache.open(cacheDir, read.fingerprint, read.policyHash);
    const results: FileResult[] = new Array(read.files.length);
    const misses: number[] = [];
    read.files.forEach((f, i) => {
      const hit = cache.get(f.file, f.hash);
      if (hit) results[i] = hit;
      else misses.push(i);
    });
    try {
      if (misses.length > 0) {
        pool ??= AnalysisPool.start(workers(misses.length));
        await pool.analyze(
          misses.map((i) => read.files[i]!),
          read.policy,
          {
            onProgress: options.onProgress,
            // Results go into the cache as they arrive, so their JSON is never all held at once.
            onResult: (j, result, json) => {
              results[misses[j]!] = result;
              cache.set(result, json);
            },
          },
        );
      }
      try {
        cache.save();
      } catch {
        // a read-only checkout still gets checked, only without the cache
      }
    } finally {
      cache.abandon();
    }
    return {
      root,
      policy: read.policy,
      policyAt: read.policyAt,
      policyOk: read.policyOk,
      files: results,
      preliminary: read.preliminary,
      codeowners: read.codeowners,
      stats: { files: results.length, cached: results.length - misses.length, analysed: misses.length },
    };
  } finally {
    (pool as AnalysisPool | undefined)?.close();
  }
}

/** The policy analysis depends only on the policy's bytes and the toolkit, so it is cached too. */
async function analysePolicy(
  bytes: Uint8Array | undefined,
  cacheDir: string | false,
  fingerprint: string,
): Promise<PolicyAnalysis> {
  const key = bytes === undefined ? 'absent' : sha256(bytes);
  if (cacheDir !== false) {
    const hit = readPolicyCache(cacheDir, fingerprint, key);
    if (hit) return hit;
  }
  // Loaded on demand: the parser, ajv and zod are not needed when the cache answers.
  const { analyzePolicy } = await import('../core/check/analyze-policy.js');
  const analysis = analyzePolicy(POLICY_PATH, bytes);
  if (cacheDir !== false) {
    try {
      writePolicyCache(cacheDir, fingerprint, key, analysis);
    } catch {
      // read-only: analyse again next time
    }
  }
  return analysis;
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
