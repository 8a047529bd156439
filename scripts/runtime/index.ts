import type { BundleContent, BundleStatement, JsonValue } from './bundle-format.js';
import {
  type ClaimChange,
  ClaimChangeLog,
  ClaimClock,
  clockChangesAt,
  nextChangeAfter,
} from './claim-changes.js';
import { isVerificationError, VerificationError } from './errors.js';
import { type EvaluationContext, Evaluator, type OrganizationInput, type Resolution } from './evaluate.js';
import { parseInstant } from './instant.js';
import type { KeysetOptions, TrustedKeyset } from './keyset.js';
import {
  conditionalInit,
  DEFAULT_JITTER,
  DEFAULT_MAX_INTERVAL_MS,
  DEFAULT_POLL_TIMEOUT_MS,
  freshnessMs,
  startPolling,
  type Validators,
  validatorsOf,
  withTimeout,
} from './poll.js';
import { type Fetched, type FetchLike, fetchCapped, readSource, type Source } from './sources.js';
import {
  bundleStateKey,
  readState,
  rememberBundle,
  type StateStore,
  rememberedBundle,
  verifyKeysetWithState,
} from './state.js';
import { type DeprecatedFlag, type EvaluationTelemetry, oncePerKey } from './telemetry.js';
import { DEFAULT_MAX_BUNDLE_BYTES, parseContent, type VerifiedBundle, verifyBundle } from './verify.js';

/**
 * The runtime entry point (`@flags-as-code/runtime`): load a signed bundle from a file, a URL or
 * bytes, verify it against a keyset, and evaluate flags from it. It depends on nothing but the
 * standard APIs every JavaScript runtime has (WebCrypto, fetch, TextEncoder), so it runs alike in
 * Node 20+, Deno, Bun, Workers and browsers (Node's crypto and Buffer, where a runtime has them,
 * are found by feature detection and used for speed: native.ts); a path (a file, a state file)
 * loads its Node-only module when used. It remembers the newest serial it accepted (in memory, and in a state store
 * when given one) and, when a newer bundle fails verification, keeps serving the last good one
 * and says why.
 */

export type {
  BundleContent,
  BundleStatement,
  ClaimChangeRange,
  ClaimDelta,
  JsonValue,
} from './bundle-format.js';
export type { ClaimChange } from './claim-changes.js';
export { BUNDLE_CONTENT_FORMAT, SIGNED_BUNDLE_FORMAT, STATEMENT_PAYLOAD_TYPE } from './bundle-format.js';
export { canonicalJson } from './canonical-json.js';
export { type VerificationCode, VerificationError, isVerificationError } from './errors.js';
export {
  type ErrorCode,
  type EvaluationContext,
  Evaluator,
  type OrganizationInput,
  type Reason,
  type Resolution,
} from './evaluate.js';
export {
  KEYSET_PAYLOAD_TYPE,
  type KeysetOptions,
  type TrustedKey,
  type TrustedKeyset,
  verifyKeyset,
} from './keyset.js';
export { pae } from './dsse.js';
export { type FetchLike, readSource, type Source } from './sources.js';
export { type RuntimeState, readState, type StateStore } from './state.js';
export {
  ATTRIBUTES,
  COUNTER_NAME,
  type DeprecatedFlag,
  EvaluationTelemetry,
  type MeterLike,
  type TelemetryOptions,
  type UsageEntry,
  type UsageSnapshot,
} from './telemetry.js';
export { parseContent, type VerifiedBundle, type VerifyOptions, verifyBundle } from './verify.js';

export interface StateOptions {
  /** File remembering the newest serial and keyset version across restarts (Node). */
  stateFile?: string;
  /** Where to remember them where there is no filesystem (Workers, browsers); wins over stateFile. */
  stateStore?: StateStore;
}

/** The store of the options: the application's, or a state file (its Node module loaded only then). */
async function stateStoreOf(options: StateOptions): Promise<StateStore | undefined> {
  if (options.stateStore) return options.stateStore;
  if (options.stateFile === undefined) return undefined;
  const { fileStateStore } = await import('./node-files.js');
  return fileStateStore(options.stateFile);
}

export interface LoadKeysetOptions extends Omit<KeysetOptions, 'previous'>, StateOptions {
  fetch?: FetchLike;
}

/** Reads and verifies a keyset file (its whole chain of versions). Throws VerificationError. */
export async function loadKeyset(source: Source, options: LoadKeysetOptions = {}): Promise<TrustedKeyset> {
  const bytes = await readSource(source, options.maxBytes ?? 1_048_576, options.fetch);
  return verifyKeysetWithState(
    bytes,
    { root: options.root, maxBytes: options.maxBytes },
    await stateStoreOf(options),
  );
}

export interface RuntimeOptions extends StateOptions {
  /** The environment this application runs in; bundles for any other are refused. */
  environment: string;
  /** A verified keyset (see loadKeyset), or where to read one. */
  keyset: TrustedKeyset | Source;
  /** Pin of the keyset's version 1 (sha256 of its payload), when `keyset` is a source. */
  keysetRoot?: string;
  project?: string;
  /** Accept development-signed bundles: workstations only. */
  allowDevelopment?: boolean;
  maxBytes?: number;
  maxClockSkewSeconds?: number;
  /** Epoch ms; defaults to Date.now. */
  now?: () => number;
  fetch?: FetchLike;
  /** Called with every refused bundle (the last good one keeps serving). */
  onError?: (error: VerificationError) => void;
  /** Called when organizations' claims changed: after a bundle swap, or when a grant's last day ended. */
  onChange?: (change: ClaimChange) => void;
  /** Counts evaluations per flag and environment (docs/telemetry.md). */
  telemetry?: EvaluationTelemetry;
  /** Called once per key, at the first evaluation of a flag its bundle marks deprecated. */
  onDeprecated?: (flag: DeprecatedFlag) => void;
}

export interface WatchOptions {
  onResult?: (result: LoadResult) => void;
  /** As RuntimeOptions.onChange, while this watch runs. */
  onChange?: (change: ClaimChange) => void;
  /** Share of the interval added at random to each wait, so a fleet spreads its polls (0 to 1; default 0.2). */
  jitter?: number;
  /** Longest wait between polls: caps the backoff after failures and a long max-age (default 5 minutes). */
  maxIntervalMs?: number;
  /** A URL's poll not answered in full by then is abandoned, as a failure (default 30 s). */
  timeoutMs?: number;
}

export type LoadResult =
  | {
      ok: true;
      changed: boolean;
      statement: BundleStatement;
      warning?: string;
      /** Whose claims the swap changed (absent for the first bundle and for the same one again). */
      claimChange?: ClaimChange;
      /** The URL answered 304 Not Modified: the bundle served is still current (nothing was verified). */
      notModified?: true;
    }
  | { ok: false; error: VerificationError; serving: BundleStatement | undefined };

export interface RuntimeStatus {
  ready: boolean;
  environment: string;
  serial?: number;
  issuedAt?: string;
  expiresAt?: string;
  /** The bundle served has passed its expiry: the publishing pipeline has stopped reaching this app. */
  expired: boolean;
  lastError?: { code: string; message: string; at: string };
}

export class FlagsRuntime {
  private current: { verified: VerifiedBundle; content: BundleContent; evaluator: Evaluator } | undefined;
  private highest: { serial: number; sha256: string } | undefined;
  private error: { error: VerificationError; at: number } | undefined;
  /** The runtime's clock (options.now, else Date.now): the provider judges keys by it too. */
  readonly now: () => number;
  private readonly claimLog = new ClaimChangeLog();
  private readonly claimClock: ClaimClock;
  private readonly changeListeners = new Set<(change: ClaimChange) => void>();
  private readonly loadListeners = new Set<(result: LoadResult) => void>();
  private readonly onDeprecated: ((flag: DeprecatedFlag) => void) | undefined;

  private constructor(
    private readonly options: RuntimeOptions,
    readonly keyset: TrustedKeyset,
    private readonly store: StateStore | undefined,
  ) {
    this.now = options.now ?? Date.now;
    this.claimClock = new ClaimClock(this.now, (at) => this.clockPassed(at));
    if (options.onChange) this.changeListeners.add(options.onChange);
    this.onDeprecated = options.onDeprecated ? oncePerKey(options.onDeprecated) : undefined;
  }

  /** Hears every load's result (served or refused), e.g. the OpenFeature provider's events; returns the unsubscribe. */
  onLoad(listener: (result: LoadResult) => void): () => void {
    this.loadListeners.add(listener);
    return () => this.loadListeners.delete(listener);
  }

  /** Makes a runtime: verifies the keyset and reads the state file (a corrupt one is an error). */
  static async create(options: RuntimeOptions): Promise<FlagsRuntime> {
    const store = await stateStoreOf(options);
    const keyset =
      'keys' in options.keyset
        ? options.keyset
        : await loadKeyset(options.keyset, {
            root: options.keysetRoot,
            stateStore: store,
            fetch: options.fetch,
          });
    const runtime = new FlagsRuntime(options, keyset, store);
    if (store) await readState(store);
    return runtime;
  }

  /** Reads, verifies and (when it passes) starts serving a bundle. Never throws for a bad bundle. */
  async load(source: Source): Promise<LoadResult> {
    let bytes: Uint8Array;
    try {
      bytes = await readSource(source, this.options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES, this.options.fetch);
    } catch (error) {
      return this.refuse(error);
    }
    return this.loadBytes(bytes);
  }

  /** Verifies bytes and serves them when they pass; the bytes are used as they are, never re-read. */
  async loadBytes(bytes: Uint8Array): Promise<LoadResult> {
    const project = this.options.project ?? this.keyset.project;
    const key = bundleStateKey(project, this.options.environment);
    let verified: VerifiedBundle;
    let content: BundleContent;
    try {
      const previous = await rememberedBundle(this.store, key, this.highest);
      verified = await verifyBundle(bytes, {
        keyset: this.keyset,
        environment: this.options.environment,
        project,
        now: this.now(),
        allowDevelopment: this.options.allowDevelopment,
        maxBytes: this.options.maxBytes,
        maxClockSkewSeconds: this.options.maxClockSkewSeconds,
        previous,
      });
      // The same content bytes as the bundle being served (a reload of an unchanged bundle, or a
      // fresher build of the same flags): already parsed, checked and frozen once.
      const current = this.current;
      content =
        current && current.verified.statement.content.sha256 === verified.statement.content.sha256
          ? current.content
          : parseContent(verified);
    } catch (error) {
      return this.refuse(error);
    }
    const statement = verified.statement;
    const changed = this.current?.verified.statement.content.sha256 !== statement.content.sha256;
    const previousSerial = this.current?.verified.statement.serial;
    let warning: string | undefined;
    if (!this.highest || statement.serial > this.highest.serial) {
      this.highest = { serial: statement.serial, sha256: statement.content.sha256 };
      if (this.store) {
        try {
          await rememberBundle(this.store, key, statement);
        } catch (error) {
          warning = `the bundle is served, but the state could not be written: ${(error as Error).message}`;
        }
      }
    }
    this.current = {
      verified,
      content,
      evaluator:
        changed || !this.current
          ? new Evaluator(content, {
              now: this.now,
              telemetry: this.options.telemetry,
              onDeprecated: this.onDeprecated,
            })
          : this.current.evaluator,
    };
    this.error = undefined;
    const claimChange = changed ? this.swappedClaims(content, statement, previousSerial) : undefined;
    return this.loaded({
      ok: true,
      changed,
      statement,
      ...(warning ? { warning } : {}),
      ...(claimChange ? { claimChange } : {}),
    });
  }

  private loaded(result: LoadResult): LoadResult {
    for (const listener of this.loadListeners) listener(result);
    return result;
  }

  /**
   * Whether a claim minted from bundle `serial` (at `mintedAt`, epoch ms: then changes by the clock
   * count too) may differ from the organization's claim now: a range lookup and a Map probe.
   */
  claimChangedSince(organizationId: string, serial: number, mintedAt?: number): boolean {
    return this.claimLog.changedSince(organizationId, serial, mintedAt);
  }

  /** The next instant at which a claim may change without a new bundle (epoch ms), if any. */
  get nextClaimChangeAt(): number | undefined {
    return this.claimClock.nextAt;
  }

  /** Recomputes the claims whose grants ended if the clock has passed that instant (the timer calls it). */
  checkClaimClock(): void {
    this.claimClock.due();
  }

  private swappedClaims(
    content: BundleContent,
    statement: BundleStatement,
    previous: number | undefined,
  ): ClaimChange | undefined {
    const now = this.now();
    const named = parseInstant(statement.nextChangeAt);
    this.claimClock.arm(named !== undefined && named > now ? named : this.nextClaimChange(now));
    const change = this.claimLog.swapped(content, statement.serial, previous, now);
    if (change) this.emitChange(change);
    return change;
  }

  private nextClaimChange(after: number): number | undefined {
    const bytes = this.current?.verified.contentBytes;
    return bytes ? nextChangeAfter(new TextDecoder().decode(bytes), after) : undefined;
  }

  private clockPassed(at: number): number | undefined {
    const evaluator = this.current?.evaluator;
    if (!evaluator) return undefined;
    const organizations = clockChangesAt(evaluator, at);
    if (organizations.length > 0) this.emitChange(this.claimLog.clockChanged(organizations, this.now()));
    return this.nextClaimChange(at);
  }

  private emitChange(change: ClaimChange): void {
    for (const listener of this.changeListeners) listener(change);
  }

  /**
   * Reloads from a source every `intervalMs` plus jitter (timers unref'd: they never keep the
   * process alive). A URL is polled with conditional requests: a 304 answer costs no parse and no
   * verification, an answer's Cache-Control max-age defers the next poll, and failures back off.
   */
  watch(
    source: Source,
    intervalMs: number,
    listeners?: ((result: LoadResult) => void) | WatchOptions,
  ): { stop(): void } {
    const options: WatchOptions =
      typeof listeners === 'function' ? { onResult: listeners } : (listeners ?? {});
    const onChange = options.onChange;
    if (onChange) this.changeListeners.add(onChange);
    let validators: Validators | undefined;
    const polling = startPolling(
      async () => {
        const polled = await this.poll(source, validators, options.timeoutMs ?? DEFAULT_POLL_TIMEOUT_MS);
        validators = polled.validators;
        options.onResult?.(polled.result);
        return { failed: !polled.result.ok, freshForMs: polled.freshForMs };
      },
      {
        intervalMs,
        jitter: options.jitter ?? DEFAULT_JITTER,
        maxIntervalMs: options.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS,
      },
    );
    return {
      stop: () => {
        polling.stop();
        if (onChange) this.changeListeners.delete(onChange);
      },
    };
  }

  /** One poll of a watch; a URL conditionally, with the validators of the bundle it served last. */
  private async poll(
    source: Source,
    validators: Validators | undefined,
    timeoutMs: number,
  ): Promise<{ result: LoadResult; validators?: Validators; freshForMs: number }> {
    if (!('url' in source)) return { result: await this.load(source), freshForMs: 0 };
    const served = this.current?.verified.statement;
    let fetched: Fetched;
    try {
      fetched = await fetchCapped(
        source.url,
        withTimeout(conditionalInit(source.init, served ? validators : undefined), timeoutMs),
        this.options.maxBytes ?? DEFAULT_MAX_BUNDLE_BYTES,
        this.options.fetch,
      );
    } catch (error) {
      return { result: this.refuse(error), freshForMs: 0 };
    }
    const freshForMs = freshnessMs(fetched.headers);
    if (!fetched.bytes) {
      if (!served || !validators)
        return {
          result: this.refuse(
            new VerificationError(
              'fetch-failed',
              `fetching ${String(source.url)} answered 304 to a request that was not conditional`,
            ),
          ),
          freshForMs: 0,
        };
      this.error = undefined;
      return {
        result: { ok: true, changed: false, notModified: true, statement: served },
        validators,
        freshForMs,
      };
    }
    const result = await this.loadBytes(fetched.bytes);
    // A refused bundle's validators are not kept: the next poll fetches it whole and verifies again.
    return { result, validators: result.ok ? validatorsOf(fetched.headers) : undefined, freshForMs };
  }

  get ready(): boolean {
    return this.current !== undefined;
  }

  /** The evaluator of the bundle being served. */
  get evaluator(): Evaluator | undefined {
    return this.current?.evaluator;
  }

  get statement(): BundleStatement | undefined {
    return this.current?.verified.statement;
  }

  /** Exactly the content bytes that were verified. */
  get contentBytes(): Uint8Array | undefined {
    return this.current?.verified.contentBytes;
  }

  get lastError(): VerificationError | undefined {
    return this.error?.error;
  }

  status(): RuntimeStatus {
    const statement = this.current?.verified.statement;
    const expiresAt = statement ? parseInstant(statement.expiresAt) : undefined;
    return {
      ready: this.ready,
      environment: this.options.environment,
      ...(statement
        ? { serial: statement.serial, issuedAt: statement.issuedAt, expiresAt: statement.expiresAt }
        : {}),
      expired: expiresAt !== undefined && this.now() >= expiresAt,
      ...(this.error
        ? {
            lastError: {
              code: this.error.error.code,
              message: this.error.error.message,
              at: new Date(this.error.at).toISOString(),
            },
          }
        : {}),
    };
  }

  isEnabled(key: string, context?: OrganizationInput): boolean {
    return this.current ? this.current.evaluator.isEnabled(key, context) : false;
  }

  resolve(key: string, context?: OrganizationInput): Resolution<JsonValue> {
    return this.current ? this.current.evaluator.resolve(key, context) : notReady(null);
  }

  resolveBoolean(key: string, fallback: boolean, context?: OrganizationInput): Resolution<boolean> {
    return this.current ? this.current.evaluator.resolveBoolean(key, fallback, context) : notReady(fallback);
  }

  resolveString(key: string, fallback: string, context?: OrganizationInput): Resolution<string> {
    return this.current ? this.current.evaluator.resolveString(key, fallback, context) : notReady(fallback);
  }

  resolveNumber(key: string, fallback: number, context?: OrganizationInput): Resolution<number> {
    return this.current ? this.current.evaluator.resolveNumber(key, fallback, context) : notReady(fallback);
  }

  resolveObject<T extends JsonValue>(key: string, fallback: T, context?: OrganizationInput): Resolution<T> {
    return this.current ? this.current.evaluator.resolveObject(key, fallback, context) : notReady(fallback);
  }

  /** The `feature_flags` claim: sorted keys of the boolean flags on for this organization. */
  claimsFor(organization: string | EvaluationContext): string[] {
    return this.current ? this.current.evaluator.claimsFor(organization) : [];
  }

  keys(): string[] {
    return this.current ? this.current.evaluator.keys() : [];
  }

  private refuse(error: unknown): LoadResult {
    const refusal = isVerificationError(error)
      ? error
      : new VerificationError('unreadable', error instanceof Error ? error.message : String(error));
    this.error = { error: refusal, at: this.now() };
    this.options.onError?.(refusal);
    return this.loaded({ ok: false, error: refusal, serving: this.current?.verified.statement });
  }
}

const notReady = <T>(fallback: T): Resolution<T> => ({
  value: fallback,
  reason: 'ERROR',
  errorCode: 'PROVIDER_NOT_READY',
  errorMessage: 'no verified bundle has been loaded',
});

export interface LoadBundleOptions extends Omit<RuntimeOptions, 'onError'> {}

/** One-shot: read, verify and open a bundle. Throws VerificationError when it does not pass. */
export async function loadBundle(source: Source, options: LoadBundleOptions): Promise<FlagsRuntime> {
  const runtime = await FlagsRuntime.create(options);
  const result = await runtime.load(source);
  if (!result.ok) throw result.error;
  return runtime;
}
