import { checkRepositoryInParts } from '../core/check/check-repository.js';
import type { FileResult } from '../core/check/file-result.js';
import { checkIncrementally, snapshotOf, snapshotRowsFor, unanswered } from '../core/check/incremental.js';
import { claimPeaks } from '../core/claims/peaks.js';
import type { IsoDate } from '../core/dates.js';
import type { Finding } from '../core/findings/finding.js';
import type { Flag } from '../core/model/flag.js';
import type { Policy } from '../core/model/policy.js';
import { availableParallelism } from 'node:os';
import { AnalysisPool, workersFor } from './analyze-pool.js';
import { ResultCache } from './cache.js';
import { cacheWritesSettled } from './files.js';
import { checkStateKey, hasCheckState, readCheckState, writeCheckState } from './check-state.js';
import {
  defaultCacheDir,
  type LoadOptions,
  loadRepository,
  type RepositoryFiles,
  readRepository,
} from './repository.js';

/**
 * `flags check` as the command runs it: with a cache, a check after a small change reads and hashes
 * every file (the key is the content, never a timestamp), analyses only the files whose bytes the
 * last check did not see, and takes the rest from the snapshot of the last check
 * (core/check/incremental.ts). Whenever the snapshot cannot answer (none yet, another day, policy,
 * CODEOWNERS or toolkit, or a claim that might now be over budget), it runs the full check, which
 * still answers unchanged files from the per-file result cache, and leaves a snapshot for next time.
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
  /** How it was answered: from the last check's snapshot, or by the full check. */
  mode: 'incremental' | 'full';
}

export interface CheckOptions extends LoadOptions {
  today: IsoDate;
  changedFiles?: ReadonlySet<string>;
  /** Told when each step ends ('read', 'analysed', 'judged'), for timing (bench/check.ts). */
  onStep?: (step: 'read' | 'analysed' | 'judged') => void;
}

export async function checkRepositoryAt(root: string, options: CheckOptions): Promise<CheckedRepository> {
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir(root) : options.cacheDir;
  // The snapshot an earlier check of this process is still writing is the one to read.
  await cacheWritesSettled();
  if (cacheDir === false) {
    const repo = await loadRepository(root, { ...options, cacheDir });
    options.onStep?.('analysed');
    const findings = checkRepositoryInParts({ ...repo, ...options }).findings;
    options.onStep?.('judged');
    return {
      policy: repo.policy,
      flags: loadedFlags(repo.files),
      findings,
      stats: repo.stats,
      mode: 'full',
    };
  }
  // Without a snapshot, and without results to answer from, every file will be analysed: all
  // workers start before the files are read. With a snapshot, the usual check analyses a few
  // changed files on this thread: a worker booting beside the reading slowed the reading by more
  // than it saved (measured; docs/performance.md).
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const workers = (files: number) => workersFor(threads, files);
  const snapshotThere = hasCheckState(cacheDir);
  let pool: AnalysisPool | undefined;
  try {
    const read = await readRepository(root, {
      cacheDir,
      beforeRead: (count, fingerprint, policyHash) => {
        if (snapshotThere || workers(count) === 0 || ResultCache.mayAnswer(cacheDir, fingerprint, policyHash))
          return;
        pool = AnalysisPool.start(workers(count));
      },
    });
    options.onStep?.('read');
    const key = checkStateKey(read, options.today);
    const snapshot = readCheckState(cacheDir, key);
    if (!snapshot) {
      const adopted = pool;
      pool = undefined;
      return await fullCheck(root, options, cacheDir, read, key, adopted);
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
    try {
      ResultCache.append(cacheDir, read.fingerprint, read.policyHash, analysed);
    } catch {
      // a read-only cache: the full check below analyses them again if it has to
    }
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
    if (!outcome) return await fullCheck(root, options, cacheDir, read, key, undefined);
    options.onStep?.('judged');
    if (misses.length > 0) writeCheckState(cacheDir, key, outcome.snapshot);
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
    };
  } finally {
    (pool as AnalysisPool | undefined)?.close();
  }
}

async function fullCheck(
  root: string,
  options: CheckOptions,
  cacheDir: string,
  read: RepositoryFiles,
  key: string,
  pool: AnalysisPool | undefined,
): Promise<CheckedRepository> {
  const repo = await loadRepository(root, { ...options, cacheDir, read, pool });
  options.onStep?.('analysed');
  const input = { ...repo, today: options.today, changedFiles: options.changedFiles };
  const parts = checkRepositoryInParts(input);
  options.onStep?.('judged');
  writeCheckState(
    cacheDir,
    key,
    snapshotOf(repo.files, parts, claimPeaks(repo.files, repo.policy, options.today)),
  );
  return {
    policy: repo.policy,
    flags: loadedFlags(repo.files),
    findings: parts.findings,
    stats: repo.stats,
    mode: 'full',
  };
}

/** Every flag with its object, for a build whose content cache lacks one the check did not load. */
export async function loadEveryFlag(root: string, options: LoadOptions = {}): Promise<KnownFlagFile[]> {
  return loadedFlags((await loadRepository(root, options)).files);
}

const loadedFlags = (files: readonly FileResult[]): KnownFlagFile[] =>
  files.flatMap((r) => (r.flag ? [{ file: r.file, hash: r.hash, key: r.flag.key, flag: r.flag }] : []));
