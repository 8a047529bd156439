import type { BundleFlag, ClaimChangeRange, ClaimDelta } from '../../runtime/bundle-format.js';
import { Evaluator } from '../../runtime/evaluate.js';
import { compileFlag } from '../bundle/compile.js';
import { analyzeFlagFile } from '../check/analyze-file.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';

/**
 * How organizations' `feature_flags` claims differ between two versions of the flags, from the
 * flags that changed alone: a flag whose file did not change gives every organization the same
 * answer on both sides, so only the changed ones are compiled (never a second full compile).
 *
 * A change to what a flag gives organizations without a grant (switched on or off, its default,
 * its rollout) reaches organizations no file names: the flag is listed under `everyone`. The
 * granted organizations are compared one by one, with the Evaluator, at one instant for both sides.
 */

/** One flag key whose file changed: its version before and after (absent where it did not exist). */
export interface ChangedFlag {
  key: string;
  before?: Flag;
  after?: Flag;
}

/** A flag file that changed: its bytes before and after (absent where it did not exist). */
export interface ChangedFile {
  path: string;
  before?: Uint8Array;
  after?: Uint8Array;
}

/** The changed files' flags by key, each side parsed as `flags check` parses it. */
export function parseChangedFiles(
  files: readonly ChangedFile[],
  policy: Policy,
): { flags: ChangedFlag[]; broken: { path: string; side: 'before' | 'after' }[] } {
  const byKey = new Map<string, ChangedFlag>();
  const broken: { path: string; side: 'before' | 'after' }[] = [];
  for (const { path, before, after } of files) {
    for (const [side, bytes] of [
      ['before', before],
      ['after', after],
    ] as const) {
      if (bytes === undefined) continue;
      const flag = analyzeFlagFile(path, '', bytes, policy).flag;
      if (!flag) {
        broken.push({ path, side });
        continue;
      }
      let entry = byKey.get(flag.key);
      if (!entry) {
        entry = { key: flag.key };
        byKey.set(flag.key, entry);
      }
      entry[side] = flag;
    }
  }
  return { flags: [...byKey.values()], broken };
}

/** As parseChangedFiles; a version that yields no flag (broken then or now) leaves the claims unknowable: 'everyone'. */
export function changedFlagsOf(files: readonly ChangedFile[], policy: Policy): ChangedFlag[] | 'everyone' {
  const { flags, broken } = parseChangedFiles(files, policy);
  return broken.length > 0 ? 'everyone' : flags;
}

export interface ClaimsDiff {
  /** Organization → keys gained and lost; only organizations whose claim changed. */
  organizations: Map<string, ClaimDelta>;
  /** Keys whose change reaches organizations without a grant (sorted). */
  everyone: string[];
}

/** What a boolean flag gives an organization without a grant, as a comparable description. */
function baseline(flag: BundleFlag | undefined): string {
  if (flag?.valueType !== 'boolean') return 'none';
  if (!flag.enabled) return flag.variants[flag.offVariant] === true ? 'all' : 'none';
  const fallback = flag.variants[flag.defaultVariant] === true;
  const rollout = flag.rollout;
  const share =
    rollout && rollout.percentage > 0 && (flag.variants[rollout.variant] === true) !== fallback
      ? rollout.percentage
      : 0;
  return share === 0 ? (fallback ? 'all' : 'none') : `${fallback ? 'all' : 'none'} but ${share}%`;
}

const soleFlag = (key: string, flag: BundleFlag | undefined, environment: string, at: number) =>
  new Evaluator(
    { format: 'flags-bundle/v2', project: '', environment, flags: flag ? { [key]: flag } : {} },
    { now: () => at },
  );

/** The claims diff of one environment at instant `at` (epoch ms). */
export function diffClaims(changed: readonly ChangedFlag[], environment: string, at: number): ClaimsDiff {
  const organizations = new Map<string, ClaimDelta>();
  const everyone: string[] = [];
  const deltaOf = (organization: string): ClaimDelta => {
    let delta = organizations.get(organization);
    if (!delta) {
      delta = { added: [], removed: [] };
      organizations.set(organization, delta);
    }
    return delta;
  };
  for (const { key, before, after } of [...changed].sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  )) {
    // An archived version is served nowhere: for claims it is as good as deleted.
    const old = before && before.archived !== true ? compileFlag(before, environment) : undefined;
    const now = after && after.archived !== true ? compileFlag(after, environment) : undefined;
    if (baseline(old) !== baseline(now)) everyone.push(key);
    const oldEvaluator = soleFlag(key, old, environment, at);
    const newEvaluator = soleFlag(key, now, environment, at);
    const granted = new Set([...Object.keys(old?.grants ?? {}), ...Object.keys(now?.grants ?? {})]);
    for (const organization of granted) {
      const was = oldEvaluator.isEnabled(key, organization);
      const is = newEvaluator.isEnabled(key, organization);
      if (was === is) continue;
      (is ? deltaOf(organization).added : deltaOf(organization).removed).push(key);
    }
  }
  return { organizations: sortedMap(organizations), everyone };
}

const sortedMap = <T>(map: Map<string, T>): Map<string, T> =>
  new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** Bounds of one range of a bundle's claimChanges: beyond them it says everyone. */
export const MAX_RANGE_ORGANIZATIONS = 1000;
export const MAX_RANGE_KEYS = 10_000;

/** A range of a bundle's claimChanges from a diff: everyone when it names a flag for everyone or is too big. */
export function claimChangeRange(from: number, to: number, diff: ClaimsDiff | 'everyone'): ClaimChangeRange {
  if (diff === 'everyone' || diff.everyone.length > 0 || diff.organizations.size > MAX_RANGE_ORGANIZATIONS)
    return { everyone: true, from, to };
  let keys = 0;
  const organizations: Record<string, ClaimDelta> = {};
  for (const [organization, delta] of diff.organizations) {
    keys += delta.added.length + delta.removed.length;
    // An id such as "__proto__" must become a key, not a prototype.
    Object.defineProperty(organizations, organization, {
      value: delta,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (keys > MAX_RANGE_KEYS) return { everyone: true, from, to };
  return { from, organizations, to };
}
