import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRepository } from '../../bench/generate-repo.js';
import { isJsonSafe, ResultCache, readPolicyCache, writePolicyCache } from '../../scripts/adapters/cache.js';
import { POLICY_PATH } from '../../scripts/adapters/repo-files.js';
import { loadRepository } from '../../scripts/adapters/repository.js';
import { analyzeFlagFile } from '../../scripts/core/check/analyze-file.js';
import { POLICY_FILE } from '../../scripts/core/check/analyze-policy.js';
import { checkRepository } from '../../scripts/core/check/check-repository.js';
import type { FileResult } from '../../scripts/core/check/file-result.js';
import { defaultPolicy } from '../../scripts/core/model/policy.js';
import { tempDir } from '../helpers/gitdir.js';

/**
 * The result cache may only make checks faster: whatever is in the cache folder (nothing, garbage,
 * a cache of another toolkit build or another policy), a check reports what a cold check reports.
 */

const FINGERPRINT = 'test+0000';
const POLICY_HASH = 'policy-a';

const result = (file: string, hash: string, extra: Partial<FileResult> = {}): FileResult => ({
  file,
  hash,
  findings: [],
  positions: { '': [2, 1] },
  ...extra,
});

function filled(dir: string): void {
  const cache = ResultCache.open(dir, FINGERPRINT, POLICY_HASH);
  cache.set(result('flags/a.yaml', 'h1'));
  cache.set(result('flags/b.yaml', 'h2'));
  cache.save();
}

describe('the result cache', () => {
  it('answers a path whose content hash it holds, and nothing else', () => {
    const dir = tempDir();
    filled(dir);
    const cache = ResultCache.open(dir, FINGERPRINT, POLICY_HASH);
    expect(cache.get('flags/a.yaml', 'h1')).toEqual(result('flags/a.yaml', 'h1'));
    expect(cache.get('flags/a.yaml', 'changed')).toBeUndefined();
    expect(cache.get('flags/moved.yaml', 'h1')).toBeUndefined();
  });

  it('ignores a cache written by another toolkit fingerprint', () => {
    const dir = tempDir();
    filled(dir);
    expect(ResultCache.open(dir, 'test+1111', POLICY_HASH).get('flags/a.yaml', 'h1')).toBeUndefined();
  });

  it('ignores a cache written under another policy', () => {
    const dir = tempDir();
    filled(dir);
    expect(ResultCache.open(dir, FINGERPRINT, 'policy-b').get('flags/a.yaml', 'h1')).toBeUndefined();
  });

  it('ignores a corrupt cache file and replaces it on the next save', () => {
    const dir = tempDir();
    filled(dir);
    const path = join(dir, 'check-results.jsonl');
    writeFileSync(path, Buffer.from([0x7b, 0xff, 0x00, 0x22, 0x0a, 0x5b]));
    const cache = ResultCache.open(dir, FINGERPRINT, POLICY_HASH);
    expect(cache.get('flags/a.yaml', 'h1')).toBeUndefined();
    cache.set(result('flags/a.yaml', 'h1'));
    cache.save();
    expect(ResultCache.open(dir, FINGERPRINT, POLICY_HASH).get('flags/a.yaml', 'h1')).toBeDefined();
  });

  it('keeps the sound entries of a log whose last append was torn', () => {
    const dir = tempDir();
    filled(dir);
    const path = join(dir, 'check-results.jsonl');
    appendFileSync(path, '{"s":"x","r":{"file":"flags/c.yaml","ha');
    const cache = ResultCache.open(dir, FINGERPRINT, POLICY_HASH);
    expect(cache.get('flags/a.yaml', 'h1')).toBeDefined();
    expect(cache.get('flags/b.yaml', 'h2')).toBeDefined();
  });

  it('ignores a line appended under another salt, whatever result it claims', () => {
    const dir = tempDir();
    filled(dir);
    const path = join(dir, 'check-results.jsonl');
    const forged = { s: 'another-salt', r: result('flags/c.yaml', 'h3') };
    appendFileSync(path, `${JSON.stringify(forged)}\n`);
    const cache = ResultCache.open(dir, FINGERPRINT, POLICY_HASH);
    expect(cache.get('flags/c.yaml', 'h3')).toBeUndefined();
    expect(cache.get('flags/a.yaml', 'h1')).toBeDefined();
  });

  it('ignores entries that are not results', () => {
    const dir = tempDir();
    filled(dir);
    const path = join(dir, 'check-results.jsonl');
    const [header, first] = readFileSync(path, 'utf8').split('\n');
    const salt = (JSON.parse(first!) as { s: string }).s;
    const broken = { s: salt, r: { file: 'flags/c.yaml', hash: 'h3', findings: 'none', positions: {} } };
    writeFileSync(path, `${header}\n${JSON.stringify(broken)}\n`);
    expect(ResultCache.open(dir, FINGERPRINT, POLICY_HASH).get('flags/c.yaml', 'h3')).toBeUndefined();
  });

  it('appends new entries and drops the ones no run uses any more when compacting', () => {
    const dir = tempDir();
    filled(dir);
    const path = join(dir, 'check-results.jsonl');
    const second = ResultCache.open(dir, FINGERPRINT, POLICY_HASH);
    second.get('flags/a.yaml', 'h1');
    second.set(result('flags/b.yaml', 'h2-new'));
    second.save();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(4);
    // After enough dead entries the file is rewritten with only what the last run used.
    const third = ResultCache.open(dir, FINGERPRINT, POLICY_HASH);
    third.get('flags/a.yaml', 'h1');
    for (let i = 0; i < 100; i++) third.set(result(`flags/n${i}.yaml`, `x${i}`));
    third.save();
    const fourth = ResultCache.open(dir, FINGERPRINT, POLICY_HASH);
    fourth.get('flags/a.yaml', 'h1');
    fourth.get('flags/n0.yaml', 'x0');
    fourth.save();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(ResultCache.open(dir, FINGERPRINT, POLICY_HASH).get('flags/b.yaml', 'h2-new')).toBeUndefined();
  });

  it('never caches a result that JSON would not give back equal', () => {
    const dir = tempDir();
    const cache = ResultCache.open(dir, FINGERPRINT, POLICY_HASH);
    const odd = result('flags/odd.yaml', 'h', {
      flag: { variants: { big: Infinity } } as unknown as FileResult['flag'],
    });
    expect(isJsonSafe(odd)).toBe(false);
    expect(isJsonSafe({ a: [1, 'x', null, { b: true }] })).toBe(true);
    expect(isJsonSafe({ zero: -0 })).toBe(false);
    cache.set(odd);
    cache.save();
    expect(ResultCache.open(dir, FINGERPRINT, POLICY_HASH).get('flags/odd.yaml', 'h')).toBeUndefined();
  });

  it('keys the analysed policy by its bytes and the fingerprint', () => {
    const dir = tempDir();
    const analysis = {
      policy: defaultPolicy(),
      findings: [],
      at: { 'limits.maxClaimBytes': { line: 4, col: 18 } },
    };
    writePolicyCache(dir, FINGERPRINT, 'bytes-1', analysis);
    expect(readPolicyCache(dir, FINGERPRINT, 'bytes-1')).toEqual(analysis);
    expect(readPolicyCache(dir, FINGERPRINT, 'bytes-2')).toBeUndefined();
    expect(readPolicyCache(dir, 'test+1111', 'bytes-1')).toBeUndefined();
    writeFileSync(join(dir, 'policy.json'), '{"format":');
    expect(readPolicyCache(dir, FINGERPRINT, 'bytes-1')).toBeUndefined();
  });

  it('reads the policy from the path the policy analysis names', () => {
    expect(POLICY_PATH).toBe(POLICY_FILE);
  });
});

describe('loadRepository with a cache', () => {
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

  const findings = (loaded: Awaited<ReturnType<typeof loadRepository>>) =>
    checkRepository({ ...loaded, today: '2026-11-24' });

  it('answers a warm run from the cache with exactly what a cold run finds', async () => {
    const cold = await loadRepository(repo, { cacheDir: false });
    const first = await loadRepository(repo, { cacheDir });
    const warm = await loadRepository(repo, { cacheDir });
    expect(first.stats.cached).toBe(0);
    expect(warm.stats).toEqual({ files: 120, cached: 120, analysed: 0 });
    expect(warm.files).toEqual(cold.files);
    expect(warm.policy).toEqual(cold.policy);
    expect(findings(warm)).toEqual(findings(cold));
    expect(findings(cold).length).toBeGreaterThan(10);
  });

  it('analyses only the changed file, and reports what a cold run reports', async () => {
    await loadRepository(repo, { cacheDir });
    const target = (await loadRepository(repo, { cacheDir: false })).files[5]!;
    const path = join(repo, target.file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^owner: .*$/m, 'owner: nobody'));
    const warm = await loadRepository(repo, { cacheDir });
    const cold = await loadRepository(repo, { cacheDir: false });
    expect(warm.stats).toEqual({ files: 120, cached: 119, analysed: 1 });
    expect(findings(warm)).toEqual(findings(cold));
    expect(findings(warm).some((f) => f.file === target.file && f.code.startsWith('schema/'))).toBe(true);
  });

  it('analyses every file again when the policy changes', async () => {
    await loadRepository(repo, { cacheDir });
    const policyPath = join(repo, POLICY_FILE);
    const policy = readFileSync(policyPath, 'utf8');
    writeFileSync(policyPath, policy.replace('reviewEveryDays: 180', 'reviewEveryDays: 30'));
    try {
      const warm = await loadRepository(repo, { cacheDir });
      expect(warm.stats.cached).toBe(0);
      expect(findings(warm)).toEqual(findings(await loadRepository(repo, { cacheDir: false })));
    } finally {
      writeFileSync(policyPath, policy);
    }
  });

  it('gives the same results as analysing each file on its own', async () => {
    const loaded = await loadRepository(repo, { cacheDir });
    const direct = loaded.files.map((r) =>
      analyzeFlagFile(r.file, r.hash, readFileSync(join(repo, r.file)), loaded.policy),
    );
    expect(loaded.files).toEqual(direct);
  });
});
