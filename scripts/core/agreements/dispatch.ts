import type { Policy } from '../model/policy.js';
import type { Agreement, AgreementProblem } from './model.js';
import { parseAgreements } from './parse.js';
import { parseStripe } from './stripe.js';

/**
 * A repository_dispatch event a CRM or billing relay sends: its client_payload is either one
 * organization with its agreements, `{ "organization": "org_…", "agreements": [rows as in the JSON
 * export] }`, or a billing event, `{ "stripe": <a customer.subscription.* event> }`. Either way the
 * run reconciles that one organization and no other.
 */

export interface Dispatch {
  organization: string;
  agreements: Agreement[];
}

export type DispatchResult = { dispatch: Dispatch } | { problem: AgreementProblem };

const HINT =
  'send client_payload {"organization": "org_…", "agreements": [...]} or {"stripe": <customer.subscription.* event>}; see docs/contracts.md';

export function parseDispatch(file: string, text: string, policy: Policy): DispatchResult {
  const refuse = (message: string, hint = HINT): DispatchResult => ({
    problem: { file, line: 1, col: 1, message, hint },
  });
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    return refuse(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const payload = isObject(event) ? event.client_payload : undefined;
  if (!isObject(payload)) return refuse('the event has no client_payload object');
  // The payload's parts are read as exports of their own; positions are within the part, as written here.
  const part = (name: string, value: unknown) => ({
    name: `${file} (client_payload.${name})`,
    text: JSON.stringify(value, null, 2),
  });
  let parsed: { agreements: Agreement[]; problems: AgreementProblem[] };
  let organization: string | undefined;
  if (payload.stripe !== undefined) {
    const p = part('stripe', payload.stripe);
    parsed = parseStripe(p.name, p.text, policy);
    const orgs = [...new Set(parsed.agreements.map((a) => a.org))];
    if (parsed.problems.length === 0 && orgs.length !== 1)
      return refuse(
        `the billing event names ${orgs.length === 0 ? 'no organization' : `${orgs.length} organizations (${orgs.join(', ')})`}`,
        "send one customer.subscription.* event whose customer's metadata names the organization",
      );
    organization = orgs[0];
  } else {
    if (typeof payload.organization !== 'string' || payload.organization === '')
      return refuse('client_payload.organization is missing');
    if (!Array.isArray(payload.agreements)) return refuse('client_payload.agreements is not an array');
    organization = payload.organization;
    const rows = payload.agreements.map((row) =>
      isObject(row) && row.organization === undefined && row.org === undefined
        ? { organization, ...row }
        : row,
    );
    const p = part('agreements', rows);
    parsed = parseAgreements(p.name, p.text);
    const other = parsed.agreements.find((a) => a.org !== organization);
    if (other)
      return {
        problem: {
          file: `${file} (client_payload.agreements)`,
          line: other.line,
          col: 1,
          message: `an agreement of ${other.org} in a dispatch for ${organization}`,
          hint: 'a dispatch carries one organization and only its agreements',
        },
      };
  }
  const first = parsed.problems[0];
  if (first) return { problem: first };
  return { dispatch: { organization: organization!, agreements: parsed.agreements } };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
