import { z } from 'zod';
import { FLAG_KEY_PATTERN, OWNER_PATTERN, VARIANT_NAME_PATTERN } from './constants.js';

/**
 * The repository policy (flags/_policy.yaml). Every field has a default, so a repository without a
 * policy file still gets sensible governance.
 */

const typePolicy = (defaults: {
  maxLifetimeDays?: number;
  reviewEveryDays?: number;
  requiresAgreement: boolean;
}) =>
  z
    .strictObject({
      maxLifetimeDays: z
        .number()
        .int()
        .min(1)
        .max(3650)
        .optional()
        .describe('Temporary types: the furthest an expiry may lie after today.'),
      reviewEveryDays: z
        .number()
        .int()
        .min(1)
        .max(3650)
        .optional()
        .describe('Long-lived types: how often the owner must confirm the flag.'),
      requiresAgreement: z
        .boolean()
        .optional()
        .describe('Whether the flag needs a contract and every grant an agreement reference.'),
    })
    .optional()
    .transform((value) => ({ ...defaults, ...stripUndefined(value ?? {}) }));

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const ENVIRONMENT_NAME_PATTERN = '^[a-z][a-z0-9-]{0,31}$';

export const PolicySchema = z
  .strictObject({
    project: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
      .default('flags')
      .describe('Project name, written into signed bundles.'),
    environments: z
      .array(z.string().regex(new RegExp(ENVIRONMENT_NAME_PATTERN)))
      .min(1)
      .max(32)
      .default(['development', 'staging', 'production'])
      .describe('The environments flags may configure, in promotion order.'),
    organizations: z
      .strictObject({
        idPattern: z
          .string()
          .min(1)
          .default('^org_[a-z0-9]{6,32}$')
          .describe('Regular expression for organization ids.'),
      })
      .default({ idPattern: '^org_[a-z0-9]{6,32}$' }),
    agreements: z
      .strictObject({
        referencePattern: z
          .string()
          .min(1)
          .default('^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$')
          .describe('Regular expression for grant agreement references.'),
        contractPattern: z
          .string()
          .min(1)
          .default('^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$')
          .describe('Regular expression for a flag contract (agreement, plan or SKU reference).'),
      })
      .default({
        referencePattern: '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$',
        contractPattern: '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$',
      }),
    types: z
      .strictObject({
        entitlement: typePolicy({ reviewEveryDays: 180, requiresAgreement: true }),
        operational: typePolicy({ reviewEveryDays: 365, requiresAgreement: false }),
        release: typePolicy({ maxLifetimeDays: 90, requiresAgreement: false }),
        experiment: typePolicy({ maxLifetimeDays: 60, requiresAgreement: false }),
      })
      .default({
        entitlement: { reviewEveryDays: 180, requiresAgreement: true },
        operational: { reviewEveryDays: 365, requiresAgreement: false },
        release: { maxLifetimeDays: 90, requiresAgreement: false },
        experiment: { maxLifetimeDays: 60, requiresAgreement: false },
      }),
    limits: z
      .strictObject({
        maxFileBytes: z
          .number()
          .int()
          .min(1024)
          .max(16_777_216)
          .default(262_144)
          .describe('Larger flag files are refused.'),
        maxClaimBytes: z
          .number()
          .int()
          .min(16)
          .max(1_048_576)
          .default(4096)
          .describe("Budget for one organization's feature_flags claim, in bytes of JSON."),
      })
      .default({ maxFileBytes: 262_144, maxClaimBytes: 4096 }),
    bundles: z
      .strictObject({
        validForHours: z
          .number()
          .int()
          .min(1)
          .max(8760)
          .default(168)
          .describe('Freshness window: a bundle expires this long after it was issued.'),
        maxClockSkewSeconds: z.number().int().min(0).max(3600).default(300),
      })
      .default({ validForHours: 168, maxClockSkewSeconds: 300 }),
    stale: z
      .strictObject({
        lifetimeDays: z
          .partialRecord(
            z.enum(['entitlement', 'operational', 'release', 'experiment']),
            z.number().int().min(1).max(3650),
          )
          .default({})
          .describe(
            'Per type, the days a flag is expected to live from its first commit; older flags are reported as stale/past-lifetime (docs/lifecycle.md). Unset: no such finding.',
          ),
        unevaluatedAfterDays: z
          .number()
          .int()
          .min(1)
          .max(3650)
          .default(30)
          .describe(
            'With a usage export: a flag not evaluated for this many days is unevaluated, and may be archived.',
          ),
      })
      .default({ lifetimeDays: {}, unevaluatedAfterDays: 30 }),
    retire: z
      .strictObject({
        maxPullRequestsPerRun: z.number().int().min(0).max(100).default(5),
        maxOpenPullRequests: z.number().int().min(0).max(500).default(20),
        labels: z.array(z.string().min(1).max(50)).max(10).default(['flags', 'cleanup']),
        codeAliases: z
          .array(z.enum(['camelCase', 'snake_case', 'SCREAMING_SNAKE_CASE', 'PascalCase']))
          .default(['camelCase', 'SCREAMING_SNAKE_CASE'])
          .describe('Other spellings of a flag key searched for in code.'),
      })
      .default({
        maxPullRequestsPerRun: 5,
        maxOpenPullRequests: 20,
        labels: ['flags', 'cleanup'],
        codeAliases: ['camelCase', 'SCREAMING_SNAKE_CASE'],
      }),
    refs: z
      .strictObject({
        repositories: z
          .array(
            z.strictObject({
              name: z
                .string()
                .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/)
                .describe('The consuming repository, as flags refs --tree <name>=<path> names it.'),
              path: z
                .string()
                .min(1)
                .max(1000)
                .optional()
                .describe("Where the workflow puts its clone, relative to the flags repository's root."),
            }),
          )
          .max(100)
          .default([])
          .describe(
            'The repositories whose code reads these flags: flags refs and the unreferenced finding search them.',
          ),
        sdkMethods: z
          .array(z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/))
          .max(100)
          .default([])
          .describe(
            'Methods besides isEnabled, resolve…, get…Value and get…Details whose first argument is a flag key.',
          ),
      })
      .default({ repositories: [], sdkMethods: [] }),
    plans: z
      .record(
        z.string().min(1).max(128),
        z.strictObject({
          description: z.string().min(1).max(500).optional(),
          flags: z
            .record(
              z.string().regex(new RegExp(FLAG_KEY_PATTERN)).max(100),
              z.union([z.literal(true), z.string().regex(new RegExp(VARIANT_NAME_PATTERN))]),
            )
            .describe('The flags the plan includes: true, or the variant of a tiered flag (e.g. gold).'),
        }),
      )
      .optional()
      .describe(
        'What customers buy (plans, SKUs, add-ons; names match agreements.contractPattern) and the flags each includes.',
      ),
    contracts: z
      .strictObject({
        environments: z
          .array(z.string().regex(new RegExp(ENVIRONMENT_NAME_PATTERN)))
          .min(1)
          .max(32)
          .optional()
          .describe('Where plan grants apply (default: the last environment, production).'),
        team: z
          .string()
          .regex(new RegExp(OWNER_PATTERN))
          .optional()
          .describe('The team that owns customer access: asked to review every reconcile pull request.'),
        pastDueGraceDays: z
          .number()
          .int()
          .min(0)
          .max(365)
          .default(14)
          .describe('Days a past-due subscription keeps its grants, counted from the unpaid period start.'),
        stripe: z
          .strictObject({
            organizationKey: z
              .string()
              .min(1)
              .max(40)
              .default('org_id')
              .describe("Metadata key (customer's, else subscription's) that holds the organization id."),
            agreementKey: z
              .string()
              .min(1)
              .max(40)
              .optional()
              .describe('Metadata key naming the agreement (order form); default: the subscription id.'),
            prices: z
              .record(z.string().regex(/^(price|prod|plan)_[A-Za-z0-9]+$/), z.string().min(1).max(128))
              .default({})
              .describe('Stripe price or product ids and the plan each one sells.'),
          })
          .optional(),
      })
      .optional()
      .describe('How agreements reach grants: environments, the reviewing team, billing mappings.'),
  })
  .meta({
    title: 'Flags policy',
    description: 'Environments, patterns, lifetimes and limits of a flags repository.',
  });

export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type TypePolicy = Policy['types']['entitlement'];

export type Plans = NonNullable<Policy['plans']>;

/** The environments that receive plan grants: the policy's choice, else its last environment. */
export const defaultPolicy = (): Policy => PolicySchema.parse({});
