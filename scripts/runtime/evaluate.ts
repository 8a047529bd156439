import type { BundleContent, BundleFlag, JsonValue, ValueType } from './bundle-format.js';
import { immutable } from './freeze.js';
import { bucketAfter, bucketOf, type KeyPrefix, keyPrefix } from './murmur3.js';
import type { DeprecatedFlag, EvaluationTelemetry, FlagTally } from './telemetry.js';

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

/** An empty organization id means none, as flagd treats an empty targeting key. */
const orgOf = (input: OrganizationInput): string | undefined => {
  const id = typeof input === 'object' && input !== null ? input.organizationId : input;
  return id === undefined || id === '' ? undefined : id;
};

type Answer = Readonly<Resolution<JsonValue>>;

/** A grant with an expiry: its answer until then. */
class ExpiringGrant {
  constructor(
    readonly answer: Answer,
    /** Epoch ms at which the grant stops applying. */
    readonly until: number,
  ) {}
}

/**
 * A flag's record is its own grants Map, so a lookup walks flags → flag → answer, with no record
 * in between: at 10,000 flags evaluation is mostly waiting on memory. A grant without an expiry
 * (most of them) maps straight to its answer; one with an expiry to an ExpiringGrant. Every answer
 * a flag can give is built once per variant and frozen, so resolving allocates nothing.
 */
class IndexedFlag extends Map<string, Answer | ExpiringGrant> {
  /**
   * Evaluations of this flag, with telemetry. The increment lands on the object the lookup has just
   * read, where a separate counter would cost a cache miss of its own at 10,000 flags; telemetry
   * reads it through the flag's FlagTally.
   */
  count = 0;
  /**
   * What an evaluation does besides answering: NOTHING (one number read is all the hot path pays),
   * COUNT, or OBSERVE (count, and count per variant or report a deprecated flag).
   */
  mode: Mode = NOTHING;
  tally: FlagTally | undefined;
  /** Reports the flag as deprecated; cleared after the first report. */
  deprecated: (() => void) | undefined;

  constructor(
    readonly key: string,
    readonly valueType: ValueType,
    readonly enabled: boolean,
    readonly off: Answer,
    readonly fallback: Answer,
    readonly rollout: Answer | undefined,
    readonly percentage: number,
    readonly prefix: KeyPrefix | undefined,
  ) {
    super();
  }

  bucket(organizationId: string): number {
    return this.prefix
      ? bucketAfter(this.prefix, this.key, organizationId)
      : bucketOf(this.key, organizationId);
  }
}

const NOTHING = 0;
const COUNT = 1;
const OBSERVE = 2;
type Mode = typeof NOTHING | typeof COUNT | typeof OBSERVE;

const DAY_MS = 86_400_000;

export function endOfDay(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms + DAY_MS;
}

/** Values are immutable (see freeze.ts): the answer a caller gets cannot change the next one. */
const answer = (flag: BundleFlag, variant: string, reason: Reason): Answer =>
  Object.freeze({ value: immutable(flag.variants[variant] ?? null), variant, reason });

export interface EvaluatorOptions {
  /** Epoch ms, for grant expiry; defaults to Date.now. */
  now?: () => number;
  /** Counts every evaluation per flag (see telemetry.ts); the counts outlive this Evaluator. */
  telemetry?: EvaluationTelemetry;
  /** Called at the first evaluation of each deprecated flag (wrap it with oncePerKey across bundles). */
  onDeprecated?: (flag: DeprecatedFlag) => void;
}

export class Evaluator {
  readonly content: BundleContent;
  private readonly flags = new Map<string, IndexedFlag>();
  private readonly now: () => number;
  private readonly telemetry: EvaluationTelemetry | undefined;

  constructor(content: BundleContent, options: EvaluatorOptions = {}) {
    this.content = content;
    this.now = options.now ?? Date.now;
    this.telemetry = options.telemetry;
    const { telemetry, onDeprecated } = options;
    for (const key of Object.keys(content.flags)) {
      const flag = content.flags[key]!;
      const indexed = new IndexedFlag(
        key,
        flag.valueType,
        flag.enabled,
        answer(flag, flag.offVariant, 'DISABLED'),
        answer(flag, flag.defaultVariant, 'DEFAULT'),
        flag.rollout ? answer(flag, flag.rollout.variant, 'TARGETING_MATCH') : undefined,
        flag.rollout?.percentage ?? 0,
        keyPrefix(key),
      );
      const granted = new Map<string, Answer>();
      for (const org of Object.keys(flag.grants)) {
        const grant = flag.grants[org]!;
        let given = granted.get(grant.variant);
        if (given === undefined) {
          given = answer(flag, grant.variant, 'TARGETING_MATCH');
          granted.set(grant.variant, given);
        }
        indexed.set(
          org,
          grant.expires === undefined ? given : new ExpiringGrant(given, endOfDay(grant.expires)),
        );
      }
      if (telemetry !== undefined) {
        const tally = telemetry.tally(content.project, content.environment, key);
        tally.attach(indexed, Object.keys(flag.variants));
        indexed.mode = COUNT;
        if (tally.variants !== undefined) {
          indexed.tally = tally;
          indexed.mode = OBSERVE;
        }
      }
      if (onDeprecated !== undefined && flag.deprecated === true) {
        const deprecated: DeprecatedFlag = {
          key,
          project: content.project,
          environment: content.environment,
          owner: flag.owner,
          ...(flag.expires !== undefined ? { expires: flag.expires } : {}),
        };
        indexed.deprecated = () => onDeprecated(deprecated);
        indexed.mode = OBSERVE;
      }
      this.flags.set(key, indexed);
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
    if (!flag) return this.notFound(key, null);
    const answer = this.answer(flag, orgOf(organization));
    if (flag.mode !== NOTHING) this.observe(flag, answer.variant);
    return answer;
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

  resolveObject<T extends JsonValue>(
    key: string,
    fallback: T,
    organization?: OrganizationInput,
  ): Resolution<T> {
    return this.typed(key, 'object', fallback, organization);
  }

  /** The hot path: a boolean answer. Unknown or non-boolean flags are off. */
  isEnabled(key: string, organization?: OrganizationInput): boolean {
    const flag = this.flags.get(key);
    if (flag === undefined || flag.valueType !== 'boolean') {
      if (this.telemetry !== undefined) this.countMiss(key, flag);
      return false;
    }
    const answer = this.answer(flag, orgOf(organization));
    if (flag.mode !== NOTHING) this.observe(flag, answer.variant);
    return answer.value === true;
  }

  /** The `feature_flags` claim: sorted keys of the boolean flags on for this organization. */
  claimsFor(organization: string | EvaluationContext): string[] {
    const organizationId = orgOf(organization);
    const on: string[] = [];
    for (const [key, flag] of this.flags) {
      if (flag.valueType === 'boolean' && this.answer(flag, organizationId).value === true) on.push(key);
    }
    return on.sort();
  }

  private typed<T>(
    key: string,
    type: ValueType,
    fallback: T,
    organization?: OrganizationInput,
  ): Resolution<T> {
    const flag = this.flags.get(key);
    if (!flag) return this.notFound(key, fallback);
    if (flag.valueType !== type) {
      if (flag.mode !== NOTHING) this.observe(flag, undefined);
      return {
        value: fallback,
        reason: 'ERROR',
        errorCode: 'TYPE_MISMATCH',
        errorMessage: `flag "${key}" is ${flag.valueType}, not ${type}`,
      };
    }
    const answer = this.answer(flag, orgOf(organization));
    if (flag.mode !== NOTHING) this.observe(flag, answer.variant);
    return answer as Resolution<T>;
  }

  /** Only flags with telemetry or a deprecation to report get here. */
  private observe(flag: IndexedFlag, variant: string | undefined): void {
    flag.count++;
    if (flag.mode === COUNT) return;
    const tally = flag.tally;
    if (tally !== undefined && variant !== undefined) tally.hitVariant(variant);
    const deprecated = flag.deprecated;
    if (deprecated !== undefined) {
      flag.deprecated = undefined;
      if (tally === undefined) flag.mode = this.telemetry !== undefined ? COUNT : NOTHING;
      deprecated();
    }
  }

  /** isEnabled of a missing or non-boolean key: unknown keys are evidence too (a typo, a removed flag). */
  private countMiss(key: string, flag: IndexedFlag | undefined): void {
    if (flag === undefined) this.telemetry!.unknown(this.content.project, this.content.environment, key);
    else {
      if (flag.mode !== NOTHING) this.observe(flag, undefined);
    }
  }

  private notFound<T>(key: string, fallback: T): Resolution<T> {
    this.telemetry?.unknown(this.content.project, this.content.environment, key);
    return notFound(key, fallback);
  }

  private answer(flag: IndexedFlag, organizationId: string | undefined): Answer {
    if (!flag.enabled) return flag.off;
    if (organizationId !== undefined) {
      const grant = flag.get(organizationId);
      if (grant !== undefined) {
        if (!(grant instanceof ExpiringGrant)) return grant;
        if (this.now() < grant.until) return grant.answer;
      }
      if (flag.rollout !== undefined && flag.percentage > 0 && flag.bucket(organizationId) < flag.percentage)
        return flag.rollout;
    }
    return flag.fallback;
  }
}

function notFound<T>(key: string, fallback: T): Resolution<T> {
  return {
    value: fallback,
    reason: 'ERROR',
    errorCode: 'FLAG_NOT_FOUND',
    errorMessage: `flag "${key}" is not in the bundle`,
  };
}
