import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';
import { createGitHubClient } from '../../../scripts/adapters/github/client.js';
import { type RetireOptions, runRetire } from '../../../scripts/commands/retire.js';
import { gitdir, type TempRepo, tempDir } from '../gitdir.js';
import { type GitHubEmulator, startEmulator } from './server.js';

/**
 * A world for retirement scenarios: origin is a bare repository in a temp folder, a maintainer's
 * clone pushes to it, GitHub is the emulator, and every bot run happens in a fresh clone, as a CI
 * checkout would (fetch-depth 0).
 */

export const OWNER = 'acme';
export const REPO = 'flags';
export const BOT = { name: 'flags-retire[bot]', email: 'flags-retire[bot]@users.noreply.github.com' };

export interface RunResult {
  code: number | 'threw';
  out: string;
  err: string;
  error?: Error;
  /** Index into the emulator's log where this run began. */
  from: number;
  dir: string;
}

export interface World {
  origin: string;
  work: TempRepo;
  emulator: GitHubEmulator;
  clone(): string;
  /** Commits the maintainer's change to main and pushes it. */
  change(edit: (work: TempRepo) => void, message: string): Promise<void>;
  /** A bot run in its own fresh clone. */
  run(options?: Partial<RetireOptions>, dir?: string): Promise<RunResult>;
  /** A person pushes a commit of their own onto a branch of origin. */
  personCommits(branch: string, file: string, edit: (text: string) => string): Promise<string>;
  git(dir: string, ...args: string[]): string;
}

export async function retireWorld(
  seed: { example?: boolean; fixture?: string } = { fixture: 'retire/repo' },
): Promise<World> {
  const origin = join(tempDir('flags-origin-'), 'origin.git');
  mkdirSync(origin, { recursive: true });
  execFileSync('git', ['init', '--bare', '--initial-branch=main', origin]);
  const work = await gitdir(seed);
  await work.commit('Seed the flags repository');
  await work.git.addRemote('origin', origin);
  await work.git.push(['-u', 'origin', 'main']);
  const emulator = await startEmulator({ origin, owner: OWNER, repo: REPO });
  onTestFinished(() => emulator.stop());
  const git = (dir: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
    }).trim();
  const clone = () => {
    const dir = join(tempDir('flags-ci-'), 'checkout');
    execFileSync('git', ['clone', '--quiet', origin, dir]);
    git(dir, 'config', 'user.name', 'CI');
    git(dir, 'config', 'user.email', 'ci@example.com');
    return dir;
  };
  return {
    origin,
    work,
    emulator,
    clone,
    git,
    async change(edit, message) {
      edit(work);
      await work.commit(message);
      await work.git.push('origin', 'main');
    },
    async run(options = {}, dir = clone()) {
      const from = emulator.log.length;
      let out = '';
      let err = '';
      const client = createGitHubClient({
        token: emulator.token,
        baseUrl: `${emulator.url}/api/v3`,
        retryBaseMs: 5,
        minWriteIntervalMs: 0,
        log: (m) => {
          err += `${m}\n`;
        },
      });
      try {
        const code = await runRetire(
          {
            repo: dir,
            apply: true,
            today: '2027-03-01',
            repository: `${OWNER}/${REPO}`,
            remote: 'origin',
            ...options,
          },
          { client, env: {}, out: (t) => (out += t), err: (t) => (err += t) },
        );
        return { code, out, err, from, dir };
      } catch (error) {
        return { code: 'threw', out, err, error: error as Error, from, dir };
      }
    },
    async personCommits(branch, file, edit) {
      const dir = clone();
      git(dir, 'checkout', '--quiet', branch);
      const path = join(dir, file);
      mkdirSync(dirname(path), { recursive: true });
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        // the bot deleted it on this branch
      }
      writeFileSync(path, edit(text));
      git(dir, 'add', '-A');
      execFileSync('git', ['commit', '--quiet', '-m', 'Keep the trial a bit longer'], {
        cwd: dir,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'Alice',
          GIT_AUTHOR_EMAIL: 'alice@example.com',
          GIT_COMMITTER_NAME: 'Alice',
          GIT_COMMITTER_EMAIL: 'alice@example.com',
        },
      });
      git(dir, 'push', '--quiet', 'origin', branch);
      return git(dir, 'rev-parse', 'HEAD');
    },
  };
}

/** The tip of a branch in origin, or undefined. */
export function originTip(world: World, branch: string): string | undefined {
  try {
    return execFileSync(
      'git',
      ['--git-dir', world.origin, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`],
      {
        encoding: 'utf8',
      },
    ).trim();
  } catch {
    return undefined;
  }
}
