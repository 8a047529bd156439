import { type CodeReference, isEvidence } from './find.js';

/** For every flag: how many references each repository holds (evidence only), and which flags have none. */

export interface FlagUsage {
  key: string;
  references: number;
  repositories: { repository: string; references: number }[];
}

export function usageByFlag(
  keys: readonly string[],
  references: readonly CodeReference[],
  self = '.',
): FlagUsage[] {
  const counts = new Map<string, Map<string, number>>();
  for (const ref of references) {
    if (!isEvidence(ref)) continue;
    const perRepo = counts.get(ref.key) ?? new Map<string, number>();
    const repo = ref.repository ?? self;
    perRepo.set(repo, (perRepo.get(repo) ?? 0) + 1);
    counts.set(ref.key, perRepo);
  }
  return [...keys].sort().map((key) => {
    const perRepo = counts.get(key) ?? new Map<string, number>();
    const repositories = [...perRepo.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([repository, n]) => ({ repository, references: n }));
    return { key, references: repositories.reduce((sum, r) => sum + r.references, 0), repositories };
  });
}

export const unreferencedKeys = (usage: readonly FlagUsage[]): string[] =>
  usage.filter((u) => u.references === 0).map((u) => u.key);
