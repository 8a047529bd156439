import { z } from 'zod';
import {
  FLAG_TYPES,
  ISO_DATE_PATTERN,
  VARIANT_NAME_PATTERN,
  FLAG_KEY_PATTERN,
  OWNER_PATTERN,
} from './constants.js';

/**
 * The flag file: one YAML file per flag under flags/. This zod schema is the single source of truth:
 * the TypeScript type, the published JSON Schema (schemas/flag.schema.json) and the ajv validator
 * all come from it.
 */

export {
  FLAG_KEY_PATTERN,
  FLAG_TYPES,
  type FlagType,
  ISO_DATE_PATTERN,
  isTemporary,
  OWNER_PATTERN,
  TEMPORARY_TYPES,
  VARIANT_NAME_PATTERN,
} from './constants.js';

const isoDate = z.string().regex(new RegExp(ISO_DATE_PATTERN)).describe('A calendar date, YYYY-MM-DD (UTC).');
const variantName = z.string().regex(new RegExp(VARIANT_NAME_PATTERN));
const reference = z.string().min(1).max(128);

export const VariantValueSchema = z
  .union([z.boolean(), z.string(), z.number(), z.record(z.string(), z.unknown())])
  .describe('A variant value: boolean, string, number or object. All variants of a flag share one type.');

export const GrantSchema = z
  .strictObject({
    org: z.string().min(1).max(128).describe('The organization id that receives the feature.'),
    agreement: reference
      .optional()
      .describe(
        'The customer agreement this grant reflects. Required for types whose policy requires agreements.',
      ),
    agreements: z
      .array(reference)
      .min(2)
      .max(16)
      .optional()
      .describe(
        'Instead of agreement: every agreement the grant rests on (a master agreement and an add-on order form); it stays in force while any of them is.',
      ),
    expires: isoDate.optional().describe('Last day the grant applies (trials, betas, support cases).'),
    ticket: reference
      .optional()
      .describe('A tracking reference, e.g. the support case behind a temporary grant.'),
    variant: variantName
      .optional()
      .describe('For flags with variants: the variant this organization receives.'),
    note: z.string().max(500).optional(),
  })
  .describe('One organization granted the feature in this environment.');

export const RolloutSchema = z
  .strictObject({
    percentage: z
      .number()
      .int()
      .min(0)
      .max(100)
      .describe('Share of organizations, bucketed as flagd fractional does.'),
    variant: variantName
      .optional()
      .describe('For flags with variants: the variant served to the rolled-out share.'),
  })
  .describe('A deterministic percentage rollout over organizations.');

export const EnvironmentSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .describe('Off means every organization gets the off value (false, or defaultVariant).'),
    default: z
      .union([z.boolean(), variantName])
      .optional()
      .describe(
        'Value for organizations not granted: true/false for boolean flags, a variant name otherwise.',
      ),
    grants: z.array(GrantSchema).max(10000).optional(),
    rollout: RolloutSchema.optional(),
  })
  .describe('How the flag behaves in one environment declared by the policy.');

export const FlagSchema = z
  .strictObject({
    key: z
      .string()
      .regex(new RegExp(FLAG_KEY_PATTERN))
      .max(100)
      .describe('Lowercase kebab-case; equals the file name.'),
    description: z.string().min(1).max(2000),
    owner: z
      .string()
      .regex(new RegExp(OWNER_PATTERN))
      .describe('Accountable GitHub team (@org/team) or user (@user).'),
    type: z.enum(FLAG_TYPES),
    contract: reference
      .optional()
      .describe('Entitlements: the agreement, plan or SKU reference the flag belongs to.'),
    ticket: reference.optional().describe('A tracking reference (issue, ticket) for temporary flags.'),
    expires: isoDate.optional().describe('Required for temporary types; bounded by the policy lifetime.'),
    reviewed: isoDate
      .optional()
      .describe('Date of the last review; long-lived types are reviewed on a cadence.'),
    tags: z.array(z.string().min(1).max(64)).max(32).optional(),
    variants: z
      .record(variantName, VariantValueSchema)
      .optional()
      .describe('Typed variants. Without them the flag is boolean.'),
    defaultVariant: variantName.optional().describe('With variants: served when an environment is off.'),
    deprecated: z
      .literal(true)
      .optional()
      .describe(
        'Still served, and marked so in the bundle: applications are told to remove their references. See docs/lifecycle.md.',
      ),
    archived: z
      .literal(true)
      .optional()
      .describe(
        'Kept in git for the audit trail, left out of bundles and claims; its key is never reused. See docs/lifecycle.md.',
      ),
    environments: z.record(z.string(), EnvironmentSchema),
  })
  .meta({ title: 'Feature flag', description: 'One feature flag of a flags-as-code repository.' });

export type Flag = z.infer<typeof FlagSchema>;
export type FlagEnvironment = z.infer<typeof EnvironmentSchema>;
export type Grant = z.infer<typeof GrantSchema>;
export type Rollout = z.infer<typeof RolloutSchema>;
export type VariantValue = z.infer<typeof VariantValueSchema>;
