import { BUNDLE_CONTENT_FORMAT, type ClaimChangeRange } from '../../runtime/bundle-format.js';
import { canonicalJson } from '../canonical-json.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import { isArchived } from '../model/states.js';
import { flagFragments } from './compile.js';

/**
 * The canonical JSON of an environment's content, assembled from one member `"key":{…}` per flag.
 * RFC 8785 is compositional: an object's canonical form is its members' canonical forms in sorted
 * order, so the result is byte for byte `canonicalJson(compileEnvironment(flags, policy, environment))`
 * (a test holds the two together), while the members of a previous build can be reused for every
 * flag file that did not change, so a rebuild compiles only the flags that did.
 */

export interface FragmentCache {
  get(hash: string, environment: string): string | undefined;
  set(hash: string, environment: string, fragment: string): void;
}

export interface HashedFlag {
  /** sha256 of the flag file's bytes: the cache key. */
  hash?: string;
  flag: Flag;
}

/**
 * A flag a build may know only by its key and file hash (an incremental check does not load the
 * flags of unchanged files): enough to copy its member from the previous build's content.
 */
export interface KnownFlag {
  hash: string;
  key: string;
  flag?: Flag;
}

type ContentInput = HashedFlag | KnownFlag;
const keyOfInput = (f: ContentInput): string => (f.flag ? f.flag.key : (f as KnownFlag).key);

/**
 * The flags in content order: sorted by key (UTF-16 code units, as RFC 8785 sorts members), a key
 * declared twice keeping its last declaration (as compileEnvironment does).
 */
export function contentOrder<T extends HashedFlag>(flags: readonly T[]): T[] {
  return ordered(flags).flags;
}

function ordered<T extends ContentInput>(input: readonly T[]): { flags: T[]; keys: string[] } {
  // Archived flags are not served. One known only by key is not in the previous build's content
  // (archived flags never are), so assemble asks for every flag and this sees it loaded.
  const flags = input.some((f) => f.flag && isArchived(f.flag))
    ? input.filter((f) => !(f.flag && isArchived(f.flag)))
    : input;
  // Sorted through an array of keys (the flags' objects come in many shapes: reading `flag.key` in
  // the comparator over and over would cost more than the sort), ties in declaration order, so
  // the last of a key declared twice is the one kept.
  const all = flags.map(keyOfInput);
  const order = all
    .map((_, i) => i)
    .sort((a, b) => {
      const x = all[a]!;
      const y = all[b]!;
      return x < y ? -1 : x > y ? 1 : a - b;
    });
  const out: T[] = [];
  const keys: string[] = [];
  for (let n = 0; n < order.length; n++) {
    const i = order[n]!;
    if (n + 1 < order.length && all[order[n + 1]!] === all[i]) continue;
    out.push(flags[i]!);
    keys.push(all[i]!);
  }
  return { flags: out, keys };
}

/** Per environment, the claimChanges of its content (v2); none: the content has no such member. */
export type ClaimChangesByEnvironment = ReadonlyMap<string, readonly ClaimChangeRange[]>;

/** What precedes the flags' members: `claimChanges` sorts before `environment` and `flags`. */
export const contentPrefix = (environment: string, claimChanges?: readonly ClaimChangeRange[]): string =>
  `{${claimChanges ? `"claimChanges":${canonicalJson(claimChanges)},` : ''}"environment":${JSON.stringify(environment)},"flags":{`;
const contentSuffix = (policy: Policy): string =>
  `},"format":${JSON.stringify(BUNDLE_CONTENT_FORMAT)},"project":${JSON.stringify(policy.project)}}`;

/** The content as a string, with an optional cache of fragments by file hash and environment. */
export function contentJson(
  flags: readonly HashedFlag[],
  policy: Policy,
  environment: string,
  cache?: FragmentCache,
  claimChanges?: readonly ClaimChangeRange[],
): string {
  const members: string[] = [];
  for (const { hash, flag } of contentOrder(flags)) {
    let fragment = hash === undefined ? undefined : cache?.get(hash, environment);
    if (fragment === undefined) {
      fragment = flagFragments(flag, [environment])[0]!;
      if (hash !== undefined) cache?.set(hash, environment, fragment);
    }
    members.push(`${JSON.stringify(flag.key)}:${fragment}`);
  }
  return `${contentPrefix(environment, claimChanges)}${members.join(',')}${contentSuffix(policy)}`;
}

/**
 * The members of a build's contents, per flag and environment: what the next build may reuse.
 * Rows are in content order; a member is reused when its flag has the same key and file hash.
 */
export interface MemberTable {
  keys: readonly string[];
  /** sha256 of each flag's file; '' where unknown (never reused). */
  hashes: readonly string[];
  /** Per environment: the members, joined by commas, and the offset where each one ends. */
  regions: ReadonlyMap<string, MemberRegion>;
}

export interface MemberRegion {
  /** `"key":{…},"key":{…}…`: the UTF-8 bytes between `"flags":{` and `}` of the content. */
  bytes: Uint8Array;
  /** ends[i]: the offset just past member i; member i starts at 0 or ends[i - 1] + 1 (after a comma). */
  ends: Uint32Array;
}

export interface BuiltContent {
  environment: string;
  /** The content: canonical JSON, UTF-8. */
  bytes: Uint8Array;
}

export interface BuiltContents {
  contents: BuiltContent[];
  /** The members of these contents, for the next build. */
  table: MemberTable;
  /** True when the table equals the previous one (every member reused, the same environments). */
  unchanged: boolean;
}

const COMMA = new Uint8Array([0x2c]);

/** Flags [from, to) whose members are copied from previous rows row… (row ≥ 0), or compiled (row -1). */
interface Run {
  from: number;
  to: number;
  row: number;
}

/**
 * The content bytes of several environments of one build. Members of `previous` whose flag has the
 * same key and file hash are copied as bytes, a run of consecutive ones at once; the other flags
 * are compiled once for all environments. Byte for byte what contentJson gives (and so what
 * canonicalJson of the compiled environment gives).
 */
export function buildContents(
  flags: readonly HashedFlag[],
  policy: Policy,
  environments: readonly string[],
  previous?: MemberTable,
  claimChanges?: ClaimChangesByEnvironment,
): BuiltContents {
  return buildKnownContents(flags, policy, environments, previous, claimChanges)!;
}

const MISSING = Symbol('a flag to compile is known only by its key');

/**
 * buildContents for flags some of which are known only by key and hash: undefined when one of
 * those is not in the previous build's content, so it would have to be compiled; the caller then
 * loads every flag and builds again.
 */
export function buildKnownContents(
  flags: readonly ContentInput[],
  policy: Policy,
  environments: readonly string[],
  previous?: MemberTable,
  claimChanges?: ClaimChangesByEnvironment,
): BuiltContents | undefined {
  try {
    return assemble(flags, policy, environments, previous, claimChanges);
  } catch (error) {
    if (error === MISSING) return undefined;
    throw error;
  }
}

function assemble(
  flags: readonly ContentInput[],
  policy: Policy,
  environments: readonly string[],
  previous?: MemberTable,
  claimChanges?: ClaimChangesByEnvironment,
): BuiltContents {
  const { flags: sorted, keys } = ordered(flags);
  const n = sorted.length;
  const hashes = sorted.map((f) => f.hash ?? '');
  // Both lists are in key order: one merge finds the previous row of each flag with the same key
  // and file hash, and the runs of flags whose previous rows follow one another.
  const runs: Run[] = [];
  let matched = 0;
  if (previous) {
    const { keys: before, hashes: beforeHashes } = previous;
    let j = 0;
    let last: Run | undefined;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      while (j < before.length && before[j]! < key) j++;
      const hash = hashes[i]!;
      const row = j < before.length && before[j] === key && hash !== '' && beforeHashes[j] === hash ? j : -1;
      if (row >= 0) matched++;
      if (last && (row < 0 ? last.row < 0 : last.row >= 0 && last.row + (i - last.from) === row))
        last.to = i + 1;
      else {
        last = { from: i, to: i + 1, row };
        runs.push(last);
      }
    }
  }
  const compileAll: Run[] = n === 0 ? [] : [{ from: 0, to: n, row: -1 }];
  const sameRows = previous !== undefined && matched === n && previous.keys.length === n;
  const fragments: (string[] | undefined)[] = new Array(n);

  const regions = new Map<string, MemberRegion>();
  let reusedAll = sameRows;
  const contents = environments.map((environment, e): BuiltContent => {
    let old = previous?.regions.get(environment);
    // Every run to copy must start at a member of its first flag and end where a member ends; a
    // region where one does not (a damaged cache) is not used at all.
    if (old && !runs.every((run) => run.row < 0 || wholeMembers(old!, run, keys[run.from]!))) old = undefined;
    if (!old) reusedAll = false;
    const prefix = Buffer.from(contentPrefix(environment, claimChanges?.get(environment)), 'utf8');
    const pieces: Uint8Array[] = [prefix];
    const ends = new Uint32Array(n);
    let size = 0;
    for (const { from, to, row } of old ? runs : compileAll) {
      if (pieces.length > 1) pieces.push(COMMA);
      const comma = from === 0 ? 0 : 1;
      if (row >= 0) {
        const start = row === 0 ? 0 : old!.ends[row - 1]! + 1;
        const delta = size + comma - start;
        for (let k = 0; k < to - from; k++) ends[from + k] = old!.ends[row + k]! + delta;
        pieces.push(old!.bytes.subarray(start, old!.ends[row + to - from - 1]!));
      } else {
        const members: string[] = [];
        for (let i = from; i < to; i++) {
          const flag = sorted[i]!.flag;
          if (!flag) throw MISSING;
          fragments[i] ??= flagFragments(flag, environments);
          members.push(`${JSON.stringify(keys[i])}:${fragments[i]![e]}`);
        }
        const text = members.join(',');
        const encoded = Buffer.from(text, 'utf8');
        // All ASCII (the usual case) when the bytes are as many as the characters: then each
        // member's length in bytes is its length in characters.
        const ascii = encoded.byteLength === text.length;
        for (let i = from; i < to; i++) {
          const member = members[i - from]!;
          ends[i] = size + (i === 0 ? 0 : 1) + (ascii ? member.length : Buffer.byteLength(member, 'utf8'));
          size = ends[i]!;
        }
        pieces.push(encoded);
      }
      size = ends[to - 1]!;
    }
    const suffix = Buffer.from(contentSuffix(policy), 'utf8');
    pieces.push(suffix);
    const total = prefix.byteLength + size + suffix.byteLength;
    let actual = 0;
    for (const piece of pieces) actual += piece.byteLength;
    // Buffer.concat would silently truncate or zero-fill: a miscounted member must never pass.
    if (actual !== total)
      throw new Error(`content of ${environment}: ${actual} bytes assembled, ${total} counted`);
    const bytes = Buffer.concat(pieces, total);
    regions.set(environment, { bytes: bytes.subarray(prefix.byteLength, prefix.byteLength + size), ends });
    return { environment, bytes };
  });

  // Environments not built this time stay in the table while every row is still the same.
  const unchanged = reusedAll;
  if (sameRows)
    for (const [environment, region] of previous!.regions)
      if (!regions.has(environment)) regions.set(environment, region);
  return { contents, table: { keys, hashes, regions }, unchanged };
}

/** The bytes of previous rows run.row… are whole members, the first one named `key`. */
function wholeMembers(region: MemberRegion, run: Run, key: string): boolean {
  const { bytes, ends } = region;
  const last = run.row + run.to - run.from - 1;
  const start = run.row === 0 ? 0 : ends[run.row - 1]! + 1;
  const stop = ends[last]!;
  if (last >= ends.length || !(start < stop) || stop > bytes.byteLength) return false;
  if (run.row > 0 && bytes[start - 1] !== 0x2c) return false;
  if (last === ends.length - 1 ? stop !== bytes.byteLength : bytes[stop] !== 0x2c) return false;
  const name = Buffer.from(`${JSON.stringify(key)}:`, 'utf8');
  return name.equals(bytes.subarray(start, start + name.byteLength));
}
