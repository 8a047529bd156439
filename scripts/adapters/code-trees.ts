import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Policy } from '../core/model/policy.js';
import { UsageError } from '../errors.js';

/**
 * The clones of the consuming repositories to search: `--tree <name>=<path>` (a workflow's checkout)
 * or the policy's `refs.repositories[].path`, relative to the flags repository. A repository the
 * policy names without a clone on disk is listed as not searched.
 */

export interface CodeTree {
  name: string;
  dir: string;
}

export interface CodeTrees {
  trees: CodeTree[];
  /** Repositories the policy names that have no clone here. */
  notSearched: string[];
}

export function parseTreeOption(value: string): CodeTree {
  const at = value.indexOf('=');
  const name = at > 0 ? value.slice(0, at) : '';
  const path = at > 0 ? value.slice(at + 1) : '';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name) || path === '')
    throw new UsageError(
      `--tree "${value}" is not <name>=<path>`,
      'e.g. --tree web=../web (the clone of the web repository)',
    );
  return { name, dir: path };
}

export function resolveTrees(
  root: string,
  policy: Pick<Policy, 'refs'>,
  options: readonly string[] = [],
): CodeTrees {
  const named = policy.refs.repositories;
  const given = new Map<string, string>();
  for (const option of options) {
    const tree = parseTreeOption(option);
    if (given.has(tree.name))
      throw new UsageError(`--tree ${tree.name} is given twice`, 'give each repository once');
    if (named.length > 0 && !named.some((r) => r.name === tree.name))
      throw new UsageError(
        `the policy names no repository "${tree.name}"`,
        `use one of ${named.map((r) => r.name).join(', ')}, or add it to refs.repositories in flags/_policy.yaml`,
      );
    given.set(tree.name, resolve(tree.dir));
  }
  const trees: CodeTree[] = [];
  const notSearched: string[] = [];
  const names = [...new Set([...named.map((r) => r.name), ...given.keys()])];
  for (const name of names) {
    const configured = named.find((r) => r.name === name)?.path;
    const dir = given.get(name) ?? (configured === undefined ? undefined : resolve(root, configured));
    if (dir === undefined || !isDirectory(dir)) {
      if (given.has(name))
        throw new UsageError(`--tree ${name}: ${dir} is not a folder`, 'give the path of its clone');
      notSearched.push(name);
    } else trees.push({ name, dir: realpathSync(dir) }); // a clone reached through a link is searched, not skipped as one
  }
  return { trees, notSearched };
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
