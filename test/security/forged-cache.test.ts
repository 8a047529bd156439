import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sealed } from '../../scripts/adapters/cache.js';
import { EXAMPLE_ROOT, gitdir, tempDir, type TempRepo } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * Only the reviewed inputs may change a verdict or a bundle. A pull request that commits cache
 * files (forged analysis results, a forged check snapshot, forged build fragments, a forged policy
 * analysis), sealed with the key of the attacker's own machine or not sealed at all, gets from
 * `flags check`, `flags diff` and `flags build` exactly what it gets with no cache.
 */

const TODAY = '2026-11-24';
const NOW = `${TODAY}T12:00:00Z`;
const FLAG = 'flags/new-checkout-flow.yaml';

const contentOf = (bytes: Buffer) =>
  Buffer.from((JSON.parse(bytes.toString('utf8')) as { content: string }).content, 'base64').toString('utf8');

async function example(): Promise<TempRepo> {
  const repo = await gitdir({ example: true });
  repo.write('.gitignore', 'dist/\n');
  await repo.commit('flags');
  return repo;
}

/** Runs the CLI as a machine whose cache root (and sealing key) is `xdg`. */
const cli = (repo: TempRepo, xdg: string, args: string[], env: Record<string, string> = {}) =>
  runCli(args, {
    cwd: repo.dir,
    env: { XDG_CACHE_HOME: xdg, FLAGS_DEV_KEY_DIR: join(xdg, 'dev-key'), ...env },
  });

/**
 * The attacker builds on their machine with the cache inside the repository, then changes the
 * flag and rewrites every cache file so the old answers stand for the new bytes, sealing them again
 * with their own key (which they have) — and adds unsealed copies in the format of the past.
 */
async function forge(repo: TempRepo, change: (text: string) => string): Promise<string> {
  const attacker = tempDir('flags-attacker-');
  const cache = join(repo.dir, '.cache', 'flags');
  expect((await cli(repo, attacker, ['check', '--today', TODAY, '--cache-dir', cache])).code).toBe(0);
  const built = await cli(repo, attacker, [
    'build',
    '--now',
    NOW,
    '--cache-dir',
    cache,
    '--out',
    join(attacker, 'out'),
  ]);
  expect(built.code, built.stderr).toBe(0);
  const before = (await repo.git.raw(['hash-object', '--no-filters', FLAG])).trim();
  const { createHash } = await import('node:crypto');
  const oldHash = createHash('sha256')
    .update(readFileSync(join(repo.dir, FLAG)))
    .digest('hex');
  repo.write(FLAG, change(readFileSync(join(repo.dir, FLAG), 'utf8')));
  const newHash = createHash('sha256')
    .update(readFileSync(join(repo.dir, FLAG)))
    .digest('hex');
  expect(newHash).not.toBe(oldHash);
  expect(before).toBeTruthy();
  const key = readFileSync(join(attacker, 'flags-as-code', 'mac-key'));
  for (const name of readdirSync(cache)) {
    if (!name.endsWith('.json') && !name.endsWith('.txt')) continue;
    const path = join(cache, name);
    const bytes = readFileSync(path);
    const newline = bytes.indexOf(0x0a);
    const kind = bytes.toString('latin1', 0, newline).split(' ')[1]!;
    const body = bytes
      .subarray(newline + 1)
      .toString('latin1')
      .split(oldHash)
      .join(newHash);
    writeFileSync(path, Buffer.concat(sealed(key, kind, [Buffer.from(body, 'latin1')])));
    // The same forgery without a seal, as the format before seals had it.
    mkdirSync(join(repo.dir, '.cache', 'unsealed'), { recursive: true });
    writeFileSync(join(repo.dir, '.cache', 'unsealed', name), Buffer.from(body, 'latin1'));
  }
  // A forged log of analysis results, as the result cache of the past kept them.
  writeFileSync(
    join(cache, 'check-results.jsonl'),
    `{"format":3,"salt":"x"}\n${JSON.stringify({ s: 'x', r: { file: FLAG, hash: newHash, findings: [], positions: {} } })}\n`,
  );
  await repo.commit('a change, and the caches that hide it');
  return attacker;
}

describe('forged cache files committed to the repository', () => {
  it('change no verdict of flags check, and flags diff shows the change', async () => {
    const repo = await example();
    const attacker = await forge(repo, (t) => t.replace(/^expires: .*$/m, 'expires: 2020-01-01'));
    // The forgery works where its key is: without the seal, a cache would have let it pass.
    const fooled = await cli(repo, attacker, [
      'check',
      '--today',
      TODAY,
      '--cache-dir',
      join(repo.dir, '.cache', 'flags'),
    ]);
    expect(fooled.code, fooled.stdout).toBe(0);
    const victim = tempDir('flags-victim-');
    const cold = await cli(repo, victim, ['check', '--today', TODAY, '--json', '--no-cache']);
    expect(cold.code).toBe(1);
    const coldFindings = JSON.parse(cold.stdout).findings;
    expect(coldFindings.map((f: { code: string }) => f.code)).toContain('lifecycle/expired');
    for (const cacheDir of [
      join(repo.dir, '.cache', 'flags'),
      join(repo.dir, '.cache', 'unsealed'),
      undefined,
    ]) {
      const args = ['check', '--today', TODAY, '--json', ...(cacheDir ? ['--cache-dir', cacheDir] : [])];
      for (let run = 0; run < 2; run++) {
        const warm = await cli(repo, victim, args);
        expect(warm.code, `${cacheDir} run ${run}`).toBe(1);
        expect(JSON.parse(warm.stdout).findings).toEqual(coldFindings);
      }
    }
    const diff = await cli(repo, victim, ['diff', 'HEAD~1', 'HEAD', '--json']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('new-checkout-flow');
    expect(diff.stdout).toContain('2020-01-01');
  });

  it('change no byte of what flags build signs, with a real key or the development key', async () => {
    const repo = await example();
    await forge(repo, (t) => t.replace('percentage: 25', 'percentage: 30'));
    const victim = tempDir('flags-victim-');
    const out = (name: string) => join(victim, name);
    const keyFile = join(victim, 'signing.pem');
    expect((await cli(repo, victim, ['keygen', '--out', keyFile])).code).toBe(0);
    const init = await cli(repo, victim, [
      'keyset',
      'init',
      '--key',
      `${keyFile}=development,staging,production`,
      '--now',
      NOW,
    ]);
    expect(init.code, init.stderr).toBe(0);
    await repo.commit('keyset');
    const real = { FLAGS_SIGNING_KEY: readFileSync(keyFile, 'utf8') };
    const cache = join(repo.dir, '.cache', 'flags');
    const runs = [
      ['cold', ['--no-cache'], real],
      ['real key, cache in the repository', ['--cache-dir', cache], real],
      ['development key, cache in the repository', ['--cache-dir', cache], {}],
      ['development key, unsealed cache', ['--cache-dir', join(repo.dir, '.cache', 'unsealed')], {}],
      ['development key, no cache', ['--no-cache'], {}],
    ] as const;
    for (const [name, extra, env] of runs) {
      const run = await cli(repo, victim, ['build', '--now', NOW, '--out', out(name), ...extra], env);
      expect(run.code, `${name}: ${run.stderr}`).toBe(0);
    }
    const production = (name: string) => readFileSync(join(out(name), 'production.bundle.json'));
    expect(contentOf(production('cold'))).toContain('"percentage":30');
    expect(production('real key, cache in the repository').equals(production('cold'))).toBe(true);
    for (const name of ['development key, cache in the repository', 'development key, unsealed cache'])
      expect(contentOf(production(name)), name).toBe(contentOf(production('development key, no cache')));
  });
});

describe('the sealed cache outside the repository', () => {
  it('ignores an entry written into the default cache folder without the key, and a key others can read', async () => {
    const repo = await example();
    const victim = tempDir('flags-victim-');
    const first = await cli(repo, victim, ['check', '--today', TODAY, '--json']);
    expect(first.code).toBe(0);
    const root = join(victim, 'flags-as-code');
    const [folder] = readdirSync(root).filter((n) => n !== 'mac-key');
    const state = join(root, folder!, 'check-state.json');
    const bytes = readFileSync(state);
    const newline = bytes.indexOf(0x0a);
    // Another process that cannot read the key: it makes the expired flag pass, sealed with a guess.
    repo.write(
      FLAG,
      readFileSync(join(EXAMPLE_ROOT, FLAG), 'utf8').replace(/^expires: .*$/m, 'expires: 2020-01-01'),
    );
    const { createHash } = await import('node:crypto');
    const oldHash = createHash('sha256')
      .update(readFileSync(join(EXAMPLE_ROOT, FLAG)))
      .digest('hex');
    const newHash = createHash('sha256')
      .update(readFileSync(join(repo.dir, FLAG)))
      .digest('hex');
    const body = bytes
      .subarray(newline + 1)
      .toString('utf8')
      .split(oldHash)
      .join(newHash);
    writeFileSync(state, Buffer.concat(sealed(Buffer.alloc(32, 7), 'check-state', body)));
    const forged = await cli(repo, victim, ['check', '--today', TODAY, '--json']);
    expect(forged.code).toBe(1);
    expect(JSON.parse(forged.stdout).findings.map((f: { code: string }) => f.code)).toContain(
      'lifecycle/expired',
    );
    // A key file others may read seals nothing: the caches are off, the answers the same.
    const { chmodSync } = await import('node:fs');
    chmodSync(join(root, 'mac-key'), 0o644);
    const open = await cli(repo, victim, ['check', '--today', TODAY, '--json']);
    expect(open.code).toBe(1);
    expect(JSON.parse(open.stdout).summary.cached).toBe(0);
  });
});
