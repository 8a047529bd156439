import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Dispatch, parseDispatch } from '../core/agreements/dispatch.js';
import type { Policy } from '../core/model/policy.js';
import { InputError, UsageError } from '../errors.js';

/** Reads a repository_dispatch event file (in GitHub Actions, $GITHUB_EVENT_PATH). */
export function readDispatch(root: string, file: string, policy: Policy): Dispatch {
  let text: string;
  try {
    text = readFileSync(resolve(root, file), 'utf8');
  } catch {
    throw new UsageError(`cannot read the dispatch event ${file}`, 'pass --dispatch "$GITHUB_EVENT_PATH"');
  }
  const result = parseDispatch(file, text, policy);
  if ('problem' in result) {
    const p = result.problem;
    throw new InputError(p.message, {
      location: { file: p.file, line: p.line, col: p.col },
      hint: p.hint ?? 'fix the relay; reconcile acts on none of the dispatch until all of it reads',
    });
  }
  return result.dispatch;
}
