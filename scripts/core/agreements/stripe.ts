import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode, type YAMLMap } from 'yaml';
import { addDays, fromDayNumber, type IsoDate } from '../dates.js';
import type { Policy } from '../model/policy.js';
import type { Agreement, AgreementProblem, AgreementStatus } from './model.js';
import type { ParsedAgreements } from './parse.js';

/**
 * Reads Stripe subscriptions as agreements: a subscription object, a list of them (an array, or the
 * `{ "object": "list", "data": [...] }` page the API returns), or `customer.subscription.*` event
 * payloads (one, or an array, as a billing relay forwards them). Each subscription is one
 * agreement:
 * - the organization: the customer's metadata (customer expanded) or else the subscription's, under
 *   the policy's `contracts.stripe.organizationKey`;
 * - the reference: the subscription's metadata under `agreementKey` (the order form) or its id;
 * - the contracts: each item's price id, else its product id, through `contracts.stripe.prices`
 *   (items the policy does not map, such as seats or usage meters, sell no flags);
 * - the status, as a billing team reads it: `trialing` is in force through the day before
 *   `trial_end`; `active` is in force, until the period's end when `cancel_at_period_end` (or
 *   until `cancel_at`); `past_due` stays in force for the policy's `pastDueGraceDays` from the
 *   start of the unpaid period; `canceled` ends at the end of the period paid for;
 *   `incomplete` is pending; `incomplete_expired`, `unpaid` and `paused` have ended.
 * Periods are read from the items (API versions from 2025-03-31) or the subscription (earlier).
 * A period ending at an instant leaves its last day as the day before that instant (UTC).
 */

type Json = Record<string, unknown>;

const DAY_S = 86_400;

/** The last day (UTC) a period that ends at `seconds` covers. */
const lastDayBefore = (seconds: number): IsoDate => fromDayNumber(Math.floor((seconds - 1) / DAY_S));
const dayOf = (seconds: number): IsoDate => fromDayNumber(Math.floor(seconds / DAY_S));

export function looksLikeStripe(text: string): boolean {
  return /"object"\s*:\s*"(subscription|event|list)"/.test(text.slice(0, 4096));
}

export function parseStripe(file: string, text: string, policy: Policy): ParsedAgreements {
  const problems: AgreementProblem[] = [];
  try {
    JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      file,
      agreements: [],
      problems: [{ file, line: 1, col: 1, message: `not valid JSON: ${message}` }],
    };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, version: '1.2', uniqueKeys: false });
  const at = (node: YamlNode | null | undefined) => {
    const pos = lines.linePos(node?.range?.[0] ?? 0);
    return { line: pos.line, col: pos.col };
  };
  const subscriptions: { node: YAMLMap; value: Json; created: number }[] = [];
  const take = (node: unknown) => {
    if (!isMap(node)) {
      problems.push({
        file,
        ...at(node as YamlNode),
        message: 'expected a Stripe subscription or event object',
      });
      return;
    }
    const value = node.toJSON() as Json;
    const data = node.get('data', true);
    if (value.object === 'list' && isSeq(data)) {
      for (const item of data.items) take(item);
      return;
    }
    if (value.object === 'event') {
      const type = String(value.type ?? '');
      const object = (node.get('data', true) as YAMLMap | undefined)?.get('object', true);
      if (!type.startsWith('customer.subscription.') || !isMap(object)) {
        problems.push({
          file,
          ...at(node),
          message: `event ${String(value.id ?? '')} is a ${type || 'untyped'} event`,
          hint: 'send customer.subscription.* events (created, updated, deleted, trial_will_end, paused, resumed)',
        });
        return;
      }
      subscriptions.push({ node: object, value: object.toJSON() as Json, created: num(value.created) ?? 0 });
      return;
    }
    if (value.object !== 'subscription') {
      problems.push({
        file,
        ...at(node),
        message: `expected a Stripe subscription, found object "${String(value.object ?? '(none)')}"`,
        hint: 'export subscriptions (GET /v1/subscriptions?status=all&expand[]=data.customer) or forward subscription events',
      });
      return;
    }
    subscriptions.push({ node, value, created: 0 });
  };
  const root = doc.contents;
  if (isSeq(root)) for (const item of root.items) take(item);
  else take(root);

  // Events may arrive more than once and out of order: the latest event for a subscription wins.
  const latest = new Map<string, (typeof subscriptions)[number]>();
  for (const s of subscriptions) {
    const id = String(s.value.id ?? '');
    const seen = latest.get(id);
    if (seen && seen.created === 0 && s.created === 0) {
      problems.push({
        file,
        ...at(s.node),
        message: `subscription ${id} is listed twice`,
        hint: 'list each subscription once',
      });
      continue;
    }
    if (!seen || s.created >= seen.created) latest.set(id, s);
  }
  const agreements: Agreement[] = [];
  for (const s of latest.values()) {
    const result = toAgreement(s.value, policy, at(s.node).line);
    if ('message' in result) problems.push({ file, ...at(s.node), ...result });
    else agreements.push(result);
  }
  return { file, agreements, problems };
}

const orgHint = (policy: Policy) => {
  const key = policy.contracts?.stripe?.organizationKey ?? 'org_id';
  return `set metadata.${key} on the customer (and export with expand[]=data.customer) or on the subscription`;
};

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Json | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function toAgreement(sub: Json, policy: Policy, line: number): Agreement | { message: string; hint: string } {
  const stripe = policy.contracts?.stripe;
  const orgKey = stripe?.organizationKey ?? 'org_id';
  const id = str(sub.id) ?? '(no id)';
  const customer = obj(sub.customer);
  const org = str(obj(customer?.metadata)?.[orgKey]) ?? str(obj(sub.metadata)?.[orgKey]);
  if (!org)
    return {
      message: `subscription ${id} names no organization (no metadata.${orgKey} on ${customer ? 'its customer or ' : 'its unexpanded customer nor '}the subscription)`,
      hint: orgHint(policy),
    };
  const reference = (stripe?.agreementKey && str(obj(sub.metadata)?.[stripe.agreementKey])) || id;
  const items = (obj(sub.items)?.data as unknown[] | undefined) ?? [];
  const contracts: string[] = [];
  let periodStart = num(sub.current_period_start);
  let periodEnd = num(sub.current_period_end);
  for (const raw of items) {
    const item = obj(raw);
    if (!item) continue;
    const price = obj(item.price) ?? obj(item.plan);
    const product = str(price?.product) ?? str(obj(price?.product)?.id);
    const plan = [str(price?.id), product].map((k) => (k ? stripe?.prices[k] : undefined)).find(Boolean);
    if (plan && !contracts.includes(plan)) contracts.push(plan);
    const start = num(item.current_period_start);
    const end = num(item.current_period_end);
    if (start !== undefined) periodStart = Math.min(periodStart ?? start, start);
    if (end !== undefined) periodEnd = Math.max(periodEnd ?? end, end);
  }
  const rawStatus = str(sub.status) ?? '(none)';
  const ends = (status: AgreementStatus, endDate?: IsoDate): Agreement => {
    const a: Agreement = { org, agreement: reference, status, rawStatus, line };
    if (endDate !== undefined) a.endDate = endDate;
    if (contracts.length > 0) a.contract = contracts[0];
    if (contracts.length > 1) a.contracts = contracts;
    return a;
  };
  const cancelAt = num(sub.cancel_at);
  switch (rawStatus) {
    case 'trialing': {
      const trialEnd = num(sub.trial_end);
      return ends('active', trialEnd !== undefined ? lastDayBefore(trialEnd) : undefined);
    }
    case 'active':
      if (sub.cancel_at_period_end === true && periodEnd !== undefined)
        return ends('active', lastDayBefore(periodEnd));
      return ends('active', cancelAt !== undefined ? lastDayBefore(cancelAt) : undefined);
    case 'past_due': {
      const grace = policy.contracts?.pastDueGraceDays ?? 14;
      return ends('active', periodStart !== undefined ? addDays(dayOf(periodStart), grace) : undefined);
    }
    case 'canceled': {
      const end = periodEnd ?? num(sub.ended_at) ?? num(sub.canceled_at);
      return end !== undefined ? ends('active', lastDayBefore(end)) : ends('ended');
    }
    case 'incomplete':
      return ends('pending');
    case 'incomplete_expired':
    case 'unpaid':
    case 'paused':
      return ends('ended');
    default:
      return {
        message: `subscription ${id} has status "${rawStatus}", which Stripe does not define`,
        hint: 'export subscriptions as the Stripe API returns them',
      };
  }
}
