import type { Grant } from './flag.js';

/**
 * A grant rests on one agreement (`agreement`) or on several at once (`agreements`: a master
 * agreement and an add-on order form); it stays in force while any of them is.
 */
export const agreementsOf = (grant: Pick<Grant, 'agreement' | 'agreements'>): readonly string[] =>
  grant.agreements ?? (grant.agreement === undefined ? [] : [grant.agreement]);

/** How bundles, reports and messages write a grant's agreements: "MSA-2024-0117 + ORD-2026-0412". */
export const agreementLabel = (grant: Pick<Grant, 'agreement' | 'agreements'>): string | undefined => {
  const list = agreementsOf(grant);
  return list.length === 0 ? undefined : list.join(' + ');
};
