import { z } from 'zod';
import { ISO_DATE_PATTERN } from './constants.js';

export { ORGANIZATIONS_DIR } from './constants.js';

/**
 * An organization's subscription file (flags/_organizations/<org-id>.yaml): the plans it holds and
 * the agreements it holds them under. A plan granted to thousands of organizations then costs one
 * line per organization, in a file of its own, instead of thousands of grants in each flag file,
 * and a customer's change is one file in one pull request. The plans (policy `plans:`) say which
 * flags each plan includes; compiling expands every subscription into the grants it stands for.
 */

const reference = z.string().min(1).max(128);

export const SubscriptionSchema = z
  .strictObject({
    plan: reference.describe('A plan, SKU or add-on declared under plans: in the policy.'),
    agreements: z
      .array(reference)
      .min(1)
      .max(16)
      .describe('The agreements the plan is held under; it stays in force while any of them is.'),
    expires: z
      .string()
      .regex(new RegExp(ISO_DATE_PATTERN))
      .optional()
      .describe('Last day the plan applies (a trial, a fixed-term order form).'),
    note: z.string().max(500).optional(),
  })
  .describe('One plan an organization holds.');

export const OrganizationSchema = z
  .strictObject({
    organization: z.string().min(1).max(128).describe('The organization id; equals the file name.'),
    name: z.string().min(1).max(200).optional().describe('The customer, for people.'),
    subscriptions: z.array(SubscriptionSchema).max(256),
  })
  .meta({
    title: 'Organization subscriptions',
    description: 'The plans one organization holds and the agreements behind them.',
  });

export type Organization = z.infer<typeof OrganizationSchema>;
export type Subscription = z.infer<typeof SubscriptionSchema>;
