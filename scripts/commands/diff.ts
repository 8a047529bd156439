import { appendFileSync, lstatSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Command } from 'commander';
import type { SimpleGit } from 'simple-git';
import { analyzePolicy, POLICY_FILE } from '../core/check/analyze-policy.js';
import { diffSnapshots } from '../core/diff/diff-flags.js';
import { buildSnapshot, type SourceFile } from '../core/diff/snapshot.js';
import type { DiffReport } from '../core/diff/types.js';
import {
  ensureRepository,
  gitAt,
  isFileMode,
  isSymlinkMode,
  mergeBase,
  rawChanges,
  readAt,
  readBlob,
  resolveRef,
  untrackedPaths,
} from '../adapters/git.js';
import { FLAGS_DIR, isFlagFileName, readOptional } from '../adapters/repo-files.js';
import { renderDiffJson } from '../reporters/diff-json.js';
import { renderDiffMarkdown } from '../reporters/diff-markdown.js';
import { renderDiffText } from '../reporters/diff-text.js';
import { styleFor } from '../reporters/style.js';
import { parseFormat, resolveRoot, withRepo } from './common.js';

const FORMATS = ['text', 'markdown', 'json'] as const;

export const WORKING_TREE = 'working tree';

interface DiffOptions {
  repo: string;
  format: string;
  json?: boolean;
  mergeBase: boolean;
}

export function registerDiff(program: Command): void {
  const command = program
    .command('diff')
    .description('what a change does to the flags, per environment, customer access first')
    .argument('<base>', 'git ref to compare from, e.g. origin/main')
    .argument('[head]', 'git ref to compare to (default: the working tree, uncommitted files included)')
    .option('-f, --format <format>', `output: ${FORMATS.join(', ')}`, 'text')
    .option('--json', 'same as --format json')
    .option('--no-merge-base', 'compare with <base> itself instead of the merge base of <base> and <head>');
  withRepo(command);
  command.action(async (base: string, head: string | undefined, options: DiffOptions) => {
    process.exitCode = await runDiff(base, head, options);
  });
}

export async function runDiff(base: string, head: string | undefined, options: DiffOptions): Promise<number> {
  const format = options.json ? 'json' : parseFormat(options.format, FORMATS);
  const root = resolveRoot(options.repo);
  const git = gitAt(root);
  await ensureRepository(git, root);
  const baseCommit = await resolveRef(git, base);
  const headCommit = head === undefined ? undefined : await resolveRef(git, head);
  // Like a pull request's Files tab: what the head side changes since it left the base.
  const from = options.mergeBase
    ? ((await mergeBase(git, baseCommit, headCommit ?? 'HEAD')) ?? baseCommit)
    : baseCommit;
  const report: DiffReport = {
    base: { label: base, commit: baseCommit },
    head: headCommit ? { label: head ?? 'HEAD', commit: headCommit } : { label: WORKING_TREE },
    ...(from !== baseCommit ? { mergeBase: from } : {}),
    diff: await diffRefs(git, root, from, headCommit),
  };
  if (format === 'json') process.stdout.write(renderDiffJson(report));
  else if (format === 'markdown') process.stdout.write(renderDiffMarkdown(report));
  else process.stdout.write(renderDiffText(report, styleFor(process.stdout)));
  if (process.env.GITHUB_STEP_SUMMARY)
    appendFileSync(process.env.GITHUB_STEP_SUMMARY, renderDiffMarkdown(report));
  return 0;
}

/** Reads only what changed between the two sides, plus each side's policy, and compares it. */
async function diffRefs(git: SimpleGit, root: string, from: string, head: string | undefined) {
  const changes = (await rawChanges(git, from, head, FLAGS_DIR)).filter((c) => isFlagPath(c.path));
  const untracked = head === undefined ? (await untrackedPaths(git, FLAGS_DIR)).filter(isFlagPath) : [];
  const [basePolicy, headPolicy] = await Promise.all([
    readAt(git, from, POLICY_FILE),
    head === undefined ? readOptional(join(root, POLICY_FILE)) : readAt(git, head, POLICY_FILE),
  ]);
  const maxBytes = analyzePolicy(POLICY_FILE, headPolicy).policy.limits.maxFileBytes;
  const baseFiles = Promise.all(
    changes.flatMap((c) => (c.before ? [readObject(git, c.path, c.before.mode, c.before.object)] : [])),
  );
  const headFiles = Promise.all([
    ...changes.flatMap((c) => {
      if (!c.after) return [];
      return head === undefined
        ? [readWorking(root, c.path, maxBytes)]
        : [readObject(git, c.path, c.after.mode, c.after.object)];
    }),
    ...untracked.map((path) => readWorking(root, path, maxBytes)),
  ]);
  const skip = (files: (SourceFile | undefined)[]) => files.filter((f): f is SourceFile => f !== undefined);
  const [before, after] = await Promise.all([baseFiles, headFiles]);
  return diffSnapshots(
    buildSnapshot('base', basePolicy, skip(before)),
    buildSnapshot('head', headPolicy, skip(after)),
  );
}

/** Flag files as `flags check` finds them: YAML under flags/, not the policy, no hidden folders. */
export function isFlagPath(path: string): boolean {
  const parts = path.split('/');
  return (
    parts[0] === FLAGS_DIR &&
    parts.length > 1 &&
    !parts.some((part) => part.startsWith('.')) &&
    isFlagFileName(posix.basename(path))
  );
}

async function readObject(
  git: SimpleGit,
  file: string,
  mode: string,
  object: string,
): Promise<SourceFile | undefined> {
  if (isSymlinkMode(mode))
    return { file, unreadable: 'a symbolic link; flags diff compares regular files only' };
  if (!isFileMode(mode)) return undefined; // a submodule or the like: not a flag file
  return { file, bytes: await readBlob(git, object) };
}

async function readWorking(root: string, file: string, maxBytes: number): Promise<SourceFile | undefined> {
  const path = join(root, file);
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink())
      return { file, unreadable: 'a symbolic link; flags diff compares regular files only' };
    if (!stat.isFile()) return undefined;
    if (stat.size > maxBytes)
      return {
        file,
        code: 'file/too-large',
        unreadable: `file is ${stat.size} bytes, over the cap of ${maxBytes}`,
      };
    return { file, bytes: readFileSync(path) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? undefined
      : { file, unreadable: `cannot read the file: ${code ?? String(error)}` };
  }
}
