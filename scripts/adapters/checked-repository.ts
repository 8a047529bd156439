import { checkRepositoryInParts } from '../core/check/check-repository.js';
import type { FileResult } from '../core/check/file-result.js';
import { checkIncrementally, snapshotOf, unansweredFiles } from '../core/check/incremental.js';
import { claimPeaks } from '../core/claims/peaks.js';
import type { IsoDate } from '../core/dates.js';
import type { Finding } from '../core/findings/finding.js';
import { analyzeAll } from './analyze-pool.js';
import { ResultCache } from './cache.js';
import { checkStateKey, readCheckState, writeCheckState } from './check-state.js';
import { defaultCacheDir, type LoadOptions, loadRepository, readRepository } from './repository.js';

/**
 * `flags check` as the command runs it: with a cache, a check after a small change reads and hashes
 * every file (the key is the content, never a timestamp), analyses only the files whose bytes the
 * last check did not see, and takes the rest from the snapshot of the last check
 * (core/check/incremental.ts). Whenever the snapshot cannot answer (none yet, another day, policy,
 * CODEOWNERS or toolkit, or a claim that might now be over budget), it runs the full check, which
 * still answers unchanged files from the per-file result cache, and leaves a snapshot for next time.
 */

export interface CheckedRepository {
  findings: Finding[];
  stats: { files: number; cached: number; analysed: number };
  /** How it was answered: from the last check's snapshot, or by the full check. */
  mode: 'incremental' | 'full';
}

export async function checkRepositoryAt(
  root: string,
  options: LoadOptions & { today: IsoDate; changedFiles?: ReadonlySet<string> },
): Promise<CheckedRepository> {
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir(root) : options.cacheDir;
  if (cacheDir === false) {
    const repo = await loadRepository(root, { ...options, cacheDir });
    return {
      findings: checkRepositoryInParts({ ...repo, ...options }).findings,
      stats: repo.stats,
      mode: 'full',
    };
  }
  const read = await readRepository(root, { cacheDir });
  const key = checkStateKey(read, options.today);
  const snapshot = readCheckState(cacheDir, key);
  if (snapshot) {
    const misses = unansweredFiles(snapshot, read.files);
    const analysed = await analyzeAll(
      misses.map((i) => read.files[i]!),
      read.policy,
      { threads: options.threads, onProgress: options.onProgress },
    );
    try {
      ResultCache.append(cacheDir, read.fingerprint, read.policyHash, analysed);
    } catch {
      // a read-only cache: the full check below analyses them again if it has to
    }
    const outcome = checkIncrementally({
      snapshot,
      current: read.files,
      fresh: new Map<string, FileResult>(analysed.map((r) => [r.file, r])),
      policy: read.policy,
      codeowners: read.codeowners,
      today: options.today,
      preliminary: read.preliminary,
      changedFiles: options.changedFiles,
    });
    if (outcome) {
      if (misses.length > 0) writeCheckState(cacheDir, key, outcome.snapshot);
      const files = read.files.length;
      return {
        findings: outcome.findings,
        stats: { files, cached: files - misses.length, analysed: misses.length },
        mode: 'incremental',
      };
    }
  }
  const repo = await loadRepository(root, { ...options, cacheDir, read });
  const input = { ...repo, today: options.today, changedFiles: options.changedFiles };
  const parts = checkRepositoryInParts(input);
  writeCheckState(
    cacheDir,
    key,
    snapshotOf(repo.files, parts, claimPeaks(repo.files, repo.policy, options.today)),
  );
  return { findings: parts.findings, stats: repo.stats, mode: 'full' };
}
