import { Document, isMap, isSeq, parseDocument, type YAMLMap } from 'yaml';
import type { Organization, Subscription } from '../model/organization.js';
import { EditError, parseValue, sameData } from '../edit/verify.js';

/**
 * Writes an organization's subscriptions into its file, keeping what people wrote around them: the
 * comments, the name, and each subscription that stays with its own comments (its fields are
 * updated in place). New subscriptions are appended; gone ones are removed. The result is parsed
 * back and must hold exactly the subscriptions asked for.
 */

const HEADER = '# yaml-language-server: $schema=../../schemas/organization.schema.json\n';

export function writeSubscriptions(
  text: string | undefined,
  org: string,
  subscriptions: readonly Subscription[],
): string {
  const expected: Organization = { organization: org, subscriptions: subscriptions.map(plain) };
  if (text === undefined) {
    const doc = new Document({ organization: org, subscriptions: expected.subscriptions });
    for (const item of (doc.get('subscriptions', true) as { items: YAMLMap[] }).items) {
      const agreements = item.get('agreements', true);
      if (isSeq(agreements)) agreements.flow = true;
    }
    return verified(`${HEADER}${doc.toString({ lineWidth: 0, flowCollectionPadding: false })}`, expected);
  }
  const doc = parseDocument(text, { version: '1.2', uniqueKeys: true });
  if (doc.errors.length > 0)
    throw new EditError(`cannot edit a file that does not parse: ${doc.errors[0]!.message}`);
  const before = doc.toJS({ maxAliasCount: 0 }) as Record<string, unknown>;
  let seq = doc.get('subscriptions', true);
  if (!isSeq(seq)) {
    doc.set('subscriptions', doc.createNode([]));
    seq = doc.get('subscriptions', true);
  }
  const list = seq as { items: unknown[] };
  // Subscriptions that stay keep their node, and with it their comments; the order is the plan's.
  const existing = new Map<string, YAMLMap>();
  for (const item of list.items)
    if (isMap(item) && !existing.has(String(item.get('plan')))) existing.set(String(item.get('plan')), item);
  list.items = subscriptions.map((s) => {
    const item = existing.get(s.plan);
    if (!item) {
      const node = doc.createNode(plain(s)) as YAMLMap;
      const agreements = node.get('agreements', true);
      if (isSeq(agreements)) agreements.flow = true;
      return node;
    }
    const current = item.get('agreements', true);
    if (!sameData(isSeq(current) ? current.toJSON() : undefined, s.agreements)) {
      const node = doc.createNode(s.agreements);
      node.flow = isSeq(current) ? current.flow : true;
      item.set('agreements', node);
    }
    if (s.expires === undefined) item.delete('expires');
    else item.set('expires', s.expires);
    return item;
  });
  const { name, ...rest } = before;
  const want = { ...rest, ...(name !== undefined ? { name } : {}), ...expected };
  return verified(doc.toString({ lineWidth: 0, flowCollectionPadding: false }), want);
}

function plain(s: Subscription): Subscription {
  const out: Subscription = { plan: s.plan, agreements: [...s.agreements] };
  if (s.expires !== undefined) out.expires = s.expires;
  if (s.note !== undefined) out.note = s.note;
  return out;
}

function verified(text: string, expected: Record<string, unknown>): string {
  const value = parseValue(text) as Record<string, unknown>;
  const normalize = (v: Record<string, unknown>) => ({
    ...v,
    subscriptions: (v.subscriptions as Subscription[]).map((s) => {
      const { note: _note, ...rest } = s;
      return rest;
    }),
  });
  if (!sameData(normalize(value), normalize(expected)))
    throw new EditError('the edited subscription file does not hold the planned subscriptions');
  return text;
}
