import type {
  ErrorCode,
  EvaluationContext,
  FlagMetadata,
  JsonValue,
  Provider,
  ResolutionDetails,
} from '@openfeature/server-sdk';
import type { BundleContent } from './bundle-format.js';
import { Evaluator, type Resolution } from './evaluate.js';
import type { FlagsRuntime } from './index.js';

/**
 * An OpenFeature server provider over the runtime Evaluator: applications keep the OpenFeature API
 * and get the answers of the verified bundle, with the same reasons and error codes. It imports
 * only types from @openfeature/server-sdk (an optional peer), so the runtime stays dependency-free.
 */

export interface FlagsProviderOptions {
  /**
   * The evaluation-context attribute holding the organization id. Default: `targetingKey`. An empty
   * id counts as none (the organization then gets the environment's default, as in flagd); an id
   * that is not a string is an INVALID_CONTEXT error.
   */
  organizationAttribute?: string;
  /** The clock for grant expiry, when the provider builds the Evaluator from bundle content. */
  now?: () => number;
}

/**
 * Where the provider finds the current Evaluator: the runtime client (`FlagsRuntime`, which swaps in
 * newer bundles as they verify and keeps the last good one), an Evaluator, verified bundle content,
 * or a function handing out the current Evaluator. It is looked up on every evaluation, so a newer
 * bundle takes effect at once; while there is none yet, evaluations answer PROVIDER_NOT_READY.
 */
export type EvaluatorSource =
  | FlagsRuntime
  | Evaluator
  | BundleContent
  | { readonly evaluator: Evaluator | undefined }
  | (() => Evaluator | undefined);

type Details<T> = ResolutionDetails<T>;
type Organization = { id: string | undefined } | { error: string };

const TARGETING_KEY = 'targetingKey';

export class FlagsProvider implements Provider {
  readonly metadata = { name: 'flags-as-code' } as const;
  readonly runsOn = 'server' as const;
  private readonly current: () => Evaluator | undefined;
  private readonly attribute: string;
  private readonly flagMetadata = new WeakMap<Evaluator, Map<string, FlagMetadata>>();

  constructor(source: EvaluatorSource, options: FlagsProviderOptions = {}) {
    this.current = currentOf(source, options);
    this.attribute = options.organizationAttribute ?? TARGETING_KEY;
  }

  resolveBooleanEvaluation(
    flagKey: string,
    defaultValue: boolean,
    context: EvaluationContext,
  ): Promise<Details<boolean>> {
    return Promise.resolve(
      this.evaluate(flagKey, defaultValue, context, (e, org) => e.resolveBoolean(flagKey, defaultValue, org)),
    );
  }

  resolveStringEvaluation(
    flagKey: string,
    defaultValue: string,
    context: EvaluationContext,
  ): Promise<Details<string>> {
    return Promise.resolve(
      this.evaluate(flagKey, defaultValue, context, (e, org) => e.resolveString(flagKey, defaultValue, org)),
    );
  }

  resolveNumberEvaluation(
    flagKey: string,
    defaultValue: number,
    context: EvaluationContext,
  ): Promise<Details<number>> {
    return Promise.resolve(
      this.evaluate(flagKey, defaultValue, context, (e, org) => e.resolveNumber(flagKey, defaultValue, org)),
    );
  }

  resolveObjectEvaluation<T extends JsonValue>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
  ): Promise<Details<T>> {
    return Promise.resolve(
      this.evaluate(
        flagKey,
        defaultValue,
        context,
        (e, org) => e.resolveObject(flagKey, defaultValue as never, org) as Resolution<T>,
      ),
    );
  }

  private evaluate<T>(
    flagKey: string,
    defaultValue: T,
    context: EvaluationContext,
    resolve: (evaluator: Evaluator, organizationId: string | undefined) => Resolution<T>,
  ): Details<T> {
    const organization = this.organizationOf(context);
    if ('error' in organization)
      return {
        value: defaultValue,
        reason: 'ERROR',
        errorCode: 'INVALID_CONTEXT' as ErrorCode,
        errorMessage: organization.error,
      };
    const evaluator = this.current();
    if (evaluator === undefined)
      return {
        value: defaultValue,
        reason: 'ERROR',
        errorCode: 'PROVIDER_NOT_READY' as ErrorCode,
        errorMessage: 'no verified bundle has been loaded',
      };
    const resolution = resolve(evaluator, organization.id);
    const details: Details<T> = {
      value: resolution.value,
      reason: resolution.reason,
      flagMetadata: this.metadataOf(evaluator, flagKey),
    };
    if (resolution.variant !== undefined) details.variant = resolution.variant;
    if (resolution.errorCode !== undefined) {
      // The runtime's codes are OpenFeature's ErrorCode values, spelled the same.
      details.errorCode = resolution.errorCode as ErrorCode;
      details.errorMessage = resolution.errorMessage;
    }
    return details;
  }

  private organizationOf(context: EvaluationContext): Organization {
    const value = context[this.attribute];
    if (value === undefined || value === null || value === '') return { id: undefined };
    if (typeof value !== 'string')
      return { error: `the organization id (context attribute "${this.attribute}") must be a string` };
    return { id: value };
  }

  /** The audit metadata of the flag (owner, type, contract, expiry), built once per bundle. */
  private metadataOf(evaluator: Evaluator, flagKey: string): FlagMetadata {
    let byKey = this.flagMetadata.get(evaluator);
    if (byKey === undefined) {
      byKey = new Map();
      this.flagMetadata.set(evaluator, byKey);
    }
    let metadata = byKey.get(flagKey);
    if (metadata === undefined) {
      const flag = evaluator.has(flagKey) ? evaluator.content.flags[flagKey] : undefined;
      const entries: [string, string | boolean][] = [];
      if (flag) {
        entries.push(['owner', flag.owner], ['type', flag.type], ['enabled', flag.enabled]);
        if (flag.contract !== undefined) entries.push(['contract', flag.contract]);
        if (flag.expires !== undefined) entries.push(['expires', flag.expires]);
        if (flag.deprecated === true) entries.push(['deprecated', true]);
      }
      entries.push(['project', evaluator.content.project], ['environment', evaluator.content.environment]);
      metadata = Object.freeze(Object.fromEntries(entries)) as FlagMetadata;
      if (flag) byKey.set(flagKey, metadata);
    }
    return metadata;
  }
}

function currentOf(source: EvaluatorSource, options: FlagsProviderOptions): () => Evaluator | undefined {
  if (source instanceof Evaluator) return () => source;
  if (typeof source === 'function') return source;
  if ('format' in source && 'flags' in source) {
    const evaluator = new Evaluator(source, options.now ? { now: options.now } : {});
    return () => evaluator;
  }
  // FlagsRuntime and other holders: read the getter on every evaluation.
  const holder = source as { readonly evaluator: Evaluator | undefined };
  return () => holder.evaluator;
}
