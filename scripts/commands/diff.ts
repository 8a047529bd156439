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
  type FileAt,
  mergeBase,
  rawChanges,
  readBlob,
  readFileAt,
  resolveRef,
  symlinksAt,
  untrackedPaths,
} from '../adapters/git.js';
import {
  FLAGS_DIR,
  isFlagFileName,
  listFlagFiles,
  readRegularFile,
  symlinkFinding,
  symlinkMessage,
  symlinkTargetIn,
} from '../adapters/repo-files.js';
import { codeownersAt, codeownersInWorkingTree } from '../adapters/codeowners-at.js';
import { type CodeownersChange, codeownersChange } from '../core/codeowners/changes.js';
import type { Finding } from '../core/findings/finding.js';
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
  const codeowners = await codeownersChangeOf(git, root, from, headCommit);
  if (codeowners) report.codeowners = codeowners;
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
    readFileAt(git, from, POLICY_FILE),
    head === undefined ? readRegularFile(root, POLICY_FILE) : readFileAt(git, head, POLICY_FILE),
  ]);
  const policyBytes = (read: FileAt | ReturnType<typeof readRegularFile>) =>
    'bytes' in read ? read.bytes : undefined;
  const maxBytes = analyzePolicy(POLICY_FILE, policyBytes(headPolicy)).policy.limits.maxFileBytes;
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
  const [before, after, headLinks] = await Promise.all([baseFiles, headFiles, linksAtHead(git, root, head)]);
  // A link that did not change still refuses: the target it points to may be what changed.
  const afterFiles = skip(after);
  const listed = new Set(afterFiles.map((f) => f.file));
  afterFiles.push(...headLinks.filter((link) => !listed.has(link.file)));
  return diffSnapshots(
    buildSnapshot('base', policyBytes(basePolicy), [...policyLink(basePolicy), ...skip(before)]),
    buildSnapshot('head', policyBytes(headPolicy), [...policyLink(headPolicy), ...afterFiles]),
  );
}

const linkProblem = (file: string, target: string, where: string): SourceFile => ({
  file,
  code: 'file/symlink',
  unreadable: symlinkMessage(file, target, where),
});

/** A policy that is a link is refused, and the side is compared under the default policy. */
function policyLink(read: FileAt | ReturnType<typeof readRegularFile>): SourceFile[] {
  if ('symlink' in read)
    return [
      typeof read.symlink === 'string'
        ? linkProblem(POLICY_FILE, read.symlink, symlinkTargetIn(POLICY_FILE, read.symlink))
        : { file: POLICY_FILE, code: 'file/symlink', unreadable: read.symlink.message },
    ];
  return [];
}

/** Every symbolic link under flags/ at the head side, as `flags check` refuses them. */
async function linksAtHead(git: SimpleGit, root: string, head: string | undefined): Promise<SourceFile[]> {
  if (head === undefined)
    return listFlagFiles(root)
      .entries.filter((e): e is Finding => 'code' in e && e.code === 'file/symlink')
      .map((f) => ({ file: f.file, code: f.code, unreadable: f.message }));
  return (await symlinksAt(git, head, FLAGS_DIR))
    .filter((link) => isFlagPath(link.path))
    .map((link) => linkProblem(link.path, link.target, symlinkTargetIn(link.path, link.target)));
}

/**
 * Which flag files a change to CODEOWNERS gives other code owners, between the two sides; undefined
 * when CODEOWNERS is the same at both.
 */
async function codeownersChangeOf(
  git: SimpleGit,
  root: string,
  from: string,
  head: string | undefined,
): Promise<CodeownersChange | undefined> {
  const [before, after] = await Promise.all([
    codeownersAt(git, from),
    head === undefined ? codeownersInWorkingTree(root) : codeownersAt(git, head),
  ]);
  if (before.codeowners?.file === after.codeowners?.file && before.text === after.text) return undefined;
  const files =
    head === undefined
      ? listFlagFiles(root).entries.flatMap((e) => ('code' in e ? [] : [e.file]))
      : (await git.raw(['ls-tree', '-r', '-z', '--name-only', head, '--', FLAGS_DIR]))
          .split('\0')
          .filter(isFlagPath);
  return codeownersChange(before, after, files);
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
  if (isSymlinkMode(mode)) {
    const target = new TextDecoder().decode(await readBlob(git, object));
    return linkProblem(file, target, symlinkTargetIn(file, target));
  }
  if (!isFileMode(mode)) return undefined; // a submodule or the like: not a flag file
  return { file, bytes: await readBlob(git, object) };
}

async function readWorking(root: string, file: string, maxBytes: number): Promise<SourceFile | undefined> {
  const path = join(root, file);
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) {
      const link = symlinkFinding(root, file);
      return { file, code: link.code, unreadable: link.message };
    }
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
