import { compareReferences, type UnknownUse } from './find.js';

/**
 * Why a key used in code has no live flag: its flag was removed (and in which commit), is
 * archived, or the key is a typo of a live one (the nearest live key is suggested).
 */

export interface Removal {
  commit: string;
  /** Committer date, ISO 8601. */
  date: string;
  subject: string;
}

export type UnknownReason = 'removed' | 'archived' | 'typo' | 'never-existed' | 'not-published';

export interface UnknownKey extends UnknownUse {
  reason: UnknownReason;
  /** For a removed flag: the commit that deleted its file. */
  removedIn?: Removal;
  /** For a typo: the live key it most likely meant. */
  suggestion?: string;
}

export interface KeyFacts {
  live: readonly string[];
  archived?: ReadonlySet<string>;
  removed?: ReadonlyMap<string, Removal>;
  /** A bundle's view: a key not in it is "not published", and no history is known. */
  published?: boolean;
}

export function classifyUnknown(uses: readonly UnknownUse[], facts: KeyFacts): UnknownKey[] {
  const out: UnknownKey[] = [];
  for (const use of [...uses].sort(compareReferences)) {
    const suggestion = nearestKey(use.key, facts.live);
    const removal = facts.removed?.get(use.key);
    if (facts.archived?.has(use.key)) out.push({ ...use, reason: 'archived' });
    else if (removal) out.push({ ...use, reason: 'removed', removedIn: removal });
    else if (suggestion) out.push({ ...use, reason: 'typo', suggestion });
    else out.push({ ...use, reason: facts.published ? 'not-published' : 'never-existed' });
  }
  return out;
}

/** The live key nearest to `key` by edit distance, if it is near enough to be a slip of the keyboard. */
export function nearestKey(key: string, live: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 4)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of live) {
    if (Math.abs(candidate.length - key.length) >= bestDistance) continue;
    const d = editDistance(key, candidate, bestDistance);
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions, cut off at `max`. */
function editDistance(a: string, b: string, max: number): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin >= max) return max;
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}
