import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContentCache, StagedWrites } from '../../scripts/adapters/bundle-files.js';
import { sealed } from '../../scripts/adapters/cache.js';
import { buildContents, type MemberTable } from '../../scripts/core/bundle/content.js';
import { defaultPolicy } from '../../scripts/core/model/policy.js';
import { EXAMPLE_ROOT, gitdir, tempDir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';
import { sampleFlags } from '../runtime/support.js';

const NOW = '2026-11-24T12:00:00Z';
const KEY = Buffer.alloc(32, 1);
const policy = { ...defaultPolicy(), project: 'acme-platform' };
const environments = ['staging', 'production'];
const flags = [
  ...sampleFlags(0),
  // keys no schema allows, to cover the general case of the file format
  { flag: { ...sampleFlags(0)[0]!.flag, key: 'ключ "quoted"' } },
].map((f) => ({ hash: `h-${f.flag.key}`, flag: f.flag }));

const plain = (table: MemberTable | undefined) =>
  table && {
    keys: [...table.keys],
    hashes: [...table.hashes],
    regions: [...table.regions].map(([name, r]) => [name, Buffer.from(r.bytes).toString(), [...r.ends]]),
  };

async function savedCache(): Promise<{ dir: string; table: MemberTable }> {
  const dir = tempDir('flags-content-cache-');
  const { table } = buildContents(flags, policy, environments);
  const cache = ContentCache.open(dir, KEY, policy);
  expect(cache.previous).toBeUndefined();
  cache.save(table);
  await cache.settled();
  return { dir, table };
}

describe('the content cache', () => {
  it('gives back the members it saved, for the same toolkit and policy only', async () => {
    const { dir, table } = await savedCache();
    expect(plain(ContentCache.open(dir, KEY, policy).previous)).toEqual(plain(table));
    expect(ContentCache.open(dir, KEY, { ...policy, project: 'other' }).previous).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['bundle-fragments.txt']);
    expect(ContentCache.open(dir, Buffer.alloc(32, 2), policy).previous).toBeUndefined();
  });

  it('ignores a file that is truncated, extended or foreign', async () => {
    const { dir } = await savedCache();
    const path = join(dir, 'bundle-fragments.txt');
    const good = readFileSync(path);
    const text = good.toString('latin1');
    const damaged = [
      good.subarray(0, good.byteLength - 1),
      Buffer.concat([good, Buffer.from('x')]),
      Buffer.from(text.replace('flags-bundle-fragments/2', 'flags-bundle-fragments/1'), 'latin1'),
      // a key column one short
      Buffer.from(text.replace('["api-limits",', '['), 'latin1'),
      Buffer.from('not a cache'),
      Buffer.alloc(0),
      // sound, but without its seal, or sealed with another key
      good.subarray(good.indexOf(0x0a) + 1),
      Buffer.concat(sealed(Buffer.alloc(32, 2), 'bundle-fragments', [good.subarray(good.indexOf(0x0a) + 1)])),
    ];
    for (const [n, bytes] of damaged.entries()) {
      writeFileSync(path, bytes);
      expect(ContentCache.open(dir, KEY, policy).previous, `damage ${n}`).toBeUndefined();
    }
    writeFileSync(path, good);
    expect(ContentCache.open(dir, KEY, policy).previous).toBeDefined();
  });

  it('copies no member from a file whose members do not line up with its rows', async () => {
    const { dir } = await savedCache();
    const path = join(dir, 'bundle-fragments.txt');
    const text = readFileSync(path).toString('latin1');
    const expected = buildContents(flags, policy, environments).contents.map((c) => Buffer.from(c.bytes));
    const damaged = [
      // sizes intact, but a member that is not its row's flag
      text.replace(/"sso":/, '"xyz":'),
      // one member a byte longer and the next a byte shorter
      text.replace(/\n\[(\d+),/, (_, end: string) => `\n[${Number(end) + 1},`),
    ];
    for (const [n, damage] of damaged.entries()) {
      // Damaged and sealed again with the right key: only the checks of the members are left.
      const body = damage.slice(damage.indexOf('\n') + 1);
      writeFileSync(path, Buffer.concat(sealed(KEY, 'bundle-fragments', [Buffer.from(body, 'latin1')])));
      const previous = ContentCache.open(dir, KEY, policy).previous;
      expect(previous, `damage ${n}`).toBeDefined();
      // new-checkout changed: api-limits before it and sso… after it are copied, each run checked
      const changed = flags.map((f) => (f.flag.key === 'new-checkout' ? { ...f, hash: 'changed' } : f));
      const rebuilt = buildContents(changed, policy, environments, previous);
      expect(rebuilt.unchanged).toBe(false);
      for (const [e, content] of rebuilt.contents.entries())
        expect(Buffer.from(content.bytes).equals(expected[e]!), `damage ${n}, environment ${e}`).toBe(true);
    }
  });

  it('builds without a cache where the cache cannot be written', async () => {
    const dir = tempDir('flags-content-cache-');
    writeFileSync(join(dir, 'file'), '');
    const cache = ContentCache.open(join(dir, 'file', 'cache'), KEY, policy);
    cache.save(buildContents(flags, policy, environments).table);
    await cache.settled();
    expect(readdirSync(dir)).toEqual(['file']);
  });
});

describe('staged writes', () => {
  it('put every file in place on commit, and nothing else', async () => {
    const dir = tempDir('flags-staged-');
    writeFileSync(join(dir, 'a.json'), 'old');
    const writes = new StagedWrites();
    writes.stage(join(dir, 'a.json'), new TextEncoder().encode('new a'));
    writes.stage(join(dir, 'sub', 'b.json'), [Buffer.from('new '), Buffer.from('b')]);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('old');
    await writes.commit();
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('new a');
    expect(readFileSync(join(dir, 'sub', 'b.json'), 'utf8')).toBe('new b');
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'sub']);
  });

  it('leave the old files and no temporary file when aborted or when a write fails', async () => {
    const dir = tempDir('flags-staged-');
    writeFileSync(join(dir, 'a.json'), 'old');
    const aborted = new StagedWrites();
    aborted.stage(join(dir, 'a.json'), Buffer.from('new'));
    await aborted.abort();
    expect(readdirSync(dir)).toEqual(['a.json']);
    expect(readFileSync(join(dir, 'a.json'), 'utf8')).toBe('old');

    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'x'), '');
    const failing = new StagedWrites();
    failing.stage(join(dir, 'a.json'), Buffer.from('new'));
    failing.stage(join(dir, 'taken'), Buffer.from('a folder cannot be replaced by a file'));
    await expect(failing.commit()).rejects.toThrow();
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'taken']);
  });
});

describe('flags build with its caches', () => {
  it('gives the same bytes from the cache as without it, after a flag changed, was added or removed', async () => {
    const repo = await gitdir({ example: true });
    repo.write('.gitignore', 'dist/\n.cache/\n');
    await repo.commit('flags');
    const caches = join(tempDir('flags-caches-'), 'cache');
    const build = async (...extra: string[]) => {
      const result = await runCli(['build', '--now', NOW, ...extra], {
        cwd: repo.dir,
        env: { FLAGS_CACHE_DIR: caches, XDG_CACHE_HOME: join(caches, '..') },
      });
      expect(result.code, result.stderr).toBe(0);
    };
    const bundles = (out: string) =>
      ['development', 'staging', 'production'].map((e) =>
        readFileSync(join(repo.dir, out, `${e}.bundle.json`)),
      );
    await build();
    const cache = join(caches, 'bundle-fragments.txt');
    expect(existsSync(cache)).toBe(true);
    const file = 'flags/new-checkout-flow.yaml';
    repo.write(
      file,
      readFileSync(join(EXAMPLE_ROOT, file), 'utf8').replace('percentage: 25', 'percentage: 30'),
    );
    repo.write(
      'flags/zz-added.yaml',
      readFileSync(join(EXAMPLE_ROOT, file), 'utf8')
        .replace(/^key: .*$/m, 'key: zz-added')
        .replace(/^owner: .*$/m, "owner: '@acme/platform'"),
    );
    repo.remove('flags/graphql-gateway.yaml');
    await repo.commit('change, add, remove');
    await build();
    await build('--no-cache', '--out', 'fresh');
    const cached = bundles('dist');
    const fresh = bundles('fresh');
    for (const [n, bytes] of cached.entries()) expect(bytes.equals(fresh[n]!), `bundle ${n}`).toBe(true);
    const content = JSON.parse(Buffer.from(JSON.parse(cached[2]!.toString()).content, 'base64').toString());
    expect(content.flags['new-checkout-flow'].rollout.percentage).toBe(30);
    expect(content.flags['graphql-gateway']).toBeUndefined();
    expect(content.flags['zz-added']).toBeDefined();
  });
});

describe('the git facts of a build', () => {
  it('refuses a folder that is not a git repository, and a repository without a commit', async () => {
    const dir = tempDir();
    for (const part of ['flags', 'CODEOWNERS']) {
      const result = spawnSync('cp', ['-r', join(EXAMPLE_ROOT, part), join(dir, part)]);
      expect(result.status).toBe(0);
    }
    const outside = await runCli(['build', '--now', NOW], { cwd: dir });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('is not a git repository');
    // Refused before any development key is made for a build that cannot happen.
    expect(outside.stderr).not.toContain('development key');
    expect(existsSync(join(dir, '.cache', 'flags', 'dev-key'))).toBe(false);
    const repo = await gitdir({ example: true });
    const empty = await runCli(['build', '--now', NOW], { cwd: repo.dir });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the repository has no commit to build from');
    expect(existsSync(join(repo.dir, '.cache', 'flags', 'dev-key'))).toBe(false);
  });

  it('refuses a shallow clone unless the serial is given', async () => {
    const repo = await gitdir({ example: true });
    repo.write('.gitignore', 'dist/\n.cache/\n');
    await repo.commit('one');
    await repo.commit('two');
    const clone = join(tempDir(), 'clone');
    const cloned = spawnSync('git', ['clone', '-q', '--depth', '1', `file://${repo.dir}`, clone]);
    expect(cloned.status, cloned.stderr?.toString()).toBe(0);
    const refused = await runCli(['build', '--now', NOW], { cwd: clone });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('the clone is shallow');
    const given = await runCli(['build', '--now', NOW, '--serial', '9', '--env', 'production'], {
      cwd: clone,
    });
    expect(given.code, given.stderr).toBe(0);
    const bundle = JSON.parse(readFileSync(join(clone, 'dist', 'production.bundle.json'), 'utf8'));
    const statement = JSON.parse(Buffer.from(bundle.envelope.payload, 'base64').toString());
    expect(statement).toMatchObject({
      serial: 9,
      source: { commit: (await repo.git.revparse(['HEAD'])).trim(), dirty: false },
    });
  });
});
