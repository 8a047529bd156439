/**
 * Evaluation telemetry: how often each flag is evaluated, per environment (and, when asked, per
 * variant), so retirement can rest on evidence that a flag is no longer read. The hot path only
 * increments a number on a record the Evaluator holds; everything else (attributes, sorting,
 * timestamps) happens when someone reads the counts: an OpenTelemetry observable counter's
 * callback, or a JSON snapshot. The runtime stays dependency-free: the application hands in its
 * own OpenTelemetry Meter, described here by the few members used.
 */

/** The attribute names of the OpenTelemetry semantic conventions for feature flags. */
export const ATTRIBUTES = {
  key: 'feature_flag.key',
  variant: 'feature_flag.result.variant',
  provider: 'feature_flag.provider.name',
  set: 'feature_flag.set.id',
  environment: 'deployment.environment.name',
} as const;

export const PROVIDER_NAME = 'flags-as-code';
export const COUNTER_NAME = 'feature_flag.evaluations';
export const USAGE_FORMAT = 'flags-usage/v1';

type Attributes = Record<string, string>;

/** What an observable counter's callback receives (@opentelemetry/api's ObservableResult). */
export interface ObservableResultLike {
  observe(value: number, attributes?: Attributes): void;
}

/** What this module uses of @opentelemetry/api's Meter (structurally; nothing is imported). */
export interface MeterLike {
  createObservableCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    addCallback(callback: (result: ObservableResultLike) => void): void;
    removeCallback(callback: (result: ObservableResultLike) => void): void;
  };
}

/**
 * One flag's count in one environment. It outlives the Evaluator that increments it: a newer bundle
 * reuses the record, so the counts are monotonic as OpenTelemetry counters must be.
 */
export class FlagTally {
  /** Counts of the Evaluators this record served before the current one. */
  private base = 0;
  /** The flag record of the current Evaluator, which counts its own evaluations. */
  private live: { readonly count: number } | undefined;
  /** Unknown keys are counted here, having no flag record. */
  private own = 0;
  /**
   * Variant → count, only when counting per variant: an object without prototype whose keys the
   * Evaluator seeds with the flag's variants, so the hot path is one keyed increment (a Map would
   * hash the name twice, for get and set).
   */
  readonly variants: Record<string, number> | undefined;
  /** The count the last reading saw, and when that reading first saw it grow. */
  seen = 0;
  lastEvaluated: number | undefined;

  constructor(
    readonly project: string,
    readonly environment: string,
    readonly key: string,
    perVariant: boolean,
  ) {
    this.variants = perVariant ? (Object.create(null) as Record<string, number>) : undefined;
  }

  get count(): number {
    return this.base + this.own + (this.live?.count ?? 0);
  }

  /**
   * A newer Evaluator's record of the flag takes over the counting (the one before keeps its total
   * here), and makes room for the bundle's variants; counts so far stay.
   */
  attach(flag: { readonly count: number }, variants: readonly string[]): void {
    if (this.live !== undefined) this.base += this.live.count;
    this.live = flag;
    if (this.variants !== undefined) for (const variant of variants) this.variants[variant] ??= 0;
  }

  hit(): void {
    this.own++;
  }

  hitVariant(variant: string): void {
    this.variants![variant] = (this.variants![variant] ?? 0) + 1;
  }
}

export interface TelemetryOptions {
  /** Count per variant too (a Map update per evaluation: see docs/telemetry.md for its cost). */
  variants?: boolean;
  /** `feature_flag.provider.name`; default "flags-as-code". */
  providerName?: string;
  /** Epoch ms; defaults to Date.now. Read only when counts are read. */
  now?: () => number;
}

export interface UsageEntry {
  key: string;
  project: string;
  environment: string;
  count: number;
  /**
   * The reading (snapshot or metric collection) that first saw this count: the last evaluation
   * happened at or before it, and after the reading before it. Absent when never evaluated.
   */
  lastEvaluated?: string;
  variants?: Record<string, number>;
}

/** A JSON document an application can log or ship: what `flags retire --usage` reads. */
export interface UsageSnapshot {
  format: typeof USAGE_FORMAT;
  provider: string;
  /** When counting started and when this snapshot was taken (ISO 8601). */
  since: string;
  at: string;
  /** Every flag of every bundle served since `since`, evaluated or not, sorted by environment and key. */
  evaluations: UsageEntry[];
  /** Keys asked for that no bundle holds (removed, archived, or a typo). */
  unknown: UsageEntry[];
}

export class EvaluationTelemetry {
  readonly providerName: string;
  private readonly perVariant: boolean;
  private readonly now: () => number;
  private readonly since: number;
  private readonly tallies = new Map<string, FlagTally>();
  private readonly unknownTallies = new Map<string, FlagTally>();

  constructor(options: TelemetryOptions = {}) {
    this.providerName = options.providerName ?? PROVIDER_NAME;
    this.perVariant = options.variants === true;
    this.now = options.now ?? Date.now;
    this.since = this.now();
  }

  /** The record an Evaluator increments for a flag; the same one for every bundle of the environment. */
  tally(project: string, environment: string, key: string): FlagTally {
    return this.recordOf(this.tallies, project, environment, key, this.perVariant);
  }

  /**
   * Counts an evaluation of a key the bundle does not hold (off the hot path: an error answer). The
   * keys come from callers, so their number is capped: a loop over made-up keys cannot grow memory.
   */
  unknown(project: string, environment: string, key: string): void {
    if (
      this.unknownTallies.size >= MAX_UNKNOWN_KEYS &&
      !this.unknownTallies.has(idOf(project, environment, key))
    )
      return;
    this.recordOf(this.unknownTallies, project, environment, key, false).hit();
  }

  /**
   * Reports the counts through an OpenTelemetry observable counter on the application's Meter:
   * one series per flag and environment (and variant), read only when the SDK collects.
   */
  observe(meter: MeterLike, options: { name?: string } = {}): { stop(): void } {
    const counter = meter.createObservableCounter(options.name ?? COUNTER_NAME, {
      description: 'Feature flag evaluations by the flags-as-code runtime',
      unit: '{evaluation}',
    });
    const callback = (result: ObservableResultLike) => {
      const at = this.now();
      for (const tally of this.tallies.values()) {
        this.read(tally, at);
        if (tally.variants === undefined) {
          result.observe(tally.count, this.attributes(tally));
          continue;
        }
        let variants = 0;
        for (const variant of Object.keys(tally.variants).sort()) {
          const count = tally.variants[variant]!;
          if (count === 0) continue;
          variants += count;
          result.observe(count, { ...this.attributes(tally), [ATTRIBUTES.variant]: variant });
        }
        // Evaluations that resolved no variant (a type mismatch) keep a series of their own.
        if (tally.count > variants || tally.count === 0)
          result.observe(tally.count - variants, this.attributes(tally));
      }
    };
    counter.addCallback(callback);
    return { stop: () => counter.removeCallback(callback) };
  }

  snapshot(): UsageSnapshot {
    const at = this.now();
    const entries = (tallies: Map<string, FlagTally>) =>
      [...tallies.values()]
        .sort((a, b) => compare(a.environment, b.environment) || compare(a.key, b.key))
        .map((tally) => this.entry(tally, at));
    return {
      format: USAGE_FORMAT,
      provider: this.providerName,
      since: new Date(this.since).toISOString(),
      at: new Date(at).toISOString(),
      evaluations: entries(this.tallies),
      unknown: entries(this.unknownTallies),
    };
  }

  private entry(tally: FlagTally, at: number): UsageEntry {
    this.read(tally, at);
    const entry: UsageEntry = {
      key: tally.key,
      project: tally.project,
      environment: tally.environment,
      count: tally.count,
    };
    if (tally.lastEvaluated !== undefined) entry.lastEvaluated = new Date(tally.lastEvaluated).toISOString();
    if (tally.variants !== undefined)
      entry.variants = Object.fromEntries(
        Object.keys(tally.variants)
          .sort(compare)
          .filter((variant) => tally.variants![variant]! > 0)
          .map((variant) => [variant, tally.variants![variant]!]),
      );
    return entry;
  }

  private read(tally: FlagTally, at: number): void {
    if (tally.count !== tally.seen) {
      tally.seen = tally.count;
      tally.lastEvaluated = at;
    }
  }

  private attributes(tally: FlagTally): Attributes {
    return {
      [ATTRIBUTES.key]: tally.key,
      [ATTRIBUTES.provider]: this.providerName,
      [ATTRIBUTES.set]: `${tally.project}/${tally.environment}`,
      [ATTRIBUTES.environment]: tally.environment,
    };
  }

  private recordOf(
    tallies: Map<string, FlagTally>,
    project: string,
    environment: string,
    key: string,
    perVariant: boolean,
  ): FlagTally {
    const id = idOf(project, environment, key);
    let tally = tallies.get(id);
    if (tally === undefined) {
      tally = new FlagTally(project, environment, key, perVariant);
      tallies.set(id, tally);
    }
    return tally;
  }
}

/** Unknown keys counted at most; further ones are not counted. */
export const MAX_UNKNOWN_KEYS = 1000;

// Project and environment names are kebab-case: a newline never occurs in them.
const idOf = (project: string, environment: string, key: string): string =>
  `${project}\n${environment}\n${key}`;

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A deprecated flag as the onDeprecated callback receives it. */
export interface DeprecatedFlag {
  key: string;
  project: string;
  environment: string;
  owner: string;
  expires?: string;
}

/** Wraps a callback so it hears of each deprecated key once, however many bundles and evaluators. */
export function oncePerKey(callback: (flag: DeprecatedFlag) => void): (flag: DeprecatedFlag) => void {
  const reported = new Set<string>();
  return (flag) => {
    if (reported.has(flag.key)) return;
    reported.add(flag.key);
    callback(flag);
  };
}
