import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { FlagsError } from '../errors.js';

/**
 * The bot's branches, through simple-git. A commit is built from the base commit with a temporary
 * index (the working tree and the checked-out branch are never touched), authored and committed by
 * the bot identity, and pushed with --force-with-lease against the tip the bot inspected: a branch
 * that moved since (a person's commit, a concurrent run) is never overwritten.
 */

export interface BotIdentity {
  name: string;
  email: string;
}

export const DEFAULT_BOT_IDENTITY: BotIdentity = {
  name: 'flags-retire[bot]',
  email: 'flags-retire[bot]@users.noreply.github.com',
};

export function parseIdentity(text: string): BotIdentity | undefined {
  const match = /^\s*(.+?)\s*<([^<>\s]+)>\s*$/.exec(text);
  return match ? { name: match[1]!, email: match[2]! } : undefined;
}

export interface ForeignCommit {
  sha: string;
  author: string;
  email: string;
}

export type PushResult = 'pushed' | 'stale';

const REMOTE_NS = 'refs/remotes';

export class BotBranches {
  readonly git: SimpleGit;
  constructor(
    readonly root: string,
    readonly identity: BotIdentity = DEFAULT_BOT_IDENTITY,
    readonly remote = 'origin',
    readonly prefix = 'flags/retire/',
  ) {
    this.git = simpleGit({ baseDir: root, maxConcurrentProcesses: 4 });
  }

  private trackingRef(branch: string): string {
    return `${REMOTE_NS}/${this.remote}/${branch}`;
  }

  /** Fetches every bot branch from the remote; returns branch → tip. */
  async fetchAll(): Promise<Map<string, string>> {
    await this.run(() =>
      this.git.raw([
        'fetch',
        '--no-tags',
        '--prune',
        this.remote,
        `+refs/heads/${this.prefix}*:${REMOTE_NS}/${this.remote}/${this.prefix}*`,
      ]),
    );
    const out = await this.git.raw([
      'for-each-ref',
      '--format=%(objectname) %(refname)',
      `${REMOTE_NS}/${this.remote}/${this.prefix}`,
    ]);
    const tips = new Map<string, string>();
    const strip = `${REMOTE_NS}/${this.remote}/`;
    for (const line of out.split('\n')) {
      const [sha, ref] = line.trim().split(' ');
      if (sha && ref?.startsWith(strip)) tips.set(ref.slice(strip.length), sha);
    }
    return tips;
  }

  /** Fetches one branch again (after a push lost a race); its tip, or undefined when it is gone. */
  async fetchOne(branch: string): Promise<string | undefined> {
    const listed = await this.run(() => this.git.raw(['ls-remote', this.remote, `refs/heads/${branch}`]));
    const sha = listed.trim().split(/\s+/)[0];
    if (!sha) {
      await this.git.raw(['update-ref', '-d', this.trackingRef(branch)]).catch(() => '');
      return undefined;
    }
    await this.run(() =>
      this.git.raw(['fetch', '--no-tags', this.remote, `+refs/heads/${branch}:${this.trackingRef(branch)}`]),
    );
    return sha;
  }

  async head(): Promise<string> {
    return (await this.git.revparse(['HEAD'])).trim();
  }

  async currentBranch(): Promise<string | undefined> {
    const name = (await this.git.raw(['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
    return name === 'HEAD' ? undefined : name;
  }

  /** Whether files under `path` have uncommitted changes. */
  async isClean(path: string): Promise<boolean> {
    const status = await this.git.raw(['status', '--porcelain', '--', path]);
    return status.trim() === '';
  }

  /** The text of a file at a commit, or undefined when it does not exist there. */
  async fileAt(commit: string, path: string): Promise<string | undefined> {
    try {
      return await this.git.raw(['cat-file', 'blob', `${commit}:${path}`]);
    } catch {
      return undefined;
    }
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    try {
      return (await this.git.raw(['merge-base', a, b])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** Commits on `tip` that are not on any of `bases` and were not both authored and committed by the bot. */
  async foreignCommits(tip: string, bases: readonly string[]): Promise<ForeignCommit[]> {
    const out = await this.git.raw(['log', '--format=%H%x09%ae%x09%ce%x09%an', tip, '--not', ...bases, '--']);
    const foreign: ForeignCommit[] = [];
    for (const line of out.split('\n')) {
      if (!line.trim()) continue;
      const [sha, authorEmail, committerEmail, author] = line.split('\t');
      if (authorEmail !== this.identity.email || committerEmail !== this.identity.email)
        foreign.push({ sha: sha!, author: author ?? '', email: authorEmail ?? '' });
    }
    return foreign;
  }

  async remoteTrackingRef(branch: string): Promise<string | undefined> {
    const ref = this.trackingRef(branch);
    try {
      return (await this.git.raw(['rev-parse', '--verify', '--quiet', ref])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** A commit on `parent` that writes `content` to `path` (or deletes it when content is null). */
  commitFile(parent: string, path: string, content: string | null, message: string): Promise<string> {
    return this.commitFiles(parent, new Map([[path, content]]), message);
  }

  /** A commit on `parent` that writes each file's content (null: deletes it). */
  async commitFiles(
    parent: string,
    files: ReadonlyMap<string, string | null>,
    message: string,
  ): Promise<string> {
    const temp = mkdtempSync(join(tmpdir(), 'flags-retire-'));
    try {
      // A minimal environment: simple-git refuses some inherited variables (EDITOR and the like).
      const inherited = Object.fromEntries(
        ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'SYSTEMROOT', 'LANG', 'LC_ALL'].flatMap((k) =>
          process.env[k] === undefined ? [] : [[k, process.env[k]!]],
        ),
      );
      const env = {
        ...inherited,
        GIT_INDEX_FILE: join(temp, 'index'),
        GIT_AUTHOR_NAME: this.identity.name,
        GIT_AUTHOR_EMAIL: this.identity.email,
        GIT_COMMITTER_NAME: this.identity.name,
        GIT_COMMITTER_EMAIL: this.identity.email,
      };
      const git = simpleGit({ baseDir: this.root }).env(env);
      await git.raw(['read-tree', parent]);
      for (const [path, content] of files) {
        if (content === null) {
          await git.raw(['update-index', '--force-remove', '--', path]);
          continue;
        }
        const listed = (await git.raw(['ls-tree', parent, '--', path])).trim();
        const mode = listed.split(/\s+/)[0] || '100644';
        const blobFile = join(temp, 'blob');
        writeFileSync(blobFile, content);
        const blob = (await git.raw(['hash-object', '-w', '--no-filters', blobFile])).trim();
        await git.raw(['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`]);
      }
      const tree = (await git.raw(['write-tree'])).trim();
      const messageFile = join(temp, 'message');
      writeFileSync(messageFile, message);
      return (await git.raw(['commit-tree', tree, '-p', parent, '-F', messageFile])).trim();
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }

  /**
   * Pushes `commit` to `branch` only if the branch is still at `expected` (undefined: must not exist).
   * "stale" means someone moved it first; the caller looks again.
   */
  async push(commit: string, branch: string, expected: string | undefined): Promise<PushResult> {
    return this.leasedPush(`${commit}:refs/heads/${branch}`, branch, expected);
  }

  async deleteBranch(branch: string, expected: string): Promise<PushResult> {
    return this.leasedPush(`:refs/heads/${branch}`, branch, expected);
  }

  private async leasedPush(
    refspec: string,
    branch: string,
    expected: string | undefined,
  ): Promise<PushResult> {
    try {
      await this.git.raw([
        'push',
        '--porcelain',
        `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`,
        this.remote,
        refspec,
      ]);
      return 'pushed';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/stale info|\[rejected\]|fetch first|non-fast-forward|already exists/i.test(message))
        return 'stale';
      throw gitFailure(`cannot push ${branch}`, message);
    }
  }

  private async run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw gitFailure(`git failed`, error instanceof Error ? error.message : String(error));
    }
  }
}

function gitFailure(what: string, message: string): FlagsError {
  return new FlagsError(`${what}: ${message.trim().split('\n').slice(-3).join(' ')}`, {
    hint: 'check that the remote is reachable and the token may push (contents: write)',
  });
}
