import { describe, expect, it } from 'vitest';
import { loadRepository } from '../../scripts/adapters/repository.js';
import { compileEnvironment } from '../../scripts/core/bundle/compile.js';
import { contentJson, type FragmentCache } from '../../scripts/core/bundle/content.js';
import { canonicalJson } from '../../scripts/core/canonical-json.js';
import { defaultPolicy } from '../../scripts/core/model/policy.js';
import { EXAMPLE_ROOT } from '../helpers/gitdir.js';
import { sampleFlags } from '../runtime/support.js';

const memoryCache = (): FragmentCache & { map: Map<string, string> } => {
  const map = new Map<string, string>();
  return {
    map,
    get: (hash, environment) => map.get(`${hash}:${environment}`),
    set: (hash, environment, fragment) => void map.set(`${hash}:${environment}`, fragment),
  };
};

describe('content assembled from per-flag fragments', () => {
  it('is byte for byte the canonical JSON of the compiled environment, for the example repository', async () => {
    const repo = await loadRepository(EXAMPLE_ROOT, { cacheDir: false, threads: 1 });
    const flags = repo.files.flatMap((r) => (r.flag ? [{ hash: r.hash, flag: r.flag }] : []));
    const cache = memoryCache();
    for (const environment of repo.policy.environments) {
      const expected = canonicalJson(compileEnvironment(flags, repo.policy, environment));
      expect(contentJson(flags, repo.policy, environment)).toBe(expected);
      expect(contentJson(flags, repo.policy, environment, cache)).toBe(expected);
      // second time from the cache alone
      expect(contentJson(flags, repo.policy, environment, cache)).toBe(expected);
    }
    expect(cache.map.size).toBe(flags.length * repo.policy.environments.length);
  });

  it('matches for variant flags, object values and a key declared twice', () => {
    const policy = { ...defaultPolicy(), project: 'acme-platform' };
    const flags = [...sampleFlags(0), ...sampleFlags(1)].map((f, i) => ({ hash: `h${i}`, flag: f.flag }));
    for (const environment of ['staging', 'production'])
      expect(contentJson(flags, policy, environment, memoryCache())).toBe(
        canonicalJson(compileEnvironment(flags, policy, environment)),
      );
  });

  it('recompiles a changed flag: a new hash misses the cache', () => {
    const policy = { ...defaultPolicy(), project: 'acme-platform' };
    const cache = memoryCache();
    const flags = sampleFlags(0).map((f, i) => ({ hash: `h${i}`, flag: f.flag }));
    contentJson(flags, policy, 'production', cache);
    const changed = sampleFlags(1).map((f, i) => ({ hash: i === 2 ? 'changed' : `h${i}`, flag: f.flag }));
    expect(contentJson(changed, policy, 'production', cache)).toBe(
      canonicalJson(compileEnvironment(changed, policy, 'production')),
    );
  });
});
