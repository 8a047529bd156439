import type { IsoDate } from '../core/dates.js';
import type { Finding } from '../core/findings/finding.js';
import { lifetimeConfigured, type StaleFlag, staleFindings } from '../core/rules/stale.js';
import type { UsageExport } from '../core/usage/model.js';
import type { History } from './history.js';
import { type LoadOptions, loadRepository } from './repository.js';

/** The day of each file's first commit, from readHistory (author time, UTC). */
export function createdDays(history: History | undefined): Map<string, IsoDate> | undefined {
  if (!history?.available) return undefined;
  const out = new Map<string, IsoDate>();
  for (const [file, changes] of history.files) out.set(file, changes.created.at.slice(0, 10));
  return out;
}

/**
 * The stale findings of `flags check`: nothing to do (and no file loaded, no git run) unless the
 * policy sets type lifetimes or a usage export is given. Lifetimes need each file's first commit,
 * read from git in one pass.
 */
export async function checkStale(
  root: string,
  today: IsoDate,
  usage: UsageExport | undefined,
  options: LoadOptions,
): Promise<Finding[]> {
  const repo = await loadRepository(root, options);
  const lifetimes = lifetimeConfigured(repo.policy);
  if (!lifetimes && !usage) return [];
  const flags: StaleFlag[] = repo.files.flatMap((r) => {
    if (!r.flag) return [];
    const key = r.positions.key;
    return [{ file: r.file, flag: r.flag, at: key ? { line: key[0], col: key[1] } : { line: 1, col: 1 } }];
  });
  const history = lifetimes
    ? await (await import('./history.js')).readHistory(
        root,
        flags.map((f) => f.file),
      )
    : undefined;
  const created = createdDays(history);
  return staleFindings({
    flags,
    policy: repo.policy,
    today,
    ...(created ? { created } : {}),
    ...(usage ? { usage } : {}),
  });
}
