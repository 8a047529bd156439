import type { Command } from 'commander';
import { type CodeTrees, resolveTrees } from '../adapters/code-trees.js';
import { publishedKeys } from '../adapters/published-keys.js';
import { removedFlags } from '../adapters/removed-flags.js';
import { loadRepository, validFlags } from '../adapters/repository.js';
import { type SearchedTree, scanTrees } from '../adapters/source-files.js';
import { ALIAS_FORMS, type AliasForm } from '../core/refs/aliases.js';
import { isArchived } from '../core/refs/archived.js';
import { type CodeReference, isEvidence } from '../core/refs/find.js';
import { classifyUnknown, type Removal, type UnknownKey } from '../core/refs/unknown.js';
import { unreferencedKeys, usageByFlag } from '../core/refs/usage.js';
import { UsageError } from '../errors.js';
import { annotation } from '../reporters/github.js';
import { resolveNow, withNow } from './build.js';
import { inGithubActions, resolveFlagsRoot, withRepo } from './common.js';

interface RefsOptions {
  repo: string;
  json?: boolean;
  key?: string[];
  aliases?: string;
  tree?: string[];
  sdkMethod?: string[];
  bundle?: string;
  keyset?: string;
  env?: string;
  now?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerRefs(program: Command): void {
  const command = program
    .command('refs')
    .description(
      'where flag keys are used in code, per repository, and keys in code that no live flag has (removed, archived, a typo); exit 1 on such keys',
    )
    .argument(
      '[paths...]',
      'files or folders to search (default: the repository, without flags/; or the --tree clones)',
    )
    .option(
      '--tree <name=path>',
      "a consuming repository's clone (repeat; names from the policy's refs.repositories)",
      collect,
    )
    .option('--key <key...>', 'only these flag keys')
    .option(
      '--sdk-method <name...>',
      'further methods whose first argument is a flag key (besides policy refs.sdkMethods)',
    )
    .option(
      '--aliases <forms>',
      `comma-separated alias forms (${ALIAS_FORMS.join(', ')}; "none" for literals only; default: policy retire.codeAliases)`,
    )
    .option(
      '--bundle <file-or-url>',
      "an application's gate: check this code against the keys a published bundle serves",
    )
    .option('--keyset <file>', 'with --bundle: verify the bundle with this keyset first')
    .option('-e, --env <name>', 'with --keyset: the environment the bundle was built for')
    .option('--json', 'machine-readable output');
  withRepo(command);
  withNow(command);
  command.action(async (paths: string[], options: RefsOptions) => {
    process.exitCode = await runRefs(paths, options);
  });
}

export function parseAliases(value: string | undefined, fallback: readonly AliasForm[]): AliasForm[] {
  if (value === undefined) return [...fallback];
  if (value.trim() === 'none') return [];
  const forms = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const form of forms)
    if (!(ALIAS_FORMS as readonly string[]).includes(form))
      throw new UsageError(`unknown alias form "${form}"`, `use ${ALIAS_FORMS.join(', ')} or none`);
  return forms as AliasForm[];
}

/** What one run found; the JSON output, and what the text is written from. */
interface RefsResult {
  version: 2;
  source: { bundle: string; verified: boolean; environment?: string } | { repository: string };
  searched: { repository?: string; path: string; files: number }[];
  notSearched: string[];
  aliases: AliasForm[];
  flags: ReturnType<typeof usageByFlag>;
  references: CodeReference[];
  unreferenced: string[];
  unknown: UnknownKey[];
  deprecated: CodeReference[];
}

export async function runRefs(paths: string[], options: RefsOptions): Promise<number> {
  const result = options.bundle
    ? await refsAgainstBundle(paths, options, options.bundle)
    : await refsInRepository(paths, options);
  if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(renderText(result));
  if (inGithubActions()) process.stdout.write(annotations(result));
  return result.unknown.length > 0 ? 1 : 0;
}

async function refsInRepository(paths: string[], options: RefsOptions): Promise<RefsResult> {
  const root = resolveFlagsRoot(options.repo);
  const repo = await loadRepository(root);
  const flags = validFlags(repo);
  const archived = new Set(flags.filter((f) => isArchived(f.flag)).map((f) => f.flag.key));
  const live = flags
    .map((f) => f.flag.key)
    .filter((k) => !archived.has(k))
    .sort();
  // A file that does not parse still holds its key: no use of it is "unknown".
  const unparsed = repo.files
    .filter((f) => !f.flag)
    .map((f) => f.file.replace(/^.*\//, '').replace(/\.ya?ml$/, ''));
  for (const key of options.key ?? [])
    if (!live.includes(key))
      throw new UsageError(`no live flag has the key "${key}"`, 'list keys with flags check');
  const keys = options.key ?? live;
  const trees = resolveTrees(root, repo.policy, options.tree);
  if (trees.trees.length > 0 && paths.length > 0)
    throw new UsageError(
      'paths and --tree exclude each other',
      'search the clones with --tree, or paths of the flags repository without it',
    );
  const searched: SearchedTree[] =
    trees.trees.length > 0
      ? trees.trees.map((t) => ({ repository: t.name, dir: t.dir, paths: [], exclude: [] }))
      : [{ dir: root, paths }];
  const removed = await removedFlags(root);
  for (const key of [...live, ...archived, ...unparsed]) removed.delete(key);
  const scan = scanTrees(searched, keys, parseAliases(options.aliases, repo.policy.retire.codeAliases), {
    sdkMethods: [...repo.policy.refs.sdkMethods, ...(options.sdkMethod ?? [])],
    deadKeys: [...archived, ...removed.keys()],
    unknown: true,
  });
  const known = new Set([...live, ...unparsed]);
  const uses = scan.unknown.filter((u) => !known.has(u.key));
  return assemble({
    source: { repository: '.' },
    searched: describeSearched(searched, scan.filesPerTree, trees),
    trees,
    aliases: parseAliases(options.aliases, repo.policy.retire.codeAliases),
    keys,
    references: scan.references,
    unknown: classifyUnknown(uses, { live, archived, removed }),
    deprecated: new Set(),
  });
}

async function refsAgainstBundle(paths: string[], options: RefsOptions, bundle: string): Promise<RefsResult> {
  if (options.keyset === undefined && options.env !== undefined)
    throw new UsageError(
      '--env only applies with --keyset',
      'give --keyset to verify the bundle, or leave out --env',
    );
  const published = await publishedKeys(bundle, {
    ...(options.keyset ? { keyset: options.keyset } : {}),
    ...(options.env ? { env: options.env } : {}),
    now: resolveNow(options.now),
  });
  for (const key of options.key ?? [])
    if (!published.keys.includes(key)) throw new UsageError(`the bundle serves no key "${key}"`);
  const keys = options.key ?? published.keys;
  const trees: CodeTrees = { trees: (options.tree ?? []).map((t) => parseTree(t)), notSearched: [] };
  if (trees.trees.length > 0 && paths.length > 0)
    throw new UsageError(
      'paths and --tree exclude each other',
      'give the folders to search either way, not both',
    );
  const searched: SearchedTree[] =
    trees.trees.length > 0
      ? trees.trees.map((t) => ({ repository: t.name, dir: t.dir, paths: [], exclude: [] }))
      : [{ dir: process.cwd(), paths, exclude: [] }];
  const aliases = parseAliases(options.aliases, []);
  const scan = scanTrees(searched, keys, aliases, { sdkMethods: options.sdkMethod ?? [], unknown: true });
  const served = new Set(published.keys);
  const uses = scan.unknown.filter((u) => !served.has(u.key));
  return assemble({
    source: {
      bundle,
      verified: published.verified,
      ...(published.environment ? { environment: published.environment } : {}),
    },
    searched: describeSearched(searched, scan.filesPerTree, trees),
    trees,
    aliases,
    keys,
    references: scan.references,
    unknown: classifyUnknown(uses, { live: published.keys, published: true }),
    deprecated: published.deprecated,
  });
}

function parseTree(option: string): { name: string; dir: string } {
  const tree = resolveTrees('.', { refs: { repositories: [], sdkMethods: [] } }, [option]).trees[0];
  if (!tree) throw new UsageError(`--tree ${option}: not a folder`);
  return tree;
}

function describeSearched(searched: readonly SearchedTree[], files: readonly number[], trees: CodeTrees) {
  return searched.map((t, i) => ({
    ...(t.repository === undefined ? {} : { repository: t.repository }),
    path:
      t.repository === undefined
        ? t.paths.length > 0
          ? t.paths.join(' ')
          : '.'
        : (trees.trees[i]?.dir ?? t.dir),
    files: files[i] ?? 0,
  }));
}

function assemble(input: {
  source: RefsResult['source'];
  searched: RefsResult['searched'];
  trees: CodeTrees;
  aliases: AliasForm[];
  keys: readonly string[];
  references: CodeReference[];
  unknown: UnknownKey[];
  deprecated: ReadonlySet<string>;
}): RefsResult {
  const flags = usageByFlag(input.keys, input.references);
  return {
    version: 2,
    source: input.source,
    searched: input.searched,
    notSearched: input.trees.notSearched,
    aliases: input.aliases,
    flags,
    references: input.references,
    unreferenced: unreferencedKeys(flags),
    unknown: input.unknown,
    deprecated: input.references.filter((r) => isEvidence(r) && input.deprecated.has(r.key)),
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const where = (r: { repository?: string; file: string; line: number; col: number }) =>
  `${r.repository === undefined ? '' : `${r.repository}:`}${r.file}:${r.line}:${r.col}`;

function reasonText(u: UnknownKey): string {
  switch (u.reason) {
    case 'removed': {
      const removal = u.removedIn as Removal;
      return `its flag was removed in ${removal.commit.slice(0, 12)} (${removal.date.slice(0, 10)}, "${removal.subject}")`;
    }
    case 'archived':
      return 'its flag is archived';
    case 'typo':
      return `no such flag; did you mean ${u.suggestion}?`;
    case 'not-published':
      return 'not in the bundle';
    default:
      return 'no flag has ever had this key';
  }
}

function renderText(result: RefsResult): string {
  const lines = result.references.map(
    (r) =>
      `${where(r)}  ${r.key}  ${r.match}${r.method ? ` ${r.method}` : ''}${r.spelling === 'key' ? '' : ` ${r.text} (${r.spelling}; looks alike, not counted)`}`,
  );
  for (const u of result.unknown)
    lines.push(`${where(u)}  ${u.key}  unknown key${u.method ? ` (${u.method})` : ''}: ${reasonText(u)}`);
  for (const r of result.deprecated) lines.push(`${where(r)}  ${r.key}  warning: the flag is deprecated`);
  const evidence = result.references.filter(isEvidence).length;
  const used = result.flags.filter((f) => f.references > 0).length;
  const files = result.searched.reduce((sum, s) => sum + s.files, 0);
  const lookalikes = result.references.length - evidence;
  const perRepo =
    result.searched.some((s) => s.repository !== undefined) && result.flags.some((f) => f.references > 0)
      ? `\n${result.flags
          .filter((f) => f.references > 0)
          .map((f) => `${f.key}: ${f.repositories.map((r) => `${r.repository} ${r.references}`).join(', ')}`)
          .join('\n')}`
      : '';
  lines.push(
    `${plural(evidence, 'reference')} to ${used} of ${plural(result.flags.length, 'flag')} in ${plural(files, 'file')}${lookalikes > 0 ? ` (and ${plural(lookalikes, 'name')} that only look${lookalikes === 1 ? 's' : ''} like a key, not counted)` : ''}${result.unreferenced.length > 0 ? `; no references left to: ${result.unreferenced.join(', ')}` : ''}${result.unknown.length > 0 ? `; ${plural(result.unknown.length, 'use')} of unknown keys` : ''}${perRepo}`,
  );
  if (result.notSearched.length > 0)
    lines.push(`not searched (no clone given with --tree): ${result.notSearched.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function annotations(result: RefsResult): string {
  const file = (r: { repository?: string; file: string }) => r.file;
  return [
    ...result.unknown.map((u) =>
      annotation({
        severity: 'error',
        code: 'refs/unknown-key',
        file: file(u),
        line: u.line,
        col: u.col,
        message: `${u.key}: ${reasonText(u)}`,
      }),
    ),
    ...result.deprecated.map((r) =>
      annotation({
        severity: 'warning',
        code: 'refs/deprecated-flag',
        file: file(r),
        line: r.line,
        col: r.col,
        message: `${r.key} is deprecated: remove this use before the flag is archived`,
      }),
    ),
  ].join('');
}
