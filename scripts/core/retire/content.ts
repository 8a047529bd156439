import { removeGrants } from '../edit/grants.js';
import { setReviewed } from '../edit/reviewed.js';
import { setState } from '../edit/state.js';
import type { Change } from './model.js';

/** The flag file as the pull request leaves it: null when deleted, else the edited text. */
export function desiredContent(text: string, change: Change): string | null {
  if (change.kind === 'delete-file') return null;
  if (change.kind === 'set-state') return setState(text, change.state);
  let out = removeGrants(
    text,
    change.removeGrants.map((r) => ({ env: r.env, index: r.index, org: r.org })),
  );
  if (change.setReviewed) out = setReviewed(out, change.setReviewed);
  return out;
}
