import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../core/findings/finding.js';
import { archivedDeletions } from '../core/rules/archived-deleted.js';
import { gitAt, readAt } from './git.js';
import { FLAGS_DIR } from './repo-files.js';

/** Flag files changed since the base that are gone now and were archived there (one git read each). */
export async function archivedDeletionsSince(
  root: string,
  changed: { base: string; files: ReadonlySet<string> },
  ref: string,
): Promise<Finding[]> {
  const gone = [...changed.files].filter(
    (f) => f.startsWith(`${FLAGS_DIR}/`) && /\.ya?ml$/.test(f) && !existsSync(join(root, f)),
  );
  if (gone.length === 0) return [];
  const git = gitAt(root);
  const deleted: { file: string; text: string }[] = [];
  for (const file of gone.sort()) {
    const bytes = await readAt(git, changed.base, file);
    if (bytes) deleted.push({ file, text: Buffer.from(bytes).toString('utf8') });
  }
  return archivedDeletions(deleted, ref);
}
