import { daysBetween, type IsoDate } from '../dates.js';

/**
 * A usage export: how often each flag was evaluated per environment, and when last, as a metrics
 * backend reports it (the runtime's counters, summed over a window). Plain data; parse.ts reads it.
 */

export interface UsageRow {
  key: string;
  environment: string;
  /** UTC day of the last evaluation; absent for a row that counts none. */
  lastEvaluated?: IsoDate;
  count: number;
  line: number;
}

export interface UsageExport {
  file: string;
  /** First day the export covers: its `since`, else its earliest day; undefined when it has no day. */
  since?: IsoDate;
  rows: UsageRow[];
}

export interface UsageProblem {
  file: string;
  line: number;
  col: number;
  message: string;
  hint?: string;
}

/** What the export says of one flag. */
export interface FlagUsage {
  key: string;
  /** Its last evaluation in any environment; undefined when the export has none. */
  lastSeen?: IsoDate;
  count: number;
  /** Per environment with a row: last evaluation and count (a Map: names come from the export). */
  environments: Map<string, { lastSeen?: IsoDate; count: number }>;
}

export function usageByKey(usage: UsageExport): Map<string, FlagUsage> {
  const out = new Map<string, FlagUsage>();
  for (const row of usage.rows) {
    let flag = out.get(row.key);
    if (!flag) {
      flag = { key: row.key, count: 0, environments: new Map() };
      out.set(row.key, flag);
    }
    flag.count += row.count;
    let env = flag.environments.get(row.environment);
    if (!env) {
      env = { count: 0 };
      flag.environments.set(row.environment, env);
    }
    env.count += row.count;
    if (row.count > 0 && row.lastEvaluated !== undefined) {
      if (env.lastSeen === undefined || row.lastEvaluated > env.lastSeen) env.lastSeen = row.lastEvaluated;
      if (flag.lastSeen === undefined || row.lastEvaluated > flag.lastSeen) flag.lastSeen = row.lastEvaluated;
    }
  }
  return out;
}

/**
 * The evidence about one flag's evaluations on `today`: last seen and how long ago, or never in the
 * days the export covers. `unused` says whether that makes it unevaluated under the policy's
 * `afterDays`: last seen more than `afterDays` ago, or never in an export that covers at least that many.
 */
export interface UsageEvidence {
  lastSeen?: IsoDate;
  /** Days from lastSeen to today. */
  daysSinceSeen?: number;
  /** Never evaluated: the days the export covers (from `since` to today), when known. */
  neverInDays?: number;
  count: number;
  unused: boolean;
  /** "last seen 2026-10-01 (54 days ago)" or "never evaluated in 60 days". */
  text: string;
}

export function usageEvidence(
  usage: FlagUsage | undefined,
  since: IsoDate | undefined,
  today: IsoDate,
  afterDays: number,
): UsageEvidence {
  const count = usage?.count ?? 0;
  if (usage?.lastSeen !== undefined) {
    const days = Math.max(0, daysBetween(usage.lastSeen, today));
    return {
      lastSeen: usage.lastSeen,
      daysSinceSeen: days,
      count,
      unused: days > afterDays,
      text: `last seen ${usage.lastSeen} (${days === 0 ? 'today' : `${days} day${days === 1 ? '' : 's'} ago`})`,
    };
  }
  if (since === undefined)
    return { count, unused: false, text: 'never evaluated in the usage export (which covers no day)' };
  const days = Math.max(0, daysBetween(since, today));
  return {
    neverInDays: days,
    count,
    unused: days >= afterDays,
    text: `never evaluated in ${days} day${days === 1 ? '' : 's'} (since ${since})`,
  };
}
