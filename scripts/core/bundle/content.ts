import { BUNDLE_CONTENT_FORMAT } from '../../runtime/bundle-format.js';
import { canonicalJson } from '../canonical-json.js';
import type { Flag } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import { compileFlag } from './compile.js';

/**
 * The canonical JSON of an environment's content, assembled from one fragment per flag. RFC 8785
 * is compositional: an object's canonical form is its members' canonical forms in sorted order,
 * so the result is byte for byte `canonicalJson(compileEnvironment(flags, policy, environment))`
 * (a test holds the two together), while a fragment cache lets a rebuild recompile only the flag
 * files that changed.
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

export function contentJson(
  flags: readonly HashedFlag[],
  policy: Policy,
  environment: string,
  cache?: FragmentCache,
): string {
  // Sorted by key, later entries winning for a key declared twice (as in compileEnvironment).
  const byKey = new Map<string, HashedFlag>();
  for (const entry of [...flags].sort((a, b) =>
    a.flag.key < b.flag.key ? -1 : a.flag.key > b.flag.key ? 1 : 0,
  ))
    byKey.set(entry.flag.key, entry);
  const members: string[] = [];
  for (const [key, { hash, flag }] of byKey) {
    let fragment = hash === undefined ? undefined : cache?.get(hash, environment);
    if (fragment === undefined) {
      fragment = canonicalJson(compileFlag(flag, environment));
      if (hash !== undefined) cache?.set(hash, environment, fragment);
    }
    members.push(`${JSON.stringify(key)}:${fragment}`);
  }
  return `{"environment":${JSON.stringify(environment)},"flags":{${members.join(',')}},"format":${JSON.stringify(BUNDLE_CONTENT_FORMAT)},"project":${JSON.stringify(policy.project)}}`;
}
