import { type Agreement, contractsOf } from './model.js';

/**
 * One agreement often covers several products. CRMs export it once per product (line items) or
 * with the products in one cell ("PLAN-ENTERPRISE; SKU-AUDIT-LOG"); both read as one agreement
 * with a list of contracts. Rows of one agreement must agree on everything else: a line item
 * that says another status or end date is a contradiction the export has to settle.
 */

/** The products of one cell: separated by semicolons, vertical bars, commas or whitespace. */
export const splitContracts = (cell: string): string[] => [
  ...new Set(cell.split(/[;|,\s]+/).filter((part) => part !== '')),
];

/** Merges a later line item into the agreement; a string says why it cannot be merged. */
export function mergeLineItem(into: Agreement, item: Agreement): string | undefined {
  if (item.status !== into.status || item.rawStatus !== into.rawStatus)
    return `says status "${item.rawStatus}" where line ${into.line} says "${into.rawStatus}"`;
  if (item.endDate !== into.endDate)
    return `says end date ${item.endDate ?? '(none)'} where line ${into.line} says ${into.endDate ?? '(none)'}`;
  const had = contractsOf(into);
  const added = contractsOf(item).filter((c) => !had.includes(c));
  if (added.length === 0) return 'adds no product';
  into.contracts = [...had, ...added];
  into.contract = into.contracts[0];
  return undefined;
}
