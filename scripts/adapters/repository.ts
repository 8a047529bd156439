import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { PolicyPositions } from '../core/check/analyze-policy.js';
import type { FileResult } from '../core/check/file-result.js';
import { CODEOWNERS_LOCATIONS, type Codeowners, parseCodeowners } from '../core/codeowners/parse.js';
import type { Finding } from '../core/findings/finding.js';
import type { Flag } from '../core/model/flag.js';
import type { Policy } from '../core/model/policy.js';
import { AnalysisPool, workersFor } from './analyze-pool.js';
import { cacheDirFor, cacheKey, type PolicyAnalysis, readPolicyCache, writePolicyCache } from './cache.js';
import { toolFingerprint } from './fingerprint.js';
import {
  FLAGS_DIR,
  type FlagFileBytes,
  listFlagFiles,
  POLICY_PATH,
  readListedFiles,
  readRegularFile,
  sha256,
} from './repo-files.js';

/**
 * Loads a repository from disk: policy, CODEOWNERS and every flag file, analysed on all cores.
 * Every command starts here.
 *
 * The order is chosen for speed: list the files, start worker threads (they load the parser and
 * the validators while this thread reads the policy and reads and hashes the files), and hand every
 * file to the pool, where this thread works alongside the workers. Only the analysed policy is
 * cached here (sealed, cache.ts); a check after a small change answers from its snapshot instead
 * (checked-repository.ts).
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

/**
 * The repository's own workspace folder: where the development key lives (keys.ts). The caches
 * live elsewhere (cache.ts: cacheDirFor).
 */
export const defaultCacheDir = (root: string): string =>
  process.env.FLAGS_CACHE_DIR ?? join(root, '.cache', 'flags');

/** The cache folder for `cacheDir` as the options give it: false for none. */
export const resolveCacheDir = (root: string, cacheDir: string | false | undefined): string | false =>
  cacheDir === false ? false : cacheDir === undefined ? cacheDirFor(root) : cacheDir;

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
  /** The toolkit fingerprint: part of every cache key, and signed in every statement. */
  fingerprint: string;
  /** The cache folder and the key that seals it; undefined when the caches are off. */
  cache: { dir: string; key: Buffer } | undefined;
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
  const listing = listFlagFiles(root);
  options.onListed?.(listing.count);
  const mac = options.cacheDir === false ? undefined : cacheKey(root);
  const cacheDir = mac ? resolveCacheDir(root, options.cacheDir) : false;
  const fingerprint = toolFingerprint();
  const policyFile = readRegularFile(root, POLICY_PATH);
  const { policy, findings, at } = await analysePolicy(
    'bytes' in policyFile ? policyFile.bytes : undefined,
    cacheDir === false ? undefined : { dir: cacheDir, key: mac! },
    fingerprint,
  );
  const codeowners = readCodeownersFile(root);
  // A linked flags/ folder is reported once, by the listing.
  const policyLink =
    'symlink' in policyFile && policyFile.symlink.file !== FLAGS_DIR ? [policyFile.symlink] : [];
  const preliminary = [...policyLink, ...findings];
  if (codeowners.symlink) preliminary.push(codeowners.symlink);
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
    codeowners: codeowners.codeowners,
    fingerprint,
    cache: cacheDir === false ? undefined : { dir: cacheDir, key: mac! },
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
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const workers = (files: number) => workersFor(threads, files);
  let pool: AnalysisPool | undefined = options.pool;
  try {
    const read =
      options.read ??
      (await readRepository(root, {
        cacheDir: options.cacheDir,
        // Every file will be analysed: start the workers before the files are read (and before
        // the policy, whose analysis loads zod on this thread), so they load the parser meanwhile.
        onListed: (count) => {
          if (workers(count) > 0) pool = AnalysisPool.start(workers(count));
        },
      }));
    let results: FileResult[] = [];
    if (read.files.length > 0) {
      pool ??= AnalysisPool.start(workers(read.files.length));
      results = await pool.analyze(read.files, read.policy, { onProgress: options.onProgress });
    }
    return {
      root,
      policy: read.policy,
      policyAt: read.policyAt,
      policyOk: read.policyOk,
      files: results,
      preliminary: read.preliminary,
      codeowners: read.codeowners,
      stats: { files: results.length, cached: 0, analysed: results.length },
    };
  } finally {
    (pool as AnalysisPool | undefined)?.close();
  }
}

/** The policy analysis depends only on the policy's bytes and the toolkit, so it is cached too. */
async function analysePolicy(
  bytes: Uint8Array | undefined,
  cache: { dir: string; key: Buffer } | undefined,
  fingerprint: string,
): Promise<PolicyAnalysis> {
  const key = bytes === undefined ? 'absent' : sha256(bytes);
  if (cache) {
    const hit = readPolicyCache(cache.dir, cache.key, fingerprint, key);
    if (hit) return hit;
  }
  // Loaded on demand: the parser, ajv and zod are not needed when the cache answers.
  const { analyzePolicy } = await import('../core/check/analyze-policy.js');
  const analysis = analyzePolicy(POLICY_PATH, bytes);
  if (cache) {
    try {
      writePolicyCache(cache.dir, cache.key, fingerprint, key, analysis);
    } catch {
      // read-only: analyse again next time
    }
  }
  return analysis;
}

export function readCodeowners(root: string): Codeowners | undefined {
  return readCodeownersFile(root).codeowners;
}

/**
 * The CODEOWNERS file GitHub would use. A link there is refused and read as no file, which is what
 * GitHub makes of it (it reads the link's blob, a path, not the target).
 */
function readCodeownersFile(root: string): { codeowners?: Codeowners; symlink?: Finding } {
  for (const location of CODEOWNERS_LOCATIONS) {
    const read = readRegularFile(root, location);
    if ('symlink' in read) return { symlink: read.symlink };
    if ('bytes' in read)
      return { codeowners: parseCodeowners(location, new TextDecoder().decode(read.bytes)) };
  }
  return {};
}

/** The flags that passed the schema, by file. */
export const validFlags = (repo: Pick<Repository, 'files'>): { file: string; flag: Flag }[] =>
  repo.files.flatMap((r) => (r.flag ? [{ file: r.file, flag: r.flag }] : []));
