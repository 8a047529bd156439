import { defaultVariantOf, offVariantOf, targetVariantOf } from '../model/variants.js';
import type { Flag, FlagEnvironment } from '../model/flag.js';
import type { Policy } from '../model/policy.js';
import { servedFlags } from '../model/states.js';

/**
 * Exports the flags of one environment to flagd's flag-definition format, so OpenFeature and flagd
 * users consume the same repository. The targeting follows the evaluation semantics of
 * docs/architecture.md step by step, and a differential test holds it to the runtime's answers:
 * grants (`in` a list of organization ids, expiring ones guarded by `$flagd.timestamp`), then the
 * rollout (`fractional`, which buckets exactly as `bucketOf` does), then the environment default.
 * The mapping and its few deliberate differences are documented in docs/openfeature.md.
 */

export const FLAGD_SCHEMA_URL = 'https://flagd.dev/schema/v0/flags.json';

export interface FlagdExportOptions {
  /**
   * The evaluation-context attribute (a JSON Logic `var` path) holding the organization id. By
   * default flagd's `targetingKey`, which is also what `fractional` buckets by.
   */
  organizationAttribute?: string;
  /**
   * How a disabled or unconfigured environment is written. `off-variant` (default): state ENABLED,
   * no targeting, defaultVariant = the off variant, so flagd serves the same value as the runtime
   * (reason STATIC instead of DISABLED). `flagd-disabled`: state DISABLED, so flagd answers with the
   * caller's default value and reason DISABLED, and leaves the flag out of bulk evaluations.
   */
  disabled?: 'off-variant' | 'flagd-disabled';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Logic = { [operator: string]: Json };

const TARGETING_KEY = 'targetingKey';
const DAY_SECONDS = 86_400;

export function toFlagdDocument(
  flags: readonly { flag: Flag }[],
  policy: Policy,
  environment: string,
  options: FlagdExportOptions = {},
): Record<string, unknown> {
  const exported: [string, Json][] = [];
  // A stable sort keeps the compiler's rule for a key declared twice: the later file wins.
  const byKey = new Map<string, Flag>();
  for (const { flag } of servedFlags(flags).sort((a, b) => compare(a.flag.key, b.flag.key)))
    byKey.set(flag.key, flag);
  for (const [key, flag] of byKey) exported.push([key, exportFlag(flag, environment, options)]);
  return sortKeys({
    $schema: FLAGD_SCHEMA_URL,
    metadata: { project: policy.project, environment },
    flags: Object.fromEntries(exported),
  }) as Record<string, unknown>;
}

function exportFlag(flag: Flag, environment: string, options: FlagdExportOptions): Json {
  const boolean = flag.variants === undefined;
  const variants = (boolean ? { on: true, off: false } : flag.variants) as { [name: string]: Json };
  const offVariant = offVariantOf(flag);
  const config = flag.environments[environment];
  const metadata = strip({
    owner: flag.owner,
    type: flag.type,
    contract: flag.contract,
    expires: flag.expires,
    reviewed: flag.reviewed,
    enabled: config?.enabled === true,
  });
  if (config === undefined || !config.enabled) {
    return {
      state: options.disabled === 'flagd-disabled' ? 'DISABLED' : 'ENABLED',
      defaultVariant: offVariant,
      variants,
      metadata,
    };
  }
  const defaultVariant = defaultVariantOf(flag, config);
  const targeting = targetingFor(config, {
    grantVariant: (variant) => targetVariantOf(flag, variant),
    rolloutVariant: targetVariantOf(flag, config.rollout?.variant),
    defaultVariant,
    attribute: options.organizationAttribute ?? TARGETING_KEY,
  });
  return strip({ state: 'ENABLED', defaultVariant, variants, targeting, metadata });
}

interface TargetingInput {
  grantVariant: (variant: string | undefined) => string;
  rolloutVariant: string;
  defaultVariant: string;
  attribute: string;
}

/**
 * `{"if": [grant conditions and variants…, rollout or null]}`. Each organization appears in one
 * condition only, so the order of the branches never changes an answer; a null result makes flagd
 * serve defaultVariant with reason DEFAULT, as the runtime does.
 */
function targetingFor(config: FlagEnvironment, input: TargetingInput): Logic | undefined {
  const organization: Logic = { var: input.attribute };
  // One grant per organization, the last one winning, as in the compiled bundle.
  const grants = new Map<string, { variant: string; until: number | undefined }>();
  for (const grant of config.grants ?? []) {
    grants.set(grant.org, {
      variant: input.grantVariant(grant.variant),
      until: grant.expires === undefined ? undefined : endOfDaySeconds(grant.expires),
    });
  }
  const groups = new Map<string, { variant: string; until: number | undefined; orgs: string[] }>();
  for (const [org, grant] of grants) {
    // A date that does not parse never applies in the runtime either.
    if (grant.until !== undefined && Number.isNaN(grant.until)) continue;
    const id = `${grant.variant}\u0000${grant.until ?? ''}`;
    const group = groups.get(id) ?? { variant: grant.variant, until: grant.until, orgs: [] };
    group.orgs.push(org);
    groups.set(id, group);
  }
  const branches: Json[] = [];
  for (const group of [...groups.values()].sort(
    (a, b) => compare(a.variant, b.variant) || (a.until ?? -1) - (b.until ?? -1),
  )) {
    const member: Logic = { in: [organization, group.orgs.sort(compare)] };
    // flagd's timestamp is whole seconds; `floor(ms / 1000) < end` holds exactly when `ms < end * 1000`.
    branches.push(
      group.until === undefined
        ? member
        : { and: [member, { '<': [{ var: '$flagd.timestamp' }, group.until] }] },
      group.variant,
    );
  }
  const percentage = config.rollout?.percentage ?? 0;
  if (percentage > 0) {
    const buckets: Json[] = [[input.rolloutVariant, percentage]];
    if (percentage < 100) buckets.push([input.defaultVariant, 100 - percentage]);
    if (input.attribute === TARGETING_KEY) {
      branches.push({ fractional: buckets });
    } else {
      // Bucket by flag key + organization, as fractional does with the targeting key; without the
      // attribute the organization is unknown and gets the default, as in the runtime.
      const bucketBy: Logic = { cat: [{ var: '$flagd.flagKey' }, organization] };
      branches.push(organization, { fractional: [bucketBy, ...buckets] }, null);
    }
  } else {
    branches.push(null);
  }
  if (branches.length === 1) return branches[0] === null ? undefined : (branches[0] as Logic);
  return { if: branches };
}

/** The first second after the last day a grant applies (dates are inclusive, UTC). */
function endOfDaySeconds(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000 + DAY_SECONDS;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Objects with their keys sorted, arrays in order: the same flags always give the same bytes. */
function sortKeys(value: unknown): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties, so a "__proto__" key inside a variant value stays data.
    return Object.fromEntries(
      Object.keys(value)
        .sort(compare)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value as Json;
}

function strip(value: { [key: string]: Json | undefined }): { [key: string]: Json } {
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, Json] => entry[1] !== undefined),
  );
}
