import type { Codeowners } from '../codeowners/parse.js';
import type { IsoDate } from '../dates.js';
import type { Finding } from '../findings/finding.js';
import type { Policy } from '../model/policy.js';
import {
  type CheckParts,
  codeownersFindings,
  duplicateKeys,
  fileFindings,
  fileRules,
  finish,
  type KeyColumns,
  keyOf,
} from './check-repository.js';
import type { FileResult } from './file-result.js';

/**
 * A check after a small change, without looking at the unchanged files again.
 *
 * A snapshot keeps, for every flag file of the last check, what that check found in it (its own
 * findings plus lifecycle and ownership, which depend only on the file, the policy, CODEOWNERS and
 * today), its key and where the key is written. It is valid only for the same toolkit, policy,
 * CODEOWNERS and today (the adapter keys the snapshot by all four), so an entry whose path and
 * content hash match can stand for the file as it is now.
 *
 * The rules over all files are redone from what the snapshot holds: duplicate keys from the keys.
 * The claim budget needs every flag, so it is not redone; instead the snapshot carries, per
 * environment, an upper bound on any organization's claim (`peaks`). A changed flag can add at most
 * its own key to any claim, so while the bound plus the keys of the changed flags stays within the
 * budget, no claim can be over it, and the budget has nothing to report. When that cannot be shown,
 * the caller runs the full check.
 */

/**
 * Column by column, one row per flag file of the last check, in walk order: a snapshot of ten
 * thousand files is read and written at the start and end of every check, and columns cost one
 * array each rather than an object per file.
 */
export interface CheckSnapshot extends KeyColumns {
  files: string[];
  hashes: string[];
  keys: (string | null)[];
  at: number[];
  archived: number[];
  /** Each row's findings; rows without any are absent. */
  findings: Map<number, Finding[]>;
  /**
   * Per environment, at least the largest `feature_flags` claim any organization can have, in bytes;
   * undefined when the claim budget reported something, so that no check may skip it.
   */
  peaks: Record<string, number> | undefined;
}

export interface FileIdentity {
  file: string;
  hash: string;
}

const emptySnapshot = (peaks: Record<string, number> | undefined): CheckSnapshot => ({
  files: [],
  hashes: [],
  keys: [],
  at: [],
  archived: [],
  findings: new Map(),
  peaks,
});

function addRow(
  snapshot: CheckSnapshot,
  file: string,
  hash: string,
  key: string | null,
  line: number,
  col: number,
  findings: Finding[] | undefined,
  archived = false,
): void {
  const row = snapshot.files.length;
  if (archived) snapshot.archived.push(row);
  snapshot.files.push(file);
  snapshot.hashes.push(hash);
  snapshot.keys.push(key);
  snapshot.at.push(line, col);
  if (findings && findings.length > 0) snapshot.findings.set(row, findings);
}

/**
 * For each current file, the snapshot row with its path and hash, or -1. Both lists come in walk
 * order, so they are walked side by side; a path out of step (added, removed, renamed) falls back
 * to a map of the rest.
 */
export function snapshotRowsFor(snapshot: CheckSnapshot, current: readonly FileIdentity[]): Int32Array {
  const { files, hashes } = snapshot;
  const rows = new Int32Array(current.length);
  let byFile: Map<string, number> | undefined;
  for (let i = 0; i < current.length; i++) {
    const { file, hash } = current[i]!;
    let row = i;
    if (files[i] !== file) {
      if (!byFile) {
        byFile = new Map();
        for (let r = 0; r < files.length; r++) byFile.set(files[r]!, r);
      }
      row = byFile.get(file) ?? -1;
    }
    rows[i] = row >= 0 && hashes[row] === hash ? row : -1;
  }
  return rows;
}

/** Indices of the files snapshotRowsFor could not match: new, or with other bytes. */
export function unanswered(rows: Int32Array): number[] {
  const misses: number[] = [];
  for (let i = 0; i < rows.length; i++) if (rows[i]! < 0) misses.push(i);
  return misses;
}

export interface IncrementalInput {
  snapshot: CheckSnapshot;
  current: readonly FileIdentity[];
  /** snapshotRowsFor(snapshot, current). */
  rows: Int32Array;
  /** Results for the files snapshotRowsFor could not match, by path. */
  fresh: ReadonlyMap<string, FileResult>;
  policy: Policy;
  codeowners: Codeowners | undefined;
  today: IsoDate;
  preliminary: readonly Finding[];
  changedFiles?: ReadonlySet<string>;
}

/**
 * The findings checkRepository would report, and the snapshot for the next check; undefined when
 * the claim budget would have to be judged again (the caller then runs the full check).
 */
export function checkIncrementally(
  input: IncrementalInput,
): { findings: Finding[]; snapshot: CheckSnapshot } | undefined {
  const peaks = input.snapshot.peaks;
  if (!peaks) return undefined;
  const rules = fileRules(input.today, input.codeowners);
  const old = input.snapshot;
  const next = emptySnapshot(undefined);
  const archivedRows = new Set(old.archived);
  let added = 0;
  for (let i = 0; i < input.current.length; i++) {
    const { file, hash } = input.current[i]!;
    const fresh = input.fresh.get(file);
    if (fresh) {
      const keyed = keyOf(fresh);
      const findings = fileFindings(fresh, input.policy, rules);
      addRow(next, file, hash, keyed.key ?? null, keyed.at[0], keyed.at[1], findings, keyed.archived);
      if (fresh.flag) added += keyBytes(fresh.flag.key);
      continue;
    }
    const row = input.rows[i]!;
    if (row < 0) throw new Error(`no snapshot row or fresh result for ${file} (${hash})`);
    addRow(
      next,
      file,
      hash,
      old.keys[row]!,
      old.at[2 * row]!,
      old.at[2 * row + 1]!,
      old.findings.get(row),
      archivedRows.has(row),
    );
  }
  const budget = input.policy.limits.maxClaimBytes;
  const nextPeaks: Record<string, number> = {};
  for (const environment of input.policy.environments) {
    const peak = peaks[environment];
    if (peak === undefined || peak + added > budget) return undefined;
    nextPeaks[environment] = peak + added;
  }
  next.peaks = nextPeaks;
  const all = [
    ...input.preliminary,
    ...duplicateKeys(next),
    ...codeownersFindings(input.codeowners, next.files.length),
  ];
  for (const list of next.findings.values()) for (const f of list) all.push(f);
  return { findings: finish(all, input.changedFiles), snapshot: next };
}

/** The snapshot of a full check. `peaks` comes from the claim budget (claimPeaks). */
export function snapshotOf(
  files: readonly FileResult[],
  parts: CheckParts,
  peaks: Record<string, number> | undefined,
): CheckSnapshot {
  const claimsReported = parts.shared.some((f) => f.code === 'policy/claim-budget');
  const snapshot = emptySnapshot(claimsReported ? undefined : peaks);
  files.forEach((result, i) => {
    const keyed = keyOf(result);
    addRow(
      snapshot,
      result.file,
      result.hash,
      keyed.key ?? null,
      keyed.at[0],
      keyed.at[1],
      parts.byFile[i],
      keyed.archived,
    );
  });
  return snapshot;
}

/** The most one flag adds to a claim: its key as a JSON string, and a comma. */
const keyBytes = (key: string): number => new TextEncoder().encode(JSON.stringify(key)).length + 1;
