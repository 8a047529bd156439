import type { Command } from 'commander';
import { ALIAS_FORMS, type AliasForm } from '../core/refs/aliases.js';
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
    .description('list file:line usages of flag keys in source code (string literals and aliases)')
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
  const used = new Set(references.map((r) => r.key));
  const unreferenced = keys.filter((k) => !used.has(k));
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ version: 1, searched: paths.length > 0 ? paths : ['.'], files, aliases, references, unreferenced }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = references.map(
    (r) =>
      `${r.file}:${r.line}:${r.col}  ${r.key}${r.spelling === 'key' ? '' : `  (${r.spelling}: ${r.text})`}`,
  );
  lines.push(
    `${references.length} reference${references.length === 1 ? '' : 's'} to ${used.size} of ${keys.length} flag${keys.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}${unreferenced.length > 0 ? `; no references left to: ${unreferenced.join(', ')}` : ''}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
