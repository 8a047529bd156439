import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRepository } from '../../bench/generate-repo.js';
import {
  cacheDirFor,
  cacheKey,
  isJsonSafe,
  readPolicyCache,
  sealed,
  unsealed,
  unsealedAsync,
  writePolicyCache,
} from '../../scripts/adapters/cache.js';
import { cacheWritesSettled } from '../../scripts/adapters/files.js';
import { POLICY_PATH } from '../../scripts/adapters/repo-files.js';
import { loadRepository } from '../../scripts/adapters/repository.js';
import { analyzeFlagFile } from '../../scripts/core/check/analyze-file.js';
import { POLICY_FILE } from '../../scripts/core/check/analyze-policy.js';
import { checkRepository } from '../../scripts/core/check/check-repository.js';
import { defaultPolicy } from '../../scripts/core/model/policy.js';
import { tempDir } from '../helpers/gitdir.js';

/**
 * The result cache may only make checks faster: whatever is in the cache folder (nothing, garbage,
 * a cache of another toolkit build or another policy), a check reports what a cold check reports.
 */

const FINGERPRINT = 'test+0000';
const KEY = Buffer.alloc(32, 3);

describe('sealed cache files', () => {
  it('give back their body under the key and kind they were sealed with, and nothing else', () => {
    const file = Buffer.concat(sealed(KEY, 'check-state', '{"a":1}'));
    expect(unsealed(KEY, 'check-state', file)?.toString()).toBe('{"a":1}');
    expect(unsealed(Buffer.alloc(32, 4), 'check-state', file)).toBeUndefined();
    expect(unsealed(KEY, 'policy', file)).toBeUndefined();
    const edited = Buffer.from(file.toString().replace('"a":1', '"a":2'));
    expect(unsealed(KEY, 'check-state', edited)).toBeUndefined();
    expect(unsealed(KEY, 'check-state', Buffer.from('{"a":1}'))).toBeUndefined();
  });

  it('are checked on libuv threads with the same verdicts', async () => {
    const file = Buffer.concat(sealed(KEY, 'bundle-fragments', [Buffer.from('members')]));
    expect((await unsealedAsync(KEY, 'bundle-fragments', file))?.toString()).toBe('members');
    expect(await unsealedAsync(Buffer.alloc(32, 4), 'bundle-fragments', file)).toBeUndefined();
  });
});

describe('the cache key and folder', () => {
  it('makes a private key outside the repository once, and keeps the caches out of the repository', () => {
    const xdg = tempDir();
    const repo = tempDir();
    const env = { XDG_CACHE_HOME: xdg };
    const key = cacheKey(repo, env)!;
    expect(key.byteLength).toBe(32);
    const path = join(xdg, 'flags-as-code', 'mac-key');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path).equals(key)).toBe(true);
    expect(cacheDirFor(repo, env).startsWith(join(xdg, 'flags-as-code'))).toBe(true);
    expect(cacheDirFor(repo, { ...env, FLAGS_CACHE_DIR: join(repo, 'c') })).toBe(join(repo, 'c'));
  });

  it('turns the caches off when the key would live inside the repository or others can read it', () => {
    const repo = tempDir();
    expect(cacheKey(repo, { XDG_CACHE_HOME: join(repo, '.cache') })).toBeUndefined();
    const xdg = tempDir();
    mkdirSync(join(xdg, 'flags-as-code'));
    writeFileSync(join(xdg, 'flags-as-code', 'mac-key'), Buffer.alloc(32, 9), { mode: 0o644 });
    chmodSync(join(xdg, 'flags-as-code', 'mac-key'), 0o644);
    expect(cacheKey(tempDir(), { XDG_CACHE_HOME: xdg })).toBeUndefined();
  });

  it('keys the analysed policy by its bytes and the fingerprint', async () => {
    const dir = tempDir();
    const analysis = {
      policy: defaultPolicy(),
      findings: [],
      at: { 'limits.maxClaimBytes': { line: 4, col: 18 } },
    };
    writePolicyCache(dir, KEY, FINGERPRINT, 'bytes-1', analysis);
    await cacheWritesSettled();
    expect(readPolicyCache(dir, KEY, FINGERPRINT, 'bytes-1')).toEqual(analysis);
    expect(readPolicyCache(dir, KEY, FINGERPRINT, 'bytes-2')).toBeUndefined();
    expect(readPolicyCache(dir, KEY, 'test+1111', 'bytes-1')).toBeUndefined();
    expect(readPolicyCache(dir, Buffer.alloc(32, 4), FINGERPRINT, 'bytes-1')).toBeUndefined();
    writeFileSync(join(dir, 'policy.json'), '{"format":');
    expect(readPolicyCache(dir, KEY, FINGERPRINT, 'bytes-1')).toBeUndefined();
  });

  it('reads the policy from the path the policy analysis names', () => {
    expect(POLICY_PATH).toBe(POLICY_FILE);
  });

  it('never caches a result that JSON would not give back equal', () => {
    expect(isJsonSafe({ variants: { big: Infinity } })).toBe(false);
    expect(isJsonSafe({ a: [1, 'x', null, { b: true }] })).toBe(true);
    expect(isJsonSafe({ zero: -0 })).toBe(false);
  });
});

describe('loadRepository with a cache folder', () => {
  let repo: string;
  let cacheDir: string;
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'flags-cache-'));
    cacheDir = join(repo, '..', `${repo.split('/').at(-1)}-cache`);
    generateRepository(repo, { flags: 120, seed: 3, dueShare: 0.2 });
  });
  afterAll(() => {
    rmSync(repo, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('finds what it finds without one, and what analysing each file on its own gives', async () => {
    const cold = await loadRepository(repo, { cacheDir: false });
    await loadRepository(repo, { cacheDir });
    const warm = await loadRepository(repo, { cacheDir });
    expect(warm.files).toEqual(cold.files);
    expect(warm.policy).toEqual(cold.policy);
    const today = '2026-11-24';
    expect(checkRepository({ ...warm, today })).toEqual(checkRepository({ ...cold, today }));
    const direct = warm.files.map((r) =>
      analyzeFlagFile(r.file, r.hash, readFileSync(join(repo, r.file)), warm.policy),
    );
    expect(warm.files).toEqual(direct);
  });
});
