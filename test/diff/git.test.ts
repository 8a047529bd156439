import { describe, expect, it } from 'vitest';
import {
  changedFilesSince,
  gitAt,
  rawChanges,
  readAt,
  readBlob,
  resolveRef,
  untrackedPaths,
} from '../../scripts/adapters/git.js';
import { UsageError } from '../../scripts/errors.js';
import { gitdir } from '../helpers/gitdir.js';

describe('the git adapter', () => {
  it('rejects an unknown ref as a usage error instead of returning an empty commit', async () => {
    const repo = await gitdir();
    repo.write('a.txt', 'a\n');
    await repo.commit('first');
    await expect(resolveRef(repo.git, 'no-such-ref')).rejects.toBeInstanceOf(UsageError);
    await expect(resolveRef(repo.git, '--all')).rejects.toThrow('unknown git ref "--all"');
    expect(await resolveRef(repo.git, 'HEAD')).toMatch(/^[0-9a-f]{40}$/);
  });

  it('reads bytes that are not UTF-8 as they are', async () => {
    const repo = await gitdir();
    repo.write('flags/x.yaml', new Uint8Array([0x6b, 0xff, 0x0a]));
    const commit = await repo.commit('binary');
    expect(await readAt(repo.git, commit, 'flags/x.yaml')).toEqual(new Uint8Array([0x6b, 0xff, 0x0a]));
    expect(await readAt(repo.git, commit, 'flags/missing.yaml')).toBeUndefined();
  });

  it('lists changes with both blob ids, without reading a file, and untracked files apart', async () => {
    const repo = await gitdir();
    repo.write('flags/a.yaml', 'a: 1\n');
    repo.write('flags/b.yaml', 'b: 1\n');
    repo.write('other/c.yaml', 'c: 1\n');
    const base = await repo.commit('base');
    repo.write('flags/a.yaml', 'a: 2\n');
    repo.remove('flags/b.yaml');
    repo.write('flags/sub/b.yaml', 'b: 1\n');
    repo.write('other/c.yaml', 'c: 2\n');
    const head = await repo.commit('head');
    repo.write('flags/new.yaml', 'n: 1\n');
    const changes = await rawChanges(repo.git, base, head, 'flags');
    expect(changes.map((c) => [c.status, c.path])).toEqual([
      ['M', 'flags/a.yaml'],
      ['D', 'flags/b.yaml'],
      ['A', 'flags/sub/b.yaml'],
    ]);
    const a = changes[0]!;
    expect(new TextDecoder().decode(await readBlob(repo.git, a.before!.object))).toBe('a: 1\n');
    expect(new TextDecoder().decode(await readBlob(repo.git, a.after!.object))).toBe('a: 2\n');
    expect(await untrackedPaths(repo.git, 'flags')).toEqual(['flags/new.yaml']);
  });

  it('gives changed files relative to a repository root in a subfolder of the git repository', async () => {
    const repo = await gitdir();
    repo.write('platform/flags/a.yaml', 'a: 1\n');
    await repo.commit('base');
    repo.write('platform/flags/a.yaml', 'a: 2\n');
    repo.write('platform/flags/b.yaml', 'b: 1\n');
    const root = `${repo.dir}/platform`;
    expect([...(await changedFilesSince(root, 'HEAD'))].sort()).toEqual(['flags/a.yaml', 'flags/b.yaml']);
    const git = gitAt(root);
    const head = await resolveRef(git, 'HEAD');
    expect(new TextDecoder().decode(await readAt(git, head, 'flags/a.yaml'))).toBe('a: 1\n');
  });
});
