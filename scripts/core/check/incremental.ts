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
  type KeyedFile,
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

export interface SnapshotEntry {
  file: string;
  hash: string;
  /** The flag's key; absent when the file did not pass the schema. */
  key?: string;
  at: [number, number];
  findings: Finding[];
}

export interface CheckSnapshot {
  entries: SnapshotEntry[];
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

/**
 * For each current file, the snapshot entry with its path and hash, or undefined. Both lists come
 * in walk order, so they are walked side by side; a path out of step (added, removed, renamed)
 * falls back to a map of the rest.
 */
export function snapshotEntriesFor(
  snapshot: CheckSnapshot,
  current: readonly FileIdentity[],
): (SnapshotEntry | undefined)[] {
  const entries = snapshot.entries;
  const out: (SnapshotEntry | undefined)[] = new Array(current.length);
  let byFile: Map<string, SnapshotEntry> | undefined;
  for (let i = 0; i < current.length; i++) {
    const { file, hash } = current[i]!;
    let entry = entries[i];
    if (entry?.file !== file) {
      byFile ??= new Map(entries.map((e) => [e.file, e]));
      entry = byFile.get(file);
    }
    out[i] = entry?.hash === hash ? entry : undefined;
  }
  return out;
}

/** Indices of the files snapshotEntriesFor could not match: new, or with other bytes. */
export function unanswered(matched: readonly (SnapshotEntry | undefined)[]): number[] {
  const misses: number[] = [];
  for (let i = 0; i < matched.length; i++) if (!matched[i]) misses.push(i);
  return misses;
}

export interface IncrementalInput {
  snapshot: CheckSnapshot;
  current: readonly FileIdentity[];
  /** snapshotEntriesFor(snapshot, current). */
  matched: readonly (SnapshotEntry | undefined)[];
  /** Results for the files snapshotEntriesFor could not match, by path. */
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
  const entries: SnapshotEntry[] = new Array(input.current.length);
  let added = 0;
  for (let i = 0; i < input.current.length; i++) {
    const { file, hash } = input.current[i]!;
    const fresh = input.fresh.get(file);
    if (fresh) {
      entries[i] = entryOf(fresh, fileFindings(fresh, input.policy, rules));
      if (fresh.flag) added += keyBytes(fresh.flag.key);
      continue;
    }
    const kept = input.matched[i];
    if (!kept) throw new Error(`no snapshot entry or fresh result for ${file} (${hash})`);
    entries[i] = kept;
  }
  const budget = input.policy.limits.maxClaimBytes;
  const next: Record<string, number> = {};
  for (const environment of input.policy.environments) {
    const peak = peaks[environment];
    if (peak === undefined || peak + added > budget) return undefined;
    next[environment] = peak + added;
  }
  const shared = [
    ...input.preliminary,
    ...duplicateKeys(entries),
    ...codeownersFindings(input.codeowners, entries.length),
  ];
  const all = [...shared];
  for (const entry of entries) for (const f of entry.findings) all.push(f);
  const findings = finish(all, input.changedFiles);
  return { findings, snapshot: { entries, peaks: next } };
}

/** The snapshot of a full check. `peaks` comes from the claim budget (claimPeaks). */
export function snapshotOf(
  files: readonly FileResult[],
  parts: CheckParts,
  peaks: Record<string, number> | undefined,
): CheckSnapshot {
  const claimsReported = parts.shared.some((f) => f.code === 'policy/claim-budget');
  return {
    entries: files.map((result, i) => entryOf(result, parts.byFile[i]!)),
    peaks: claimsReported ? undefined : peaks,
  };
}

function entryOf(result: FileResult, findings: Finding[]): SnapshotEntry {
  const keyed: KeyedFile = keyOf(result);
  const entry: SnapshotEntry = { file: result.file, hash: result.hash, at: keyed.at, findings };
  if (keyed.key !== undefined) entry.key = keyed.key;
  return entry;
}

/** The most one flag adds to a claim: its key as a JSON string, and a comma. */
const keyBytes = (key: string): number => new TextEncoder().encode(JSON.stringify(key)).length + 1;
