import type { BundleContent, BundleFlag, JsonValue, ValueType } from './bundle-format.js';
import { bucketOf } from './murmur3.js';

/**
 * Evaluation of a verified bundle, with OpenFeature's vocabulary: variants, reasons and error
 * codes. Lookups go through Maps built once, so an organization id such as "__proto__" can never
 * reach an object prototype.
 */

export type Reason = 'TARGETING_MATCH' | 'DEFAULT' | 'DISABLED' | 'ERROR';
export type ErrorCode = 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'PROVIDER_NOT_READY' | 'GENERAL';

export interface Resolution<T> {
  value: T;
  variant?: string;
  reason: Reason;
  errorCode?: ErrorCode;
  errorMessage?: string;
}

export interface EvaluationContext {
  organizationId?: string;
}

/** An organization id, or a context holding one: `isEnabled(key, { organizationId })`. */
export type OrganizationInput = string | EvaluationContext | undefined;

const orgOf = (input: OrganizationInput): string | undefined =>
  typeof input === 'object' && input !== null ? input.organizationId : (input ?? undefined);

interface IndexedGrant {
  variant: string;
  value: JsonValue;
  /** Epoch ms at which the grant stops applying; Infinity when it does not expire. */
  until: number;
}

interface IndexedFlag {
  key: string;
  source: BundleFlag;
  valueType: ValueType;
  enabled: boolean;
  offValue: JsonValue;
  defaultValue: JsonValue;
  grants: Map<string, IndexedGrant>;
  rolloutPercentage: number;
  rolloutVariant: string | undefined;
  rolloutValue: JsonValue;
}

const DAY_MS = 86_400_000;

export function endOfDay(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms + DAY_MS;
}

export class Evaluator {
  readonly content: BundleContent;
  private readonly flags = new Map<string, IndexedFlag>();
  private readonly now: () => number;

  constructor(content: BundleContent, options: { now?: () => number } = {}) {
    this.content = content;
    this.now = options.now ?? Date.now;
    for (const key of Object.keys(content.flags)) {
      const flag = content.flags[key]!;
      const grants = new Map<string, IndexedGrant>();
      for (const org of Object.keys(flag.grants)) {
        const grant = flag.grants[org]!;
        grants.set(org, {
          variant: grant.variant,
          value: flag.variants[grant.variant] ?? null,
          until: grant.expires === undefined ? Number.POSITIVE_INFINITY : endOfDay(grant.expires),
        });
      }
      this.flags.set(key, {
        key,
        source: flag,
        valueType: flag.valueType,
        enabled: flag.enabled,
        offValue: flag.variants[flag.offVariant] ?? null,
        defaultValue: flag.variants[flag.defaultVariant] ?? null,
        grants,
        rolloutPercentage: flag.rollout?.percentage ?? 0,
        rolloutVariant: flag.rollout?.variant,
        rolloutValue: flag.rollout ? (flag.variants[flag.rollout.variant] ?? null) : null,
      });
    }
  }

  keys(): string[] {
    return [...this.flags.keys()].sort();
  }

  has(key: string): boolean {
    return this.flags.has(key);
  }

  /** The flag's value for an organization, whatever its type. */
  resolve(key: string, organization?: OrganizationInput): Resolution<JsonValue> {
    const flag = this.flags.get(key);
    if (!flag)
      return {
        value: null,
        reason: 'ERROR',
        errorCode: 'FLAG_NOT_FOUND',
        errorMessage: `flag "${key}" is not in the bundle`,
      };
    return this.resolveIndexed(flag, orgOf(organization));
  }

  resolveBoolean(key: string, fallback: boolean, organization?: OrganizationInput): Resolution<boolean> {
    return this.typed(key, 'boolean', fallback, organization);
  }

  resolveString(key: string, fallback: string, organization?: OrganizationInput): Resolution<string> {
    return this.typed(key, 'string', fallback, organization);
  }

  resolveNumber(key: string, fallback: number, organization?: OrganizationInput): Resolution<number> {
    return this.typed(key, 'number', fallback, organization);
  }

  resolveObject<T extends JsonValue>(key: string, fallback: T, organization?: OrganizationInput): Resolution<T> {
    return this.typed(key, 'object', fallback, organization);
  }

  /** The hot path: a boolean answer with no allocation. Unknown or non-boolean flags are off. */
  isEnabled(key: string, organization?: OrganizationInput): boolean {
    const organizationId = orgOf(organization);
    const flag = this.flags.get(key);
    if (!flag || flag.valueType !== 'boolean') return false;
    if (!flag.enabled) return flag.offValue === true;
    if (organizationId !== undefined) {
      const grant = flag.grants.get(organizationId);
      if (grant !== undefined && this.grantApplies(grant)) return grant.value === true;
      if (flag.rolloutPercentage > 0 && bucketOf(key, organizationId) < flag.rolloutPercentage)
        return flag.rolloutValue === true;
    }
    return flag.defaultValue === true;
  }

  /** The `feature_flags` claim: sorted keys of the boolean flags on for this organization. */
  claimsFor(organization: string | EvaluationContext): string[] {
    const organizationId = orgOf(organization);
    const on: string[] = [];
    for (const key of this.flags.keys()) if (this.isEnabled(key, organizationId)) on.push(key);
    return on.sort();
  }

  private typed<T>(key: string, type: ValueType, fallback: T, organization?: OrganizationInput): Resolution<T> {
    const flag = this.flags.get(key);
    if (!flag)
      return {
        value: fallback,
        reason: 'ERROR',
        errorCode: 'FLAG_NOT_FOUND',
        errorMessage: `flag "${key}" is not in the bundle`,
      };
    if (flag.valueType !== type) {
      return {
        value: fallback,
        reason: 'ERROR',
        errorCode: 'TYPE_MISMATCH',
        errorMessage: `flag "${key}" is ${flag.valueType}, not ${type}`,
      };
    }
    return this.resolveIndexed(flag, orgOf(organization)) as Resolution<T>;
  }

  private resolveIndexed(flag: IndexedFlag, organizationId: string | undefined): Resolution<JsonValue> {
    const source = flag.source;
    if (!flag.enabled) return { value: flag.offValue, variant: source.offVariant, reason: 'DISABLED' };
    if (organizationId !== undefined) {
      const grant = flag.grants.get(organizationId);
      if (grant !== undefined && this.grantApplies(grant))
        return { value: grant.value, variant: grant.variant, reason: 'TARGETING_MATCH' };
      if (
        flag.rolloutVariant !== undefined &&
        flag.rolloutPercentage > 0 &&
        bucketOf(flag.key, organizationId) < flag.rolloutPercentage
      ) {
        return { value: flag.rolloutValue, variant: flag.rolloutVariant, reason: 'TARGETING_MATCH' };
      }
    }
    return { value: flag.defaultValue, variant: source.defaultVariant, reason: 'DEFAULT' };
  }

  private grantApplies(grant: IndexedGrant): boolean {
    return grant.until === Number.POSITIVE_INFINITY || this.now() < grant.until;
  }
}
