import { cpSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';
import { type CheckReport, fixture, flagYaml, TODAY, withoutProgress } from './check-cli.js';

/**
 * The result cache may only ever make checks faster: a warm run reports exactly what a cold run
 * reports, whatever changed in between (files, policy, CODEOWNERS, today).
 */

/** A repository with findings of many kinds: one subfolder of flags/ per finding-code fixture. */
function mixedRepo(): string {
  const dir = tempDir();
  for (const name of [
    'model-duplicate-key',
    'model-invalid-org-id',
    'lifecycle-grant-expired',
    'lifecycle-review-overdue',
    'ownership-owner-mismatch',
    'schema-unknown-field',
    'yaml-alias',
    'file-wrong-extension',
  ]) {
    cpSync(join(fixture(name), 'flags'), join(dir, 'flags', name), { recursive: true });
  }
  writeFileSync(join(dir, 'CODEOWNERS'), '/flags/ @acme/platform\n');
  return dir;
}

async function check(dir: string, cacheDir: string | false, today = TODAY) {
  const cache = cacheDir === false ? ['--no-cache'] : ['--cache-dir', cacheDir];
  const result = await runCli(['check', '--repo', dir, '--today', today, '--json', ...cache]);
  expect(withoutProgress(result.stderr)).toBe('');
  return { code: result.code, ...(JSON.parse(result.stdout) as CheckReport) };
}

describe('flags check with its caches', () => {
  it('reports on a warm run exactly what a cold run reports', async () => {
    const dir = mixedRepo();
    const cacheDir = join(tempDir(), 'cache');
    const cold = await check(dir, false);
    const first = await check(dir, cacheDir);
    const warm = await check(dir, cacheDir);
    expect(new Set(cold.findings.map((f) => f.code)).size).toBeGreaterThanOrEqual(7);
    expect(first.summary.cached).toBe(0);
    expect(warm.summary.cached).toBe(warm.summary.flags);
    expect(warm.findings).toEqual(cold.findings);
    expect(first.findings).toEqual(cold.findings);
    expect(warm.code).toBe(cold.code);
  });

  it('keeps the cache out of the repository when --cache-dir points elsewhere', async () => {
    const dir = mixedRepo();
    const cacheDir = join(tempDir(), 'cache');
    await check(dir, cacheDir);
    expect(readdirSync(dir).sort()).toEqual(['CODEOWNERS', 'flags']);
    expect(statSync(cacheDir).isDirectory()).toBe(true);
  });

  it('analyses a changed file again and answers the others from the cache', async () => {
    const dir = mixedRepo();
    const cacheDir = join(tempDir(), 'cache');
    const before = await check(dir, cacheDir);
    const changed = 'flags/lifecycle-grant-expired/bulk-export.yaml';
    writeFileSync(join(dir, changed), flagYaml('bulk-export', { lines: ['    default: on'], depth: 2 }));
    const after = await check(dir, cacheDir);
    expect(after.summary.cached).toBe(before.summary.flags - 1);
    expect(after.findings.filter((f) => f.file === changed).map((f) => f.code)).toEqual([
      'yaml/yaml11-boolean',
    ]);
    expect(after.findings).toEqual((await check(dir, false)).findings);
  });

  it('analyses every file again when the policy changes', async () => {
    const dir = tempDir();
    cpSync(fixture('lifecycle-grant-expired'), dir, { recursive: true });
    const cacheDir = join(tempDir(), 'cache');
    const before = await check(dir, cacheDir);
    expect(before.findings.map((f) => f.code)).toEqual(['lifecycle/grant-expired']);
    writeFileSync(
      join(dir, 'flags', '_policy.yaml'),
      '# yaml-language-server: $schema=../schemas/policy.schema.json\norganizations:\n  idPattern: "^org_[a-z]+[0-9]{6}$"\n',
    );
    const after = await check(dir, cacheDir);
    expect(after.summary.cached).toBe(0);
    expect(after.findings.map((f) => `${f.line}:${f.col} ${f.code} ${f.message}`)).toEqual([
      '14:14 model/invalid-org-id organization id "org_initech2210" does not match ^org_[a-z]+[0-9]{6}$',
      '16:18 lifecycle/grant-expired grant to "org_initech2210" in production expired on 2026-10-31',
    ]);
    expect(after.findings).toEqual((await check(dir, false)).findings);
  });

  it('judges cached files against the later --today: a flag that expired in between is reported', async () => {
    const dir = tempDir();
    cpSync(fixture('model-empty-rollout'), dir, { recursive: true });
    const cacheDir = join(tempDir(), 'cache');
    // flags/new-editor.yaml expires on 2027-01-31.
    const before = await check(dir, cacheDir, '2027-01-31');
    expect(before.findings.map((f) => f.code)).toEqual(['model/empty-rollout']);
    const after = await check(dir, cacheDir, '2027-02-01');
    // Another day: the snapshot cannot answer, and the full check analyses every file again.
    expect(after.summary.cached).toBe(0);
    expect(after.findings.map((f) => `${f.line}:${f.col} ${f.severity} ${f.code} ${f.message}`)).toEqual([
      '6:10 error lifecycle/expired flag expired on 2027-01-31 (1 day ago)',
      '12:19 warning model/empty-rollout the rollout in production serves 0% of organizations',
    ]);
    expect(after.code).toBe(1);
  });

  it('applies a changed CODEOWNERS to cached files', async () => {
    const dir = tempDir();
    cpSync(fixture('lifecycle-expired'), dir, { recursive: true });
    const cacheDir = join(tempDir(), 'cache');
    await check(dir, cacheDir);
    writeFileSync(join(dir, 'CODEOWNERS'), '/flags/ @acme/editor\n');
    const after = await check(dir, cacheDir);
    expect(after.summary.cached).toBe(0);
    expect(after.findings.map((f) => f.code)).toEqual(['ownership/owner-mismatch', 'lifecycle/expired']);
  });

  it('finds a duplicate key between a cached file and a new one', async () => {
    const dir = tempDir();
    cpSync(fixture('lifecycle-expired'), dir, { recursive: true });
    const cacheDir = join(tempDir(), 'cache');
    await check(dir, cacheDir);
    mkdirSync(join(dir, 'flags', 'copy'));
    cpSync(join(dir, 'flags', 'new-editor.yaml'), join(dir, 'flags', 'copy', 'new-editor.yaml'));
    const after = await check(dir, cacheDir);
    expect(after.summary.cached).toBe(1);
    expect(after.findings.map((f) => `${f.file} ${f.code}`)).toContain(
      'flags/new-editor.yaml model/duplicate-key',
    );
  });

  it('ignores a corrupt cache and reports what a cold run reports', async () => {
    const dir = mixedRepo();
    const cacheDir = join(tempDir(), 'cache');
    await check(dir, cacheDir);
    for (const entry of readdirSync(cacheDir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) writeFileSync(join(entry.parentPath, entry.name), '{"format":1,"salt":');
    }
    const afterCorruption = await check(dir, cacheDir);
    expect(afterCorruption.findings).toEqual((await check(dir, false)).findings);
  });
});
