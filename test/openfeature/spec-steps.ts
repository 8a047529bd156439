import {
  type Client,
  type EvaluationContext,
  type EvaluationDetails,
  type FlagValue,
  type Hook,
  type JsonValue,
  OpenFeature,
  ProviderEvents,
} from '@openfeature/server-sdk';
import { expect } from 'vitest';
import type { FlagsRuntime } from '../../scripts/runtime/index.js';
import { FlagsProvider } from '../../scripts/runtime/openfeature.js';

/**
 * Step definitions of the OpenFeature specification's Gherkin features, over the flags-as-code
 * provider: each scenario gets a runtime in the state its provider step names, a real OpenFeature
 * client in a domain of its own, and these steps. A step without a definition fails its scenario.
 */

export type ProviderState = 'stable' | 'not ready' | 'error' | 'fatal' | 'stale';

/** Makes a FlagsRuntime in the named state (the test file owns the keys and bundles). */
export type Runtimes = (state: ProviderState) => Promise<FlagsRuntime>;

type FlagType = 'Boolean' | 'String' | 'Integer' | 'Float' | 'Object';
type Level = 'API' | 'Transaction' | 'Client' | 'Invocation' | 'Before Hooks';

/** A provider that keeps the merged context it was asked with: contextMerging's "retrievable context". */
class RecordingProvider extends FlagsProvider {
  lastContext: EvaluationContext | undefined;
  override resolveBooleanEvaluation(key: string, fallback: boolean, context: EvaluationContext) {
    this.lastContext = context;
    return super.resolveBooleanEvaluation(key, fallback, context);
  }
}

interface Call {
  stage: 'before' | 'after' | 'error' | 'finally';
  hook: string;
  details?: EvaluationDetails<FlagValue>;
}

export class World {
  client!: Client;
  provider: FlagsProvider | undefined;
  flag: { type: FlagType; key: string; fallback: FlagValue } | undefined;
  context: EvaluationContext = {};
  original: EvaluationContext | undefined;
  details: EvaluationDetails<FlagValue> | undefined;
  pending: unknown;
  calls: Call[] = [];
  options: { hooks: Hook[] } | undefined;
  transaction: EvaluationContext = {};
  beforeHookContext: EvaluationContext = {};
  levels: Level[] = [];

  constructor(
    readonly domain: string,
    readonly runtimes: Runtimes,
  ) {}

  recordingHook(name: string): Hook {
    return {
      before: () => {
        this.calls.push({ stage: 'before', hook: name });
      },
      after: (_context, details) => {
        this.calls.push({ stage: 'after', hook: name, details });
      },
      error: () => {
        this.calls.push({ stage: 'error', hook: name });
      },
      finally: (_context, details) => {
        this.calls.push({ stage: 'finally', hook: name, details });
      },
    };
  }

  evaluate(): Promise<EvaluationDetails<FlagValue>> {
    const { type, key, fallback } = this.flag!;
    const options = this.options;
    switch (type) {
      case 'Boolean':
        return this.client.getBooleanDetails(key, fallback as boolean, this.context, options);
      case 'String':
        return this.client.getStringDetails(key, fallback as string, this.context, options);
      case 'Integer':
      case 'Float':
        return this.client.getNumberDetails(key, fallback as number, this.context, options);
      case 'Object':
        return this.client.getObjectDetails(key, fallback as JsonValue, this.context, options);
    }
  }
}

/** Gherkin leaves `\"` as it is in step text and table cells; the features mean a quote. */
const unquote = (text: string): string => text.replaceAll('\\"', '"');

function typed(type: string, text: string): FlagValue | null {
  switch (type) {
    case 'Boolean':
      if (text !== 'true' && text !== 'false') throw new Error(`not a boolean: ${text}`);
      return text === 'true';
    case 'Integer':
    case 'Float':
      return Number(text);
    case 'Object':
      return JSON.parse(unquote(text)) as JsonValue;
    default:
      return unquote(text);
  }
}

async function setProvider(world: World, state: ProviderState, recording = false): Promise<void> {
  const runtime = await world.runtimes(state);
  const provider = recording ? new RecordingProvider(runtime) : new FlagsProvider(runtime);
  world.provider = provider;
  world.client = OpenFeature.getClient(world.domain);
  if (state === 'not ready') {
    OpenFeature.setProvider(world.domain, provider);
    return;
  }
  const stale =
    state === 'stale'
      ? new Promise((resolve) => world.client.addHandler(ProviderEvents.Stale, resolve))
      : undefined;
  // Initialization fails for the error and fatal providers: the SDK records the status.
  await OpenFeature.setProviderAndWait(world.domain, provider).catch(() => undefined);
  await stale;
}

type Table = string[][];
type Step = [RegExp, (world: World, args: string[], table: Table | undefined) => unknown];

const LEVELS: Record<string, Level> = {
  API: 'API',
  Transaction: 'Transaction',
  Client: 'Client',
  Invocation: 'Invocation',
  'Before Hooks': 'Before Hooks',
};

function addEntry(world: World, level: string, key: string, value: string): void {
  switch (LEVELS[level]) {
    case 'API':
      OpenFeature.setContext({ ...OpenFeature.getContext(), [key]: value });
      return;
    case 'Transaction':
      world.transaction[key] = value;
      return;
    case 'Client':
      world.client.setContext({ ...world.client.getContext(), [key]: value });
      return;
    case 'Invocation':
      world.context[key] = value;
      return;
    case 'Before Hooks':
      world.beforeHookContext[key] = value;
      return;
    default:
      throw new Error(`unknown context level "${level}"`);
  }
}

const detailField = (details: EvaluationDetails<FlagValue>, field: string): unknown => {
  switch (field) {
    case 'flag_key':
      return details.flagKey;
    case 'value':
      return details.value;
    case 'variant':
      return details.variant ?? null;
    case 'reason':
      return details.reason ?? null;
    case 'error_code':
      return details.errorCode ?? null;
    default:
      throw new Error(`unknown evaluation detail "${field}"`);
  }
};

export const STEPS: Step[] = [
  [
    /^a (stable|not ready|error|fatal|stale) provider$/,
    (world, [state]) => setProvider(world, state as ProviderState),
  ],
  [
    /^a stable provider with retrievable context is registered$/,
    (world) => setProvider(world, 'stable', true),
  ],
  [
    /^an? (Boolean|String|Integer|Float|Object)-flag with key "(.*)" and a fallback value "(.*)"$/i,
    (world, [type, key, fallback]) => {
      const name = (type![0]!.toUpperCase() + type!.slice(1).toLowerCase()) as FlagType;
      world.flag = { type: name, key: key!, fallback: typed(name, fallback!) as FlagValue };
    },
  ],
  [
    /^a context containing a key "(.*)", with type "(.*)" and with value "(.*)"$/,
    (world, [key, type, value]) => {
      world.context[key!] = typed(type!, value!) as string;
    },
  ],
  [
    /^a context containing a key "(.*)" with null value$/,
    (world, [key]) => {
      world.context[key!] = null as never;
    },
  ],
  [
    /^the flag was evaluated with details$/,
    async (world) => {
      world.details = await world.evaluate();
    },
  ],
  [
    /^the flag was evaluated with details asynchronously$/,
    async (world) => {
      world.pending = world.evaluate();
      world.details = await (world.pending as Promise<EvaluationDetails<FlagValue>>);
    },
  ],
  [
    /^the evaluation should complete without blocking$/,
    (world) => {
      expect(world.pending).toBeInstanceOf(Promise);
      expect(world.details).toBeDefined();
    },
  ],
  [
    /^the resolved details value should be "(.*)"$/,
    (world, [text]) => {
      expect(world.details!.value).toEqual(typed(world.flag!.type, text!));
    },
  ],
  [
    /^the reason should be "(.*)"$/,
    (world, [reason]) => {
      expect(world.details!.reason).toBe(reason);
    },
  ],
  [
    /^the error-code should be "(.*)"$/,
    (world, [code]) => {
      expect(world.details!.errorCode).toBe(code);
    },
  ],
  [
    /^the flag key should be "(.*)"$/,
    (world, [key]) => {
      expect(world.details!.flagKey).toBe(key);
    },
  ],
  [
    /^the variant should be "(.*)"$/,
    (world, [variant]) => {
      expect(world.details!.variant).toBe(variant);
    },
  ],
  [
    /^the resolved metadata should contain$/,
    (world, _args, table) => {
      const [header, ...rows] = table!;
      expect(header).toEqual(['key', 'metadata_type', 'value']);
      for (const [key, type, value] of rows)
        expect(world.details!.flagMetadata[key!]).toEqual(typed(type!, value!));
    },
  ],
  [
    /^the resolved metadata is empty$/,
    (world) => {
      expect(world.details!.flagMetadata).toEqual({});
    },
  ],
  [
    /^the provider status should be "(.*)"$/,
    (world, [status]) => {
      expect(world.client.providerStatus).toBe(status);
    },
  ],
  [
    /^a client with added hook$/,
    (world) => {
      world.client.addHooks(world.recordingHook('client'));
    },
  ],
  [
    /^the "(before|error)" hook should have been executed$/,
    (world, [stage]) => {
      expect(world.calls.some((call) => call.stage === stage)).toBe(true);
    },
  ],
  [
    /^the "(.*)" hooks? should be called with evaluation details$/,
    (world, [stages], table) => {
      const [header, ...rows] = table!;
      expect(header).toEqual(['data_type', 'key', 'value']);
      for (const stage of stages!.split(',').map((s) => s.trim())) {
        const call = world.calls.find((c) => c.stage === stage);
        expect(call, `the ${stage} hook was called`).toBeDefined();
        for (const [type, key, value] of rows) {
          const expected = value === 'null' ? null : type === 'boolean' ? value === 'true' : value;
          expect(detailField(call!.details!, key!), `${stage}: ${key}`).toEqual(expected);
        }
      }
    },
  ],
  [
    /^evaluation options containing specific hooks$/,
    (world) => {
      world.options = { hooks: [world.recordingHook('first'), world.recordingHook('second')] };
    },
  ],
  [
    /^the flag was evaluated with details using the evaluation options$/,
    async (world) => {
      world.details = await world.evaluate();
    },
  ],
  [
    /^the specified hooks should execute during evaluation$/,
    (world) => {
      for (const hook of ['first', 'second'])
        for (const stage of ['before', 'after', 'finally'])
          expect(
            world.calls.some((c) => c.hook === hook && c.stage === stage),
            `${hook} ${stage}`,
          ).toBe(true);
    },
  ],
  [
    /^the hook order should be maintained$/,
    (world) => {
      // Before hooks in the order given; after and finally hooks in reverse (spec 4.4.2).
      expect(world.calls.map((c) => `${c.stage} ${c.hook}`)).toEqual([
        'before first',
        'before second',
        'after second',
        'after first',
        'finally second',
        'finally first',
      ]);
    },
  ],
  [
    /^an evaluation context with modifiable data$/,
    (world) => {
      world.context = { targetingKey: 'org_macrosoft01', tags: ['a', 'b'], nested: { plan: 'pro' } };
      world.original = structuredClone(world.context);
    },
  ],
  [
    /^the original evaluation context should remain unmodified$/,
    (world) => {
      expect(world.context).toEqual(world.original);
    },
  ],
  [
    /^the evaluation details should be immutable$/,
    (world) => {
      // The scenario's tag, spec 1.4.15.1: the flag metadata of the details MUST be immutable.
      const { flagMetadata } = world.details!;
      expect(Object.isFrozen(flagMetadata)).toBe(true);
      expect(() => {
        (flagMetadata as Record<string, unknown>).owner = 'someone else';
      }).toThrow(TypeError);
    },
  ],
  [
    /^A context entry with key "(.*)" and value "(.*)" is added to the "(.*)" level$/,
    (world, [key, value, level]) => addEntry(world, level!, key!, value!),
  ],
  [
    /^A table with levels of increasing precedence$/,
    (world, _args, table) => {
      world.levels = table!.map(([level]) => {
        if (LEVELS[level!] === undefined) throw new Error(`unknown context level "${level}"`);
        return LEVELS[level!]!;
      });
    },
  ],
  [
    /^Context entries for each level from API level down to the "(.*)" level, with key "(.*)" and value "(.*)"$/,
    (world, [last, key]) => {
      // Each level writes its own name, so the entry read back shows which level won.
      const until = world.levels.indexOf(last as Level);
      if (until === -1) throw new Error(`level "${last}" is not in the table`);
      for (const level of world.levels.slice(0, until + 1)) addEntry(world, level, key!, level);
    },
  ],
  [
    /^Some flag was evaluated$/,
    async (world) => {
      world.flag = { type: 'Boolean', key: 'boolean-flag', fallback: false };
      const beforeContext = world.beforeHookContext;
      world.options = { hooks: [{ before: () => beforeContext }] };
      world.details = await new Promise((resolve, reject) =>
        OpenFeature.setTransactionContext(world.transaction, () => world.evaluate().then(resolve, reject)),
      );
    },
  ],
  [
    /^The merged context contains an entry with key "(.*)" and value "(.*)"$/,
    (world, [key, value]) => {
      const seen = (world.provider as RecordingProvider).lastContext;
      expect(seen?.[key!]).toBe(value);
    },
  ],
];

/** Runs one step: exactly one definition must match its text. */
export async function runStep(world: World, text: string, table: Table | undefined): Promise<void> {
  const matches = STEPS.flatMap(([pattern, run]) => {
    const match = pattern.exec(text);
    return match ? [{ run, args: match.slice(1) }] : [];
  });
  if (matches.length !== 1)
    throw new Error(`${matches.length === 0 ? 'no' : 'more than one'} step definition for "${text}"`);
  await matches[0]!.run(world, matches[0]!.args, table);
}
