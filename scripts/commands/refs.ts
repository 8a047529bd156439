import type { Command } from 'commander';
import { ALIAS_FORMS, type AliasForm } from '../core/refs/aliases.js';
import { isEvidence } from '../core/refs/find.js';
import { loadRepository, validFlags } from '../adapters/repository.js';
import { scanReferences } from '../adapters/source-files.js';
import { UsageError } from '../errors.js';
import { resolveFlagsRoot, withRepo } from './common.js';

interface RefsOptions {
  repo: string;
  json?: boolean;
  key?: string[];
  aliases?: string;
}

export function registerRefs(program: Command): void {
  const command = program
    .command('refs')
    .description(
      'list file:line usages of flag keys in source code: the key as a string literal; aliases are shown, not counted',
    )
    .argument('[paths...]', 'files or folders to search (default: the repository, without flags/)')
    .option('--key <key...>', 'only these flag keys')
    .option(
      '--aliases <forms>',
      `comma-separated alias forms (${ALIAS_FORMS.join(', ')}; "none" for literals only; default: policy retire.codeAliases)`,
    )
    .option('--json', 'machine-readable output');
  withRepo(command);
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

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function runRefs(paths: string[], options: RefsOptions): Promise<number> {
  const root = resolveFlagsRoot(options.repo);
  const repo = await loadRepository(root);
  const flags = validFlags(repo);
  const known = new Set(flags.map((f) => f.flag.key));
  const keys = options.key ?? [...known].sort();
  for (const key of keys)
    if (!known.has(key)) throw new UsageError(`no flag has the key "${key}"`, 'list keys with flags check');
  const aliases = parseAliases(options.aliases, repo.policy.retire.codeAliases);
  const { references, files } = scanReferences(root, paths, keys, aliases);
  // Only evidence counts: a name that merely looks like a key keeps no flag alive.
  const evidence = references.filter(isEvidence);
  const used = new Set(evidence.map((r) => r.key));
  const unreferenced = keys.filter((k) => !used.has(k));
  const lookalikes = references.length - evidence.length;
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ version: 1, searched: paths.length > 0 ? paths : ['.'], files, aliases, references, unreferenced }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = references.map(
    (r) =>
      `${r.file}:${r.line}:${r.col}  ${r.key}  ${r.match}${r.spelling === 'key' ? '' : ` ${r.text} (${r.spelling}; looks alike, not counted)`}`,
  );
  lines.push(
    `${plural(evidence.length, 'reference')} to ${used.size} of ${plural(keys.length, 'flag')} in ${plural(files, 'file')}${lookalikes > 0 ? ` (and ${plural(lookalikes, 'name')} that only look${lookalikes === 1 ? 's' : ''} like a key, not counted)` : ''}${unreferenced.length > 0 ? `; no references left to: ${unreferenced.join(', ')}` : ''}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
