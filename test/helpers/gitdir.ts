import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SimpleGit, simpleGit } from 'simple-git';
import { onTestFinished } from 'vitest';

export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
/** The toolkit's checkout: its build, docs, schemas and workflows. */
export const TOOLKIT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * A copy of the example repository (flags/ and CODEOWNERS) as it was when the tests were written:
 * the toolkit's tests never read the example at the root, which belongs to the quick start (and to
 * whoever replaces it with their own flags).
 */
export const EXAMPLE_ROOT = join(FIXTURES, 'example-repository');

export interface TempRepo {
  dir: string;
  git: SimpleGit;
  write(file: string, content: string | Uint8Array): void;
  remove(file: string): void;
  link(file: string, target: string): void;
  commit(message: string): Promise<string>;
}

/** A temporary folder, removed when the test ends. */
export function tempDir(prefix = 'flags-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real git repository in a temporary folder, optionally seeded with a fixture folder or the example. */
export async function gitdir(seed?: { fixture?: string; example?: boolean }): Promise<TempRepo> {
  const dir = tempDir();
  if (seed?.example) copyExample(dir);
  if (seed?.fixture) cpSync(join(FIXTURES, seed.fixture), dir, { recursive: true });
  return initRepo(dir);
}

/** Copies the example repository (flags, CODEOWNERS) and the toolkit's schemas into a folder. */
export function copyExample(dir: string): void {
  for (const part of ['flags', 'CODEOWNERS'])
    cpSync(join(EXAMPLE_ROOT, part), join(dir, part), { recursive: true });
  cpSync(join(TOOLKIT_ROOT, 'schemas'), join(dir, 'schemas'), { recursive: true });
}

/** Makes a folder a git repository with a test identity; the caller owns the folder's lifetime. */
export async function initRepo(dir: string): Promise<TempRepo> {
  const git = simpleGit({ baseDir: dir });
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.name', 'Test User');
  await git.addConfig('user.email', 'test@example.com');
  await git.addConfig('commit.gpgsign', 'false');
  return {
    dir,
    git,
    write(file, content) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), content);
    },
    remove(file) {
      rmSync(join(dir, file), { force: true });
    },
    link(file, target) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      symlinkSync(target, join(dir, file));
    },
    async commit(message) {
      await git.add(['-A']);
      await git.commit(message, { '--allow-empty': null });
      return (await git.revparse(['HEAD'])).trim();
    },
  };
}
