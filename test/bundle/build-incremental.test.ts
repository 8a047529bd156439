import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitdir } from '../helpers/gitdir.js';
import { runCli } from '../helpers/run-cli.js';

/**
 * A build after a small change takes its gate from the check's snapshot and loads only the changed
 * flags, copying the others' members from the last build's content. Whatever the caches hold, the
 * bundles' content is the one a build without any cache makes.
 */

const NOW = '2026-11-24T12:00:00Z';
const contentOf = (path: string) =>
  Buffer.from((JSON.parse(readFileSync(path, 'utf8')) as { content: string }).content, 'base64');

async function build(root: string, out: string, ...extra: string[]) {
  const run = await runCli(['build', '--repo', root, '--now', NOW, '--out', out, '--allow-dirty', ...extra], {
    env: {
      FLAGS_DEV_KEY_DIR: join(root, '.dev-key'),
      XDG_CACHE_HOME: join(root, '..', `${root.split('/').at(-1)}-xdg`),
    },
  });
  expect(run.code, run.stderr).toBe(0);
  return run;
}

function sameContents(a: string, b: string): void {
  for (const environment of ['development', 'staging', 'production'])
    expect(
      contentOf(join(a, `${environment}.bundle.json`)).equals(
        contentOf(join(b, `${environment}.bundle.json`)),
      ),
      environment,
    ).toBe(true);
}

describe('a build after a change', () => {
  it('makes the content a build without caches makes, with and without the content cache', async () => {
    const repo = await gitdir({ example: true });
    await repo.commit('flags');
    const root = repo.dir;
    await build(root, join(root, 'first'));
    const file = join(root, 'flags', 'new-checkout-flow.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^expires: .*$/m, 'expires: 2027-02-10'));
    const check = await runCli(['check', '--repo', root, '--today', '2026-11-24'], {
      env: { XDG_CACHE_HOME: join(root, '..', `${root.split('/').at(-1)}-xdg`) },
    });
    expect(check.stdout).toMatch(/from cache/);

    await build(root, join(root, 'warm'));
    await build(root, join(root, 'cold'), '--no-cache');
    sameContents(join(root, 'warm'), join(root, 'cold'));
    expect(contentOf(join(root, 'warm', 'production.bundle.json')).toString()).toContain('2027-02-10');

    // Without the last build's content, the flags the snapshot knows only by key are loaded.
    writeFileSync(file, readFileSync(file, 'utf8').replace('2027-02-10', '2027-02-09'));
    const xdg = join(root, '..', `${root.split('/').at(-1)}-xdg`, 'flags-as-code');
    const [folder] = readdirSync(xdg).filter((n) => n !== 'mac-key');
    expect(existsSync(join(xdg, folder!, 'bundle-fragments.txt'))).toBe(true);
    rmSync(join(xdg, folder!, 'bundle-fragments.txt'));
    await build(root, join(root, 'refilled'));
    await build(root, join(root, 'cold-again'), '--no-cache');
    sameContents(join(root, 'refilled'), join(root, 'cold-again'));
  });
});
