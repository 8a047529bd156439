import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheKey, sealed } from '../../scripts/adapters/cache.js';
import { checkRepositoryAt } from '../../scripts/adapters/checked-repository.js';
import { cacheWritesSettled } from '../../scripts/adapters/files.js';
import { copyExample, tempDir } from '../helpers/gitdir.js';

/**
 * A check after a change may answer from the last check's snapshot, analysing only the files whose
 * bytes changed, but it must report exactly what a check without any cache reports; and whenever
 * the snapshot cannot vouch for a file (another day, policy, CODEOWNERS, or a claim that may now
 * be over budget), it runs the full check.
 */

const TODAY = '2026-11-24';

/** The snapshot's body, after its seal line (cache.ts). */
const bodyOf = (path: string) => {
  const text = readFileSync(path, 'utf8');
  return text.slice(text.indexOf('\n') + 1);
};

function example(): { root: string; cache: string } {
  const root = tempDir();
  copyExample(root);
  return { root, cache: join(root, '.cache', 'flags') };
}

async function cold(root: string, today = TODAY) {
  return (await checkRepositoryAt(root, { cacheDir: false, today })).findings;
}

function edit(root: string, file: string, change: (text: string) => string): void {
  const path = join(root, file);
  writeFileSync(path, change(readFileSync(path, 'utf8')));
}

function withStored(text: string, change: (stored: Record<string, unknown[]>) => void): string {
  const data = JSON.parse(text) as Record<string, unknown[]>;
  change(data);
  return JSON.stringify(data);
}

describe('the incremental check', () => {
  it('answers an unchanged repository from the snapshot, as a cold check would', async () => {
    const { root, cache } = example();
    const first = await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    expect(first.mode).toBe('full');
    const again = await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    expect(again.mode).toBe('incremental');
    expect(again.stats.analysed).toBe(0);
    expect(again.findings).toEqual(await cold(root));
  });

  it('analyses only the changed file, and reports its new findings where a cold check does', async () => {
    const { root, cache } = example();
    await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    edit(root, 'flags/new-checkout-flow.yaml', (t) => t.replace(/^expires: .*$/m, 'expires: 2020-01-01'));
    const warm = await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    expect(warm.mode).toBe('incremental');
    expect(warm.stats.analysed).toBe(1);
    expect(warm.findings.map((f) => f.code)).toContain('lifecycle/expired');
    expect(warm.findings).toEqual(await cold(root));
  });

  it('finds a duplicate key made by one changed file, and forgets it once the file is renamed back', async () => {
    const { root, cache } = example();
    await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    const original = readFileSync(join(root, 'flags/new-checkout-flow.yaml'), 'utf8');
    edit(root, 'flags/new-checkout-flow.yaml', (t) => t.replace(/^key: .*$/m, 'key: search-reindex-batch'));
    const duplicate = await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    expect(duplicate.mode).toBe('incremental');
    expect(duplicate.findings).toEqual(await cold(root));
    expect(duplicate.findings.some((f) => f.code === 'model/duplicate-key')).toBe(true);
    writeFileSync(join(root, 'flags/new-checkout-flow.yaml'), original);
    const back = await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    expect(back.findings).toEqual(await cold(root));
  });

  it('follows files added, removed and renamed', async () => {
    const { root, cache } = example();
    await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    renameSync(join(root, 'flags/new-checkout-flow.yaml'), join(root, 'flags/growth/new-checkout-flow.yaml'));
    rmSync(join(root, 'flags/search-reindex-batch.yaml'));
    writeFileSync(join(root, 'flags/broken.yaml'), 'key: [unclosed\n');
    const warm = await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    expect(warm.mode).toBe('incremental');
    expect(warm.stats.analysed).toBe(2);
    expect(warm.findings).toEqual(await cold(root));
  });

  it('runs in full on another day, with another CODEOWNERS or policy', async () => {
    const { root, cache } = example();
    await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    const later = await checkRepositoryAt(root, { cacheDir: cache, today: '2031-01-01' });
    expect(later.mode).toBe('full');
    expect(later.findings).toEqual(await cold(root, '2031-01-01'));
    expect(later.findings.some((f) => f.code === 'lifecycle/expired')).toBe(true);

    edit(root, 'CODEOWNERS', (t) => `${t}\n/flags/new-checkout-flow.yaml @acme/nobody\n`);
    const owners = await checkRepositoryAt(root, { cacheDir: cache, today: '2031-01-01' });
    expect(owners.mode).toBe('full');
    expect(owners.findings).toEqual(await cold(root, '2031-01-01'));
    expect(owners.findings.some((f) => f.code === 'ownership/owner-mismatch')).toBe(true);

    edit(root, 'flags/_policy.yaml', (t) => t.replace(/maxClaimBytes: \d+/, 'maxClaimBytes: 40'));
    const policy = await checkRepositoryAt(root, { cacheDir: cache, today: '2031-01-01' });
    expect(policy.mode).toBe('full');
    expect(policy.findings).toEqual(await cold(root, '2031-01-01'));
  });

  it('judges the claim budget in full once a change could push a claim over it', async () => {
    const { root, cache } = example();
    const text = readFileSync(join(root, 'flags/_policy.yaml'), 'utf8');
    expect(text).toMatch(/maxClaimBytes: \d+/);
    // A budget just above today's largest claim: any added flag may tip it.
    const full = await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    expect(full.findings.some((f) => f.code === 'policy/claim-budget')).toBe(false);
    await cacheWritesSettled(); // the snapshot is written in the background
    const state = JSON.parse(bodyOf(join(cache, 'check-state.json'))) as {
      peaks: Record<string, number>;
    };
    const peak = Math.max(...Object.values(state.peaks));
    edit(root, 'flags/_policy.yaml', (t) => t.replace(/maxClaimBytes: \d+/, `maxClaimBytes: ${peak}`));
    await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    edit(root, 'flags/new-checkout-flow.yaml', (t) =>
      t.replace(/^description: (.*)$/m, 'description: $1 (edited)'),
    );
    const warm = await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    expect(warm.mode).toBe('full');
    expect(warm.findings).toEqual(await cold(root));
  });

  it('ignores a corrupt, truncated or foreign snapshot', async () => {
    const { root, cache } = example();
    await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    await cacheWritesSettled(); // the snapshot is written in the background
    const path = join(cache, 'check-state.json');
    const good = bodyOf(path);
    const key = cacheKey(root)!;
    for (const bad of [
      good.slice(0, good.length >> 1),
      'not json',
      withStored(good, (s) => {
        s.findings = [
          [0, [{ code: 'made/up', severity: 'error', file: s.files![0], line: 1, col: 1, message: 'x' }]],
        ];
      }),
      withStored(good, (s) => {
        s.findings = [[s.files!.length, []]];
      }),
      withStored(good, (s) => {
        s.at![0] = 0;
      }),
      withStored(good, (s) => {
        s.hashes!.pop();
      }),
      withStored(good, (s) => {
        s.keys![0] = 7;
      }),
      withStored(good, (s) => {
        s.archived = [s.files!.length];
      }),
      withStored(good, (s) => {
        delete s.archived;
      }),
      good.replace(/"format":\d+/, '"format":99'),
      JSON.stringify({ ...JSON.parse(good), peaks: 'none' }),
    ]) {
      // Sealed with the right key: only the snapshot's own checks stand between it and the check.
      writeFileSync(path, Buffer.concat(sealed(key, 'check-state', bad)));
      const run = await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
      await cacheWritesSettled(); // before the next bad snapshot goes over the good one it writes
      expect(run.mode).toBe('full');
      expect(run.findings).toEqual(await cold(root));
    }
  });

  it('never lets a forged snapshot entry stand for different bytes', async () => {
    const { root, cache } = example();
    await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    edit(root, 'flags/new-checkout-flow.yaml', (t) => t.replace(/^owner: .*$/m, 'owner: "@acme/nobody"'));
    // The snapshot still holds the old bytes' hash for this path: the file must be analysed again.
    const warm = await checkRepositoryAt(root, { cacheDir: cache, today: TODAY });
    expect(warm.stats.analysed).toBe(1);
    expect(warm.findings.some((f) => f.code === 'ownership/owner-mismatch')).toBe(true);
    expect(warm.findings).toEqual(await cold(root));
  });
});
