import type {
  ErrorCode,
  EvaluationContext,
  EventHandler,
  FlagMetadata,
  JsonValue,
  Logger,
  Provider,
  ProviderEventEmitter,
  ProviderEvents,
  ResolutionDetails,
} from '@openfeature/server-sdk';
import type { BundleContent } from './bundle-format.js';
import { Evaluator, type Resolution } from './evaluate.js';
import type { FlagsRuntime, LoadResult, RuntimeStatus, TrustedKeyset } from './index.js';
import { parseInstant } from './instant.js';
import { type DeprecatedFlag, type EvaluationTelemetry, oncePerKey, PROVIDER_NAME } from './telemetry.js';

/**
 * An OpenFeature server provider over the runtime Evaluator: applications keep the OpenFeature API
 * and get the answers of the verified bundle, with OpenFeature's reasons, error codes, provider
 * status and events. It imports only types from @openfeature/server-sdk (an optional peer), so the
 * runtime stays dependency-free.
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
  /** Counts evaluations, when the provider builds the Evaluator from bundle content (a FlagsRuntime takes its own). */
  telemetry?: EvaluationTelemetry;
  /** Called once per key at the first evaluation of a deprecated flag (also in its flag metadata). */
  onDeprecated?: (flag: DeprecatedFlag) => void;
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

/** What the provider needs of a FlagsRuntime to follow its bundles and report status and events. */
interface RuntimeLike {
  readonly evaluator: Evaluator | undefined;
  readonly keyset: TrustedKeyset;
  readonly lastError: { code: string; message: string } | undefined;
  status(): RuntimeStatus;
  readonly now?: () => number;
  onLoad(listener: (result: LoadResult) => void): () => void;
}

type Details<T> = ResolutionDetails<T>;
type Organization = { id: string | undefined } | { error: string };
type ProviderEvent = `${ProviderEvents}`;

/** What the provider knows of a flag of one bundle, built once. */
interface FlagFacts {
  metadata: FlagMetadata;
  /** No grants and no rollout: every organization gets the same answer (OpenFeature's STATIC). */
  static: boolean;
  deprecated: DeprecatedFlag | undefined;
}

const TARGETING_KEY = 'targetingKey';

/** An error the OpenFeature SDK reads as PROVIDER_FATAL (it looks at `code`, as for its ProviderFatalError). */
class FatalError extends Error {
  readonly code = 'PROVIDER_FATAL';
}

/**
 * The provider's event emitter, as the SDK's ProviderEventEmitter interface asks: the SDK adds its
 * handlers (status tracking, application handlers) and the provider emits. A failing handler is
 * logged and never stops the others or the provider.
 */
class Events implements ProviderEventEmitter<ProviderEvents> {
  private readonly handlers = new Map<string, EventHandler[]>();
  private logger: Logger | undefined;

  emit(type: ProviderEvents, details?: Record<string, unknown>): void {
    for (const handler of [...(this.handlers.get(type) ?? [])]) {
      try {
        const result = (handler as (details?: unknown) => unknown)(details);
        if (result instanceof Promise)
          result.catch((error) => this.logger?.error('event handler failed', error));
      } catch (error) {
        this.logger?.error('event handler failed', error);
      }
    }
  }

  addHandler(type: ProviderEvents, handler: EventHandler): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
  }

  removeHandler(type: ProviderEvents, handler: EventHandler): void {
    const list = this.handlers.get(type) ?? [];
    const at = list.lastIndexOf(handler);
    if (at !== -1) this.handlers.set(type, list.toSpliced(at, 1));
  }

  removeAllHandlers(type?: ProviderEvents): void {
    if (type === undefined) this.handlers.clear();
    else this.handlers.delete(type);
  }

  getHandlers(type: ProviderEvents): EventHandler[] {
    return [...(this.handlers.get(type) ?? [])];
  }

  setLogger(logger: Logger): this {
    this.logger = logger;
    return this;
  }
}

export class FlagsProvider implements Provider {
  readonly metadata = { name: PROVIDER_NAME } as const;
  readonly runsOn = 'server' as const;
  readonly events = new Events();
  private readonly current: () => Evaluator | undefined;
  private readonly runtime: RuntimeLike | undefined;
  private readonly attribute: string;
  private readonly facts = new WeakMap<Evaluator, Map<string, FlagFacts>>();
  private readonly deprecated: ((flag: DeprecatedFlag) => void) | undefined;
  /** The content the last event described, to name the flags a swap changed. */
  private announced: BundleContent | undefined;
  private state: 'starting' | 'ready' | 'stale' | 'error' | 'fatal' | 'closed' = 'starting';
  private unsubscribe: (() => void) | undefined;
  private staleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(source: EvaluatorSource, options: FlagsProviderOptions = {}) {
    this.runtime = runtimeOf(source);
    this.current = currentOf(source, options);
    this.attribute = options.organizationAttribute ?? TARGETING_KEY;
    this.deprecated = options.onDeprecated ? oncePerKey(options.onDeprecated) : undefined;
  }

  /**
   * Resolves once a verified bundle is served (the SDK then reports READY; until then NOT_READY).
   * Over a FlagsRuntime: rejects when the runtime's first bundle was refused (ERROR; a later good
   * bundle emits READY), and rejects as PROVIDER_FATAL when the runtime can never serve (FATAL).
   */
  async initialize(): Promise<void> {
    const runtime = this.runtime;
    if (runtime === undefined) return;
    const fatal = neverServes(runtime);
    if (fatal !== undefined) {
      this.state = 'fatal';
      throw new FatalError(fatal);
    }
    const first = new Promise<void>((resolve, reject) => {
      this.unsubscribe = runtime.onLoad((result) => {
        const settled = this.state !== 'starting';
        this.loaded(result);
        if (settled) return;
        if (result.ok) resolve();
        else if (this.state === 'fatal') reject(new FatalError(fatalMessage(result)));
        else reject(new Error(`no bundle is served: ${result.error.message}`));
      });
    });
    if (runtime.evaluator !== undefined) {
      this.serving(runtime.evaluator.content);
      return;
    }
    const refused = runtime.lastError;
    if (refused !== undefined) {
      this.state = refused.code === 'unsupported-format' ? 'fatal' : 'error';
      if (this.state === 'fatal') throw new FatalError(fatalMessage({ error: refused }));
      throw new Error(`no bundle is served: ${refused.message}`);
    }
    await first;
  }

  async onClose(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.staleTimer !== undefined) clearTimeout(this.staleTimer);
    this.state = 'closed';
  }

  /** Every load of the runtime: a swap announces the flags it changed; a refusal with nothing served is an error. */
  private loaded(result: LoadResult): void {
    if (this.state === 'closed') return;
    const starting = this.state === 'starting';
    if (!result.ok) {
      if (result.serving !== undefined || this.state === 'fatal') return;
      const fatal = result.error.code === 'unsupported-format';
      this.state = fatal ? 'fatal' : 'error';
      if (!starting)
        this.emit('PROVIDER_ERROR', {
          message: result.error.message,
          ...(fatal ? { errorCode: 'PROVIDER_FATAL' } : {}),
        });
      return;
    }
    const content = this.runtime?.evaluator?.content;
    if (content === undefined) return;
    const previous = this.announced;
    const wasReady = this.state === 'ready';
    this.serving(content);
    if (starting) return;
    if (!wasReady) this.emit('PROVIDER_READY', { message: `serving serial ${result.statement.serial}` });
    if (previous !== undefined && previous !== content) {
      const flagsChanged = changedKeys(previous, content);
      if (flagsChanged.length > 0)
        this.emit('PROVIDER_CONFIGURATION_CHANGED', {
          flagsChanged,
          message: `serial ${result.statement.serial}`,
        });
    }
  }

  /** A bundle is served: READY, and STALE again when it expires before a newer one arrives. */
  private serving(content: BundleContent): void {
    this.announced = content;
    this.state = 'ready';
    this.armStaleTimer();
  }

  private armStaleTimer(): void {
    if (this.staleTimer !== undefined) clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    const status = this.runtime?.status();
    const expiresAt = parseInstant(status?.expiresAt);
    if (status === undefined || expiresAt === undefined) return;
    if (status.expired) {
      // After initialize has settled, so the SDK has reported READY before STALE.
      this.staleTimer = setTimeout(() => this.checkStale(), 0);
    } else {
      // The runtime's clock may be an application's own: the timer is a prompt, checkStale decides
      // (and evaluations check too).
      const delay = Math.min(Math.max(0, expiresAt - Date.now()), 2 ** 31 - 1);
      this.staleTimer = setTimeout(() => this.checkStale(), delay);
    }
    this.staleTimer.unref?.();
  }

  /** Reports STALE when the bundle served has passed its expiry (checked on evaluation and by the timer). */
  private checkStale(): void {
    if (this.state !== 'ready' || this.runtime?.status().expired !== true) return;
    this.state = 'stale';
    this.emit('PROVIDER_STALE', {
      message: `the bundle served expired at ${this.runtime.status().expiresAt}: no newer bundle has verified since`,
    });
  }

  private emit(type: ProviderEvent, details: Record<string, unknown>): void {
    this.events.emit(type as ProviderEvents, details);
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
    if (this.state === 'ready' && this.runtime !== undefined) this.checkStale();
    const resolution = resolve(evaluator, organization.id);
    const facts = this.factsOf(evaluator, flagKey);
    if (facts.deprecated !== undefined && this.deprecated !== undefined) this.deprecated(facts.deprecated);
    // A disabled flag answers the caller's default (OpenFeature's DISABLED), not the bundle's off variant.
    if (resolution.reason === 'DISABLED')
      return { value: defaultValue, reason: 'DISABLED', flagMetadata: facts.metadata };
    const details: Details<T> = {
      value: resolution.value,
      reason: resolution.reason === 'DEFAULT' && facts.static ? 'STATIC' : resolution.reason,
      flagMetadata: facts.metadata,
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

  /** The audit metadata of the flag (owner, type, contract, expiry, deprecated), built once per bundle. */
  private factsOf(evaluator: Evaluator, flagKey: string): FlagFacts {
    let byKey = this.facts.get(evaluator);
    if (byKey === undefined) {
      byKey = new Map();
      this.facts.set(evaluator, byKey);
    }
    let facts = byKey.get(flagKey);
    if (facts === undefined) {
      const { content } = evaluator;
      const flag = evaluator.has(flagKey) ? content.flags[flagKey] : undefined;
      const entries: [string, string | boolean][] = [];
      if (flag) {
        entries.push(['owner', flag.owner], ['type', flag.type], ['enabled', flag.enabled]);
        if (flag.contract !== undefined) entries.push(['contract', flag.contract]);
        if (flag.expires !== undefined) entries.push(['expires', flag.expires]);
        if (flag.deprecated === true) entries.push(['deprecated', true]);
      }
      entries.push(['project', content.project], ['environment', content.environment]);
      facts = {
        metadata: Object.freeze(Object.fromEntries(entries)) as FlagMetadata,
        static:
          flag !== undefined && Object.keys(flag.grants).length === 0 && !(flag.rollout?.percentage ?? 0),
        deprecated:
          flag?.deprecated === true
            ? {
                key: flagKey,
                project: content.project,
                environment: content.environment,
                owner: flag.owner,
                ...(flag.expires !== undefined ? { expires: flag.expires } : {}),
              }
            : undefined,
      };
      if (flag) byKey.set(flagKey, facts);
    }
    return facts;
  }
}

/** Why a runtime can never serve: no key of its keyset may sign for its environment, now or later. */
function neverServes(runtime: RuntimeLike): string | undefined {
  const { environment } = runtime.status();
  const now = runtime.now?.() ?? Date.now();
  for (const key of runtime.keyset.keys.values())
    if (key.environments.has(environment) && key.notAfter > now) return undefined;
  return `no key of the keyset (version ${runtime.keyset.version}) may sign bundles for environment "${environment}": the runtime can never serve; deploy a keyset with such a key`;
}

const fatalMessage = (result: { error: { message: string } }): string =>
  `the bundle's format is newer than this runtime reads (${result.error.message}): upgrade the runtime`;

/** Keys whose compiled flag differs between two contents (added, removed or changed). */
function changedKeys(before: BundleContent, after: BundleContent): string[] {
  const keys = new Set([...Object.keys(before.flags), ...Object.keys(after.flags)]);
  return [...keys]
    .filter((key) => JSON.stringify(before.flags[key]) !== JSON.stringify(after.flags[key]))
    .sort();
}

function runtimeOf(source: EvaluatorSource): RuntimeLike | undefined {
  return typeof source === 'object' && 'onLoad' in source && typeof source.onLoad === 'function'
    ? (source as unknown as RuntimeLike)
    : undefined;
}

function currentOf(source: EvaluatorSource, options: FlagsProviderOptions): () => Evaluator | undefined {
  if (source instanceof Evaluator) return () => source;
  if (typeof source === 'function') return source;
  if ('format' in source && 'flags' in source) {
    const evaluator = new Evaluator(source, {
      ...(options.now ? { now: options.now } : {}),
      ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    });
    return () => evaluator;
  }
  // FlagsRuntime and other holders: read the getter on every evaluation.
  const holder = source as { readonly evaluator: Evaluator | undefined };
  return () => holder.evaluator;
}
