import { type GrantSelector, removeGrants } from '../edit/grants.js';
import { writeSubscriptions } from './edit-organization.js';
import type { OrganizationEvent, Reconciliation } from './model.js';

/**
 * The file edits that carry out a reconciliation: each organization's subscription file written
 * (or removed, when it holds no subscription any more), and the flag-file grants that are revoked
 * or moved into a subscription removed with comments and order kept (core/edit). Pure: the texts of
 * the files come in, the new texts go out (undefined: delete the file).
 */

export interface FileEdit {
  file: string;
  text: string | undefined;
}

/** The files an event's edits read. */
export function filesOf(event: OrganizationEvent): string[] {
  const files = new Set<string>([event.file]);
  for (const s of flagFileRemovals(event).keys()) files.add(s);
  return [...files].sort();
}

export function editsFor(plan: Reconciliation, texts: ReadonlyMap<string, string>): FileEdit[] {
  const edits = new Map<string, string | undefined>();
  const textOf = (file: string) => (edits.has(file) ? edits.get(file) : texts.get(file));
  for (const event of plan.organizations)
    for (const e of eventEdits(event, textOf)) edits.set(e.file, e.text);
  return [...edits.entries()]
    .map(([file, text]) => ({ file, text }))
    .sort((a, b) => (a.file < b.file ? -1 : 1));
}

export function eventEdits(
  event: OrganizationEvent,
  textOf: (file: string) => string | undefined,
): FileEdit[] {
  const out: FileEdit[] = [];
  if (event.fileChanges)
    out.push({
      file: event.file,
      text:
        event.subscriptions.length === 0
          ? undefined
          : writeSubscriptions(textOf(event.file), event.organization, event.subscriptions),
    });
  for (const [file, selectors] of flagFileRemovals(event)) {
    const text = textOf(file);
    if (text === undefined) continue;
    out.push({ file, text: removeGrants(text, selectors) });
  }
  return out;
}

/** Grants to remove from flag files: revoked there, or moved into the subscription file. */
function flagFileRemovals(event: OrganizationEvent): Map<string, GrantSelector[]> {
  const byFile = new Map<string, GrantSelector[]>();
  const add = (file: string, selector: GrantSelector) => {
    const list = byFile.get(file) ?? [];
    list.push(selector);
    byFile.set(file, list);
  };
  for (const m of event.moves) add(m.from, { env: m.environment, index: m.index, org: m.organization });
  for (const c of event.changes)
    if (c.action === 'revoke' && c.file !== event.file && c.index !== undefined)
      add(c.file, { env: c.environment, index: c.index, org: c.organization });
  return byFile;
}
