import type { SimpleGit } from 'simple-git';
import { CODEOWNERS_LOCATIONS, type Codeowners, parseCodeowners } from '../core/codeowners/parse.js';
import { readFileAt } from './git.js';
import { readRegularFile } from './repo-files.js';

/**
 * CODEOWNERS as GitHub finds it at a commit or in the working tree: the first location that holds a
 * file. A symbolic link there is no CODEOWNERS (GitHub reads the link, a path, not its target), and
 * `flags check` reports it as file/symlink.
 */

export interface CodeownersText {
  codeowners?: Codeowners;
  text?: string;
}

const parsed = (location: string, bytes: Uint8Array): CodeownersText => {
  const text = new TextDecoder().decode(bytes);
  return { codeowners: parseCodeowners(location, text), text };
};

export async function codeownersAt(git: SimpleGit, commit: string): Promise<CodeownersText> {
  for (const location of CODEOWNERS_LOCATIONS) {
    const read = await readFileAt(git, commit, location);
    if ('symlink' in read) return {};
    if ('bytes' in read) return parsed(location, read.bytes);
  }
  return {};
}

export function codeownersInWorkingTree(root: string): CodeownersText {
  for (const location of CODEOWNERS_LOCATIONS) {
    const read = readRegularFile(root, location);
    if ('symlink' in read) return {};
    if ('bytes' in read) return parsed(location, read.bytes);
  }
  return {};
}
