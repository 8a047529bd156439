import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { UsageExport } from '../core/usage/model.js';
import { parseUsage } from '../core/usage/parse.js';
import { InputError, UsageError } from '../errors.js';

/**
 * Reads `--usage <export>` (relative to the repository). Refused whole at its first problem: a row
 * left out would make a flag in use look unused, and the bot would propose archiving it.
 */
export function readUsageExport(root: string, file: string): UsageExport {
  let text: string;
  try {
    text = readFileSync(resolve(root, file), 'utf8');
  } catch {
    throw new UsageError(`cannot read the usage export ${file}`, 'pass --usage <file> (CSV or JSON)');
  }
  const parsed = parseUsage(file, text);
  const first = parsed.problems[0];
  if (first) {
    const more = parsed.problems.length > 1 ? ` (and ${parsed.problems.length - 1} more problems)` : '';
    throw new InputError(`${first.message}${more}`, {
      location: { file: first.file, line: first.line, col: first.col },
      hint: first.hint ?? 'fix the usage export; none of it is used until all of it reads',
    });
  }
  return parsed.usage;
}
