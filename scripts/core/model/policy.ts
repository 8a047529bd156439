import { z } from 'zod';

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
  })
  .meta({
    title: 'Flags policy',
    description: 'Environments, patterns, lifetimes and limits of a flags repository.',
  });

export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type TypePolicy = Policy['types']['entitlement'];

export const defaultPolicy = (): Policy => PolicySchema.parse({});
