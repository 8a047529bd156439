import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAgreements } from '../../scripts/core/agreements/parse.js';
import { looksLikeStripe, parseStripe } from '../../scripts/core/agreements/stripe.js';
import { analyzePolicy } from '../../scripts/core/check/analyze-policy.js';
import { EXAMPLE_ROOT, FIXTURES } from '../helpers/gitdir.js';

const policy = analyzePolicy(
  'flags/_policy.yaml',
  readFileSync(join(EXAMPLE_ROOT, 'flags/_policy.yaml')),
).policy;
const fixture = (name: string) => readFileSync(join(FIXTURES, 'contracts', name), 'utf8');

describe('an export that lists one agreement once per product', () => {
  const parsed = parseAgreements('agreements.csv', fixture('line-items/agreements.csv'));

  it('reads the line items, and several products in one cell, as one agreement', () => {
    expect(
      parsed.agreements.slice(0, 2).map((a) => [a.org, a.agreement, a.endDate, a.contract, a.contracts]),
    ).toEqual([
      [
        'org_globex7731',
        'ORD-2026-0412',
        '2027-04-30',
        'PLAN-ENTERPRISE',
        ['PLAN-ENTERPRISE', 'SKU-ANALYTICS-PRO'],
      ],
      [
        'org_initech2210',
        'MSA-2025-0342',
        undefined,
        'SKU-AUDIT-EXPORT',
        ['SKU-AUDIT-EXPORT', 'SKU-PREMIER-SUPPORT', 'SKU-API-SCALE'],
      ],
    ]);
  });

  it('refuses line items of one agreement that disagree on its status, at the row', () => {
    expect(parsed.problems).toEqual([
      {
        file: 'agreements.csv',
        line: 7,
        col: 1,
        message:
          'agreement MSA-2025-0088 of org_umbrella5521 is listed twice (also on line 6) and says status "Terminated" where line 6 says "Active"',
        hint: 'export each agreement once, or once per product with the same status and end date',
      },
    ]);
  });
});

describe('Stripe subscriptions as agreements', () => {
  it('maps statuses as a billing team reads them, prices and products to plans, metadata to organizations', () => {
    const text = fixture('stripe/subscriptions.json');
    expect(looksLikeStripe(text)).toBe(true);
    const parsed = parseStripe('subscriptions.json', text, policy);
    expect(parsed.problems).toEqual([]);
    expect(
      parsed.agreements.map((a) => [
        a.org,
        a.agreement,
        a.status,
        a.rawStatus,
        a.endDate,
        a.contracts ?? a.contract,
        a.line,
      ]),
    ).toEqual([
      // trialing: in force through the day before trial_end
      ['org_wonka30417', 'TRIAL-2026-0300', 'active', 'trialing', '2026-12-07', 'PLAN-TEAM', 6],
      // active: open-ended; the seats item maps to no plan
      [
        'org_stark55012',
        'ORD-2026-0412',
        'active',
        'active',
        undefined,
        ['PLAN-ENTERPRISE', 'SKU-ANALYTICS-PRO'],
        36,
      ],
      // past_due: 14 grace days from the unpaid period's start (2026-11-10); customer not expanded
      ['org_cyberdyne2029', 'ORD-2026-0530', 'active', 'past_due', '2026-11-24', 'SKU-PREMIER-SUPPORT', 81],
      // cancel_at_period_end: through the period's last day; no order form, so the subscription id
      [
        'org_umbrella5521',
        'sub_1QCancelUmbr0001',
        'active',
        'active',
        '2026-12-07',
        'SKU-ANALYTICS-PRO',
        105,
      ],
      // canceled: ended with the period paid for
      ['org_hooli40921', 'ORD-2026-0203', 'active', 'canceled', '2026-10-23', 'SKU-PREMIER-SUPPORT', 134],
    ]);
  });

  it('reads a customer.subscription.updated event with periods on the subscription (API before 2025-03-31)', () => {
    const parsed = parseStripe('event.json', fixture('stripe/event-updated.json'), policy);
    expect(parsed.problems).toEqual([]);
    expect(parsed.agreements).toEqual([
      {
        org: 'org_wonka30417',
        agreement: 'ORD-2026-0501',
        status: 'active',
        rawStatus: 'active',
        contract: 'PLAN-ENTERPRISE',
        line: 9,
      },
    ]);
  });

  it('refuses a subscription that names no organization, at its position, saying where to put the id', () => {
    const text =
      '[\n  {"id": "sub_1", "object": "subscription", "status": "active", "customer": "cus_1", "items": {"data": []}}\n]';
    expect(parseStripe('s.json', text, policy).problems).toEqual([
      {
        file: 's.json',
        line: 2,
        col: 3,
        message:
          'subscription sub_1 names no organization (no metadata.org_id on its unexpanded customer nor the subscription)',
        hint: 'set metadata.org_id on the customer (and export with expand[]=data.customer) or on the subscription',
      },
    ]);
  });

  it('refuses other event types instead of guessing', () => {
    const text = '{"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {}}}';
    expect(parseStripe('e.json', text, policy).problems[0]!.message).toBe(
      'event evt_1 is a invoice.paid event',
    );
  });

  it('keeps the latest of several events for one subscription, whatever their order', () => {
    const event = (created: number, status: string) =>
      `{"object": "event", "type": "customer.subscription.updated", "created": ${created}, "data": {"object": {"id": "sub_9", "object": "subscription", "status": "${status}", "metadata": {"org_id": "org_wonka30417"}, "items": {"data": []}}}}`;
    const parsed = parseStripe('e.json', `[${event(20, 'unpaid')}, ${event(10, 'active')}]`, policy);
    expect(parsed.agreements.map((a) => [a.rawStatus, a.status])).toEqual([['unpaid', 'ended']]);
  });
});
