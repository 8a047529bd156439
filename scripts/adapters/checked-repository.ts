import { checkRepositoryInParts } from '../core/check/check-repository.js';
import type { FileResult } from '../core/check/file-result.js';
import {
  type CheckSnapshot,
  checkIncrementally,
  snapshotOf,
  snapshotRowsFor,
  unanswered,
} from '../core/check/incremental.js';
import { claimPeaks } from '../core/claims/peaks.js';
import type { IsoDate } from '../core/dates.js';
import type { Finding } from '../core/findings/finding.js';
import type { Flag } from '../core/model/flag.js';
import type { Policy } from '../core/model/policy.js';
import { availableParallelism } from 'node:os';
import { AnalysisPool, workersFor } from './analyze-pool.js';
import { cacheKey } from './cache.js';
import { cacheWritesSettled } from './files.js';
import { checkStateKey, hasCheckState, readCheckState, writeCheckState } from './check-state.js';
import {
  type LoadOptions,
  loadRepository,
  type RepositoryFiles,
  readRepository,
  resolveCacheDir,
} from './repository.js';

/**
 * `flags check` as the command runs it. A check after a small change reads and hashes every file
 * (the key is the content, never a timestamp), analyses only the files whose bytes the last check
 * did not see, and takes the rest from the snapshot of the last check (core/check/incremental.ts).
 * The snapshot comes from the sealed cache (cache.ts), or, for a signing build, from the signed
 * build record of the last published bundle (build-record.ts); never from a file anyone could
 * have put in the working tree. Whenever no snapshot can answer (none, another day, policy,
 * CODEOWNERS or toolkit, or a claim that might now be over budget), the full check runs.
 */

/** A flag file that passed the schema: its flag is loaded only when this check analysed it. */
export interface KnownFlagFile {
  file: string;
  hash: string;
  key: string;
  flag?: Flag;
}

export interface CheckedRepository {
  policy: Policy;
  /** Flag files that passed the schema, in path order. */
  flags: KnownFlagFile[];
  findings: Finding[];
  stats: { files: number; cached: number; analysed: number };
  /** How it was answered: from a snapshot, or by the full check. */
  mode: 'incremental' | 'full';
  /** The toolkit fingerprint and the hash of the analysed policy: what a statement signs. */
  fingerprint: string;
  policyHash: string;
  /** The snapshot of this check and the key it is valid under, when `keepSnapshot` asked for it. */
  snapshot?: { key: string; value: CheckSnapshot };
}

export interface CheckOptions extends LoadOptions {
  today: IsoDate;
  changedFiles?: ReadonlySet<string>;
  /** Told when each step ends ('read', 'analysed', 'judged'), for timing (bench/check.ts). */
  onStep?: (step: 'read' | 'analysed' | 'judged') => void;
  /**
   * A trusted snapshot from elsewhere than the cache (a verified build record), asked for once the
   * files are read; undefined when it has none valid under `key`.
   */
  snapshotFrom?: (
    key: string,
    read: RepositoryFiles,
  ) => CheckSnapshot | undefined | Promise<CheckSnapshot | undefined>;
  /** Return the check's snapshot (a signing build writes it into its build records). */
  keepSnapshot?: boolean;
}

export async function checkRepositoryAt(root: string, options: CheckOptions): Promise<CheckedRepository> {
  const cacheDir = resolveCacheDir(root, options.cacheDir);
  const mac = cacheDir === false ? undefined : cacheKey(root);
  const cache = mac && cacheDir !== false ? { dir: cacheDir, key: mac } : undefined;
  // The snapshot an earlier check of this process is still writing is the one to read.
  await cacheWritesSettled();
  // Without a snapshot every file will be analysed: all workers start before the files are read.
  // With one, the usual check analyses a few changed files on this thread: a worker booting beside
  // the reading slowed the reading by more than it saved (measured; docs/performance.md).
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const workers = (files: number) => workersFor(threads, files);
  const snapshotThere =
    options.snapshotFrom !== undefined || (cache !== undefined && hasCheckState(cache.dir));
  let pool: AnalysisPool | undefined;
  try {
    const read = await readRepository(root, {
      cacheDir: cache ? cache.dir : false,
      onListed: (count) => {
        if (!snapshotThere && workers(count) > 0) pool = AnalysisPool.start(workers(count));
      },
    });
    options.onStep?.('read');
    const key = checkStateKey(read, options.today);
    const snapshot = options.snapshotFrom
      ? await options.snapshotFrom(key, read)
      : cache && readCheckState(cache.dir, cache.key, key);
    if (!snapshot) {
      const adopted = pool;
      pool = undefined;
      return await fullCheck(root, options, cache, read, key, adopted);
    }
    const rows = snapshotRowsFor(snapshot, read.files);
    const misses = unanswered(rows);
    pool = AnalysisPool.start(workers(misses.length));
    const analysed =
      misses.length === 0
        ? []
        : await pool.analyze(
            misses.map((i) => read.files[i]!),
            read.policy,
            { onProgress: options.onProgress },
          );
    pool.close();
    pool = undefined;
    options.onStep?.('analysed');
    const outcome = checkIncrementally({
      snapshot,
      current: read.files,
      rows,
      fresh: new Map<string, FileResult>(analysed.map((r) => [r.file, r])),
      policy: read.policy,
      codeowners: read.codeowners,
      today: options.today,
      preliminary: read.preliminary,
      changedFiles: options.changedFiles,
    });
    if (!outcome) return await fullCheck(root, options, cache, read, key, undefined);
    options.onStep?.('judged');
    if (cache && misses.length > 0) writeCheckState(cache.dir, cache.key, key, outcome.snapshot);
    const files = read.files.length;
    const fresh = new Map(analysed.map((r) => [r.file, r.flag]));
    const { files: paths, hashes, keys } = outcome.snapshot;
    const flags: KnownFlagFile[] = [];
    for (let i = 0; i < paths.length; i++) {
      const flagKey = keys[i];
      if (flagKey !== null && flagKey !== undefined)
        flags.push({ file: paths[i]!, hash: hashes[i]!, key: flagKey, flag: fresh.get(paths[i]!) });
    }
    return {
      policy: read.policy,
      flags,
      findings: outcome.findings,
      stats: { files, cached: files - misses.length, analysed: misses.length },
      mode: 'incremental',
      fingerprint: read.fingerprint,
      policyHash: read.policyHash,
      ...(options.keepSnapshot ? { snapshot: { key, value: outcome.snapshot } } : {}),
    };
  } finally {
    (pool as AnalysisPool | undefined)?.close();
  }
}

async function fullCheck(
  root: string,
  options: CheckOptions,
  cache: { dir: string; key: Buffer } | undefined,
  read: RepositoryFiles,
  key: string,
  pool: AnalysisPool | undefined,
): Promise<CheckedRepository> {
  const repo = await loadRepository(root, { ...options, read, pool });
  options.onStep?.('analysed');
  const input = { ...repo, today: options.today, changedFiles: options.changedFiles };
  const parts = checkRepositoryInParts(input);
  options.onStep?.('judged');
  const snapshot =
    cache || options.keepSnapshot
      ? snapshotOf(repo.files, parts, claimPeaks(repo.files, repo.policy, options.today))
      : undefined;
  if (cache && snapshot) writeCheckState(cache.dir, cache.key, key, snapshot);
  return {
    policy: repo.policy,
    flags: loadedFlags(repo.files),
    findings: parts.findings,
    stats: repo.stats,
    mode: 'full',
    fingerprint: read.fingerprint,
    policyHash: read.policyHash,
    ...(options.keepSnapshot && snapshot ? { snapshot: { key, value: snapshot } } : {}),
  };
}

/** Every flag with its object, for a build whose members lack one the check did not load. */
export async function loadEveryFlag(root: string, options: LoadOptions = {}): Promise<KnownFlagFile[]> {
  return loadedFlags((await loadRepository(root, options)).files);
}

const loadedFlags = (files: readonly FileResult[]): KnownFlagFile[] =>
  files.flatMap((r) => (r.flag ? [{ file: r.file, hash: r.hash, key: r.flag.key, flag: r.flag }] : []));
